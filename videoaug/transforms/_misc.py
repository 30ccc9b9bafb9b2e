"""GaussianBlur, Normalize, ToDtype and ToCTHW. Kernels in :mod:`videoaug.functional._misc`."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import torch

from .. import functional as F
from ._base import RandomVideoTransform, VideoShape, VideoTransform
from ._utils import finite, kernel_size_pair, positive_range

__all__ = ["GaussianBlur", "Normalize", "ToDtype", "ToCTHW"]


class GaussianBlur(RandomVideoTransform):
    """Blur every frame of a clip with a Gaussian whose sigma is drawn once per clip.

    Same kernel as torchvision's ``GaussianBlur`` (taps at integer offsets, reflect padding, uint8 rounded),
    with
    two differences: sigma is drawn per clip instead of once per call, and there is a per-clip ``p``
        (torchvision's
    always blurs). A clip that is not blurred is returned exactly (its kernel is a unit impulse).

    Args:
        kernel_size: odd ``k`` or ``(kx, ky)``; ``k // 2`` must be smaller than the frame size (reflect
            padding).
        sigma: fixed ``s`` or a range ``(min, max)`` with ``0 < min <= max``; one value per clip, used for x
            and y.
        p: probability, per clip, that the clip is blurred.
        generator: optional ``torch.Generator``.
        dynamic: vary sigma smoothly over each clip's frames (DynaAugment, see
            :mod:`videoaug.transforms._dynamic`).

    Shape:
        clip ``(T, C, H, W)`` or batch ``(B, T, C, H, W)``; same out.

    Example:
        >>> import torch
        >>> from videoaug.transforms import GaussianBlur
        >>> GaussianBlur(5, sigma=(0.1, 2.0))(torch.rand(2, 4, 3, 16, 16)).shape
        torch.Size([2, 4, 3, 16, 16])
    """

    targets = "unchanged"  # masks and boxes come back as they are: no pixel moves

    def __init__(
        self,
        kernel_size: int | Sequence[int],
        sigma: float | Sequence[float] = (0.1, 2.0),
        p: float = 1.0,
        generator: torch.Generator | None = None,
        dynamic: bool = False,
    ) -> None:
        super().__init__(p=p, generator=generator, dynamic=dynamic)
        self.kernel_size = kernel_size_pair(kernel_size)
        self.sigma = positive_range(sigma, "sigma", number=True)

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        sigma = self._uniform(shape.batch, low=self.sigma[0], high=self.sigma[1])
        mask = self._apply_mask(shape.batch)
        if not self.dynamic:
            return {"sigma": torch.where(mask, sigma, torch.zeros_like(sigma))}
        sigma = self._vary(sigma, *self.sigma, shape.frames)
        return {"sigma": torch.where(mask[:, None], sigma, torch.zeros_like(sigma)), "per_frame": ("sigma",)}

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.gaussian_blur(video, self.kernel_size, params["sigma"])


class Normalize(VideoTransform):
    """Subtract ``mean`` and divide by ``std`` per channel, as torchvision's ``Normalize``.

    Needs floating input: a uint8 video raises ``TypeError`` (put ``ToDtype(torch.float32, scale=True)``
        first).
    Computed as one fused ``x * (1 / std) - mean / std``, which equals torchvision's ``(x - mean) / std`` to
    float rounding (~1e-7).

    Args:
        mean: one value or one per channel.
        std: one value or one per channel, non-zero.
        inplace: write into the input tensor.

    Shape:
        float clip ``(T, C, H, W)`` or batch ``(B, T, C, H, W)``; same out.
    """

    targets = "unchanged"  # masks and boxes come back as they are: no pixel moves

    def __init__(
        self, mean: float | Sequence[float], std: float | Sequence[float], inplace: bool = False
    ) -> None:
        super().__init__()
        self.mean = [finite(m, "mean") for m in ([mean] if isinstance(mean, numbers.Number) else mean)]
        self.std = [finite(s, "std") for s in ([std] if isinstance(std, numbers.Number) else std)]
        for name, vals in (("mean", self.mean), ("std", self.std)):
            if len(vals) not in (1, 3):
                raise ValueError(f"{name}: expected 1 or 3 values (one per channel), got {len(vals)}: {vals}")
        if any(s == 0 for s in self.std):
            raise ValueError(f"std: expected non-zero values, got {self.std}")
        self.inplace = inplace

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.normalize(video, self.mean, self.std, inplace=self.inplace)


class ToDtype(VideoTransform):
    """Convert to ``dtype``; with ``scale=True`` also rescale [0, 255] <-> [0, 1], exactly as torchvision's
    ``ToDtype`` does (float -> uint8 multiplies by ``256 - 1e-3`` and truncates).

    Args:
        dtype: ``torch.uint8`` or a floating dtype.
        scale: rescale values with the conversion.

    Shape:
        clip or batch; same shape out, dtype ``dtype``.
    """

    targets = "unchanged"  # masks and boxes come back as they are: no pixel moves

    def __init__(self, dtype: torch.dtype = torch.float32, scale: bool = False) -> None:
        super().__init__()
        if not isinstance(dtype, torch.dtype) or (dtype != torch.uint8 and not dtype.is_floating_point):
            raise TypeError(f"dtype: expected torch.uint8 or a floating torch.dtype, got {dtype!r}")
        self.dtype = dtype
        self.scale = bool(scale)

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.to_dtype(video, self.dtype, scale=self.scale)


class ToCTHW(VideoTransform):
    """Permute to the layout of 3-D CNNs such as torchvision's ``r3d_18``: clip ``(T, C, H, W)`` -> ``(C, T,
    H, W)``, batch ``(B, T, C, H, W)`` -> ``(B, C, T, H, W)``.

    This is the one transform whose output leaves videoaug's layout, so put it last: videoaug and torchvision
    transforms after it would read the channel axis as time. The output is contiguous and keeps the input's
    type (a ``tv_tensors.Video`` stays one, though torchvision would read it as ``(T, C, H, W)``); labels pass
    through.

    Shape:
        ``(T, C, H, W)`` -> ``(C, T, H, W)``; ``(B, T, C, H, W)`` -> ``(B, C, T, H, W)``.
    """

    targets = "unchanged"  # masks and boxes keep their own layout; the permutation is the model's

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.to_cthw(video)
