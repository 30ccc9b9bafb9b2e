"""Helpers every kernel module shares: per-clip parameters, the arguments kernels parse, luma weights.

One home for them (as torchvision's ``transforms/v2/functional/_utils.py``), so that a kernel parses ``size``,
``interpolation`` and ``fill`` and broadcasts per-clip values exactly as every other kernel does. The transforms'
constructor-side helpers build on these (:mod:`videoaug.transforms._utils`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch

__all__ = [
    "LUMA_WEIGHTS",
    "luma",
    "per_clip",
    "per_clip_or_frame",
    "size_pair",
    "interpolation_name",
    "check_fill",
    "fill_tensor",
    "kernel_size_pair",
]

#: Luma weights of every grayscale, contrast, saturation and colour-to-gray step in the package (torchvision's,
#: ITU-R 601 as torchvision rounds them). Only the YIQ matrix of the hue rotation differs (its Y row must sum to 1
#: exactly so that a gray pixel is a fixed point; see ``_color``).
LUMA_WEIGHTS = (0.2989, 0.587, 0.114)


def luma(x: torch.Tensor, floor_uint8: bool = False) -> torch.Tensor:
    """Luma ``(..., 1, H, W)`` of an RGB tensor ``(..., 3, H, W)`` as float in the input's value range.

    ``floor_uint8``: floor the result of a uint8 input, as torchvision's ``rgb_to_grayscale`` truncates it. A
    1-channel input is returned as float unchanged.
    """
    if x.shape[-3] == 1:
        return x if x.is_floating_point() else x.float()
    wr, wg, wb = LUMA_WEIGHTS
    r, g, b = (x if x.is_floating_point() else x.float()).unbind(dim=-3)
    gray = r.mul(wr).add_(g, alpha=wg).add_(b, alpha=wb).unsqueeze(-3)
    return gray.floor_() if floor_uint8 and not x.is_floating_point() else gray


def per_clip(value: float | Sequence[float] | torch.Tensor, batch: int, name: str, device: torch.device | str,
             dtype: torch.dtype = torch.float32, width: int = 1) -> torch.Tensor:
    """One value (or ``width`` values) per clip: ``(B,)``, or ``(B, width)`` when ``width > 1``.

    ``value`` is a number (or a ``width``-sequence) shared by all clips, or a tensor of ``B`` rows.

    Raises:
        ValueError: ``value`` holds neither one row nor ``B`` rows.
    """
    given = torch.as_tensor(value, dtype=dtype, device=device)
    v = given.reshape(-1, width) if given.numel() % width == 0 else given.reshape(-1)
    if v.ndim != 2 or v.shape[0] not in (1, batch):
        shape = f"({batch},)" if width == 1 else f"({batch}, {width})"
        raise ValueError(
            f"{name}: expected one value or a tensor of shape {shape} (one per clip), got shape {tuple(given.shape)}"
        )
    v = v.expand(batch, width)
    return v if width > 1 else v.reshape(batch)


def per_clip_or_frame(value: float | torch.Tensor, video: torch.Tensor, name: str) -> torch.Tensor:
    """A number, ``(B,)`` or per-frame ``(B, T)`` tensor as float32 ``(B, 1 or T, 1, 1, 1)`` on the device of
    ``video`` ``(B, T, C, H, W)``, ready to broadcast against it.

    Raises:
        ValueError: ``value`` is neither a number nor of shape ``(B,)`` or ``(B, T)``.
    """
    v = torch.as_tensor(value, dtype=torch.float32, device=video.device)
    if v.ndim == 0:
        v = v.expand(video.shape[0])
    if v.shape not in ((video.shape[0],), tuple(video.shape[:2])):
        raise ValueError(f"{name}: expected a number, a tensor ({video.shape[0]},) or one per frame "
                         f"{tuple(video.shape[:2])}, got shape {tuple(v.shape)}")
    return v.view(v.shape[0], -1, 1, 1, 1)


def size_pair(size: int | Sequence[int], name: str = "size") -> tuple[int, int]:
    """``(height, width)`` from a positive int (a square), a 1-sequence or a pair of positive ints."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        size = (int(size), int(size))
    elif isinstance(size, Sequence) and len(size) == 1:
        size = (size[0], size[0])
    ok = (isinstance(size, Sequence) and len(size) == 2
          and all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in size))
    if not (ok and min(size) > 0):
        raise ValueError(f"{name}: expected a positive int or (height, width), got {size!r}")
    return int(size[0]), int(size[1])


def interpolation_name(interpolation, allowed: tuple[str, ...] = ("nearest", "bilinear")) -> str:
    """The mode's name (``"nearest"``, ``"bilinear"``, ...) from a string or an ``InterpolationMode``."""
    name = getattr(interpolation, "value", interpolation)
    if name not in allowed:
        raise ValueError(f"interpolation: expected one of {allowed}, got {interpolation!r}")
    return name


def check_fill(fill: float | Sequence[float] | None, channels: int | None = None) -> list[float] | None:
    """``None`` or a list of 1 or ``channels`` numbers, in the input's value range (as torchvision)."""
    if fill is None:
        return None
    values = None
    if isinstance(fill, numbers.Real):
        values = [fill]
    elif isinstance(fill, Sequence) and not isinstance(fill, str):
        values = list(fill)
    if not values or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
        raise TypeError(f"fill: expected None, a number or a sequence of numbers, got {fill!r}")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"fill: expected finite numbers, got {fill!r}")
    if channels is not None and len(values) not in (1, channels):
        raise ValueError(f"fill: expected 1 or C={channels} values, got {len(values)}")
    return [float(v) for v in values]


def fill_tensor(fill, channels: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor | None:
    """:func:`check_fill`'s values as a ``(1, 1, C', 1, 1)`` tensor (``C'`` 1 or ``channels``), or ``None``."""
    values = check_fill(fill, channels)
    if values is None:
        return None
    return torch.tensor(values, dtype=dtype, device=device).view(1, 1, -1, 1, 1)


def kernel_size_pair(kernel_size: int | Sequence[int]) -> tuple[int, int]:
    """``(kx, ky)``, both odd and positive, from one int or a pair."""
    ks = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    if not isinstance(ks, Sequence) or len(ks) != 2 \
            or not all(isinstance(k, int) and not isinstance(k, bool) and k > 0 and k % 2 == 1 for k in ks):
        raise ValueError(
            f"kernel_size: expected an odd positive int or a pair (kx, ky) of them, got {kernel_size!r}"
        )
    return ks[0], ks[1]
