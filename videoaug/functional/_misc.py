"""Gaussian blur, normalisation, dtype conversion and the ``(C, T, H, W)`` permutation; see the classes in
:mod:`videoaug.transforms._misc`."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as nnf

from .._video import as_batch, check_video
from ._chunks import map_frames
from ._utils import kernel_size_pair

__all__ = ["gaussian_kernel1d", "gaussian_blur", "normalize", "normalize_coefficients", "to_dtype", "to_cthw"]


def gaussian_kernel1d(kernel_size: int, sigma: torch.Tensor) -> torch.Tensor:
    """Normalised 1-D Gaussian taps ``(B, kernel_size)`` for per-clip ``sigma (B,)``, as torchvision samples
    them (at integer offsets from the centre)."""
    half = (kernel_size - 1) / 2
    x = torch.linspace(-half, half, kernel_size, device=sigma.device, dtype=torch.float32)
    # sigma 0 (a clip left unblurred) gives a unit impulse: exactly the identity
    logits = -0.5 * (x.view(1, -1) / sigma.float().clamp_min(1e-6).view(-1, 1)) ** 2
    return torch.softmax(logits, dim=1)


def gaussian_blur(
    video: torch.Tensor, kernel_size: int | Sequence[int], sigma: float | torch.Tensor
) -> torch.Tensor:
    """Separable Gaussian blur with reflect padding and a per-clip sigma; see
    :class:`~videoaug.transforms.GaussianBlur`.

    Args:
        video: clip ``(T, C, H, W)`` or batch ``(B, T, C, H, W)``.
        kernel_size: odd ``k`` or ``(kx, ky)`` (torchvision's order: width first).
        sigma: float, ``(B,)`` (same in x and y) or ``(B, 2)`` as ``(sigma_x, sigma_y)``; 0 leaves a clip as
            it is.

    All frames of all clips go through two depthwise convolutions (one horizontal, one vertical) whose
    per-channel weights are the clip's taps, so there is no loop over clips.
    """
    kx, ky = kernel_size_pair(kernel_size)
    batch, restore = as_batch(video)
    b, t, c, h, w = batch.shape
    if kx // 2 >= w or ky // 2 >= h:
        raise ValueError(
            f"kernel_size: reflect padding needs kernel_size // 2 < frame size, got kernel_size "
            f"({kx}, {ky}) for frames of {h}x{w}"
        )
    s = torch.as_tensor(sigma, dtype=torch.float32, device=batch.device)
    if s.ndim == 0:
        s = s.expand(b)
    if s.ndim == 1:
        s = torch.stack([s, s], dim=1)
    if s.shape != (b, 2):
        raise ValueError(f"sigma: expected a float, ({b},) or ({b}, 2), got shape {tuple(s.shape)}")
    if bool((s < 0).any()):
        raise ValueError(f"sigma: expected non-negative values, got {s.tolist()}")
    fdtype = batch.dtype if batch.is_floating_point() else torch.float32
    # one "channel" per (clip, frame, colour) plane; its weights are its clip's taps
    groups = b * t * c
    x = batch.reshape(1, groups, h, w).to(fdtype)
    wx = gaussian_kernel1d(kx, s[:, 0]).to(fdtype).repeat_interleave(t * c, 0).view(groups, 1, 1, kx)
    wy = gaussian_kernel1d(ky, s[:, 1]).to(fdtype).repeat_interleave(t * c, 0).view(groups, 1, ky, 1)
    x = nnf.conv2d(nnf.pad(x, (kx // 2, kx // 2, 0, 0), mode="reflect"), wx, groups=groups)
    x = nnf.conv2d(nnf.pad(x, (0, 0, ky // 2, ky // 2), mode="reflect"), wy, groups=groups)
    out = x.view(b, t, c, h, w)
    if batch.dtype == torch.uint8:
        out = out.round_().clamp_(0, 255).to(torch.uint8)
    return restore(out)


def _per_channel(values: float | Sequence[float], channels: int, name: str) -> list[float]:
    vals = [float(values)] if isinstance(values, (int, float)) else [float(v) for v in values]
    if len(vals) not in (1, channels):
        raise ValueError(
            f"{name}: expected 1 or C={channels} values (one per channel), got {len(vals)}: {vals}"
        )
    return vals * channels if len(vals) == 1 else vals


def normalize_coefficients(
    mean: float | Sequence[float], std: float | Sequence[float], channels: int, dtype: torch.dtype,
    device: torch.device,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(scale, shift)``, each ``(C, 1, 1)`` of ``dtype``, with ``(x - mean) / std == x * scale + shift`` to
    float rounding: what :func:`normalize` computes with (see :func:`scale_shift`)."""
    mean_v = _per_channel(mean, channels, "mean")
    std_v = _per_channel(std, channels, "std")
    if any(s == 0 for s in std_v):
        raise ValueError(f"std: expected non-zero values, got {std_v}")
    scale = torch.tensor([1.0 / s for s in std_v], dtype=dtype, device=device).view(channels, 1, 1)
    shift = torch.tensor([-m / s for m, s in zip(mean_v, std_v, strict=True)], dtype=dtype, device=device)
    return scale, shift.view(channels, 1, 1)


def scale_shift(x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """``x * scale + shift`` written into ``out`` (which may be ``x``), with per-channel ``scale`` and ``shift``
    broadcast over ``x``: :func:`normalize`'s arithmetic, shared with the fused pipeline so that both round alike.

    On CPU a multiply, then an add: each takes the vectorised loop for a broadcast operand, which
    ``torch.addcmul`` with ``(C, 1, 1)`` operands does not (2.5x slower on one thread); elsewhere one
    ``addcmul``. The two differ by float rounding (one rounding more on CPU).
    """
    if out.device.type == "cpu":
        return torch.mul(x, scale, out=out).add_(shift)
    return torch.addcmul(shift, x, scale, out=out)


def normalize(
    video: torch.Tensor, mean: float | Sequence[float], std: float | Sequence[float], inplace: bool = False
) -> torch.Tensor:
    """``(video - mean) / std`` per channel; see :class:`~videoaug.transforms.Normalize`.

    Args:
        video: float clip ``(T, C, H, W)`` or batch ``(B, T, C, H, W)``.
        mean, std: one value or ``C`` values.
        inplace: write into ``video``.
    """
    check_video(video)
    if not video.is_floating_point():
        raise TypeError(
            f"normalize: expected a floating video in [0, 1], got dtype {video.dtype}; convert first with "
            f"ToDtype(torch.float32, scale=True)"
        )
    scale, shift = normalize_coefficients(mean, std, video.shape[-3], video.dtype, video.device)
    plain = video.as_subclass(torch.Tensor)
    out = plain if inplace else None
    return map_frames(plain, video.dtype, lambda x, y: scale_shift(x, scale, shift, y), out=out)


def to_dtype(video: torch.Tensor, dtype: torch.dtype = torch.float32, scale: bool = False) -> torch.Tensor:
    """Convert between uint8 and floating dtypes as torchvision's ``to_dtype`` does; see
    :class:`~videoaug.transforms.ToDtype`.

    Args:
        video: clip or batch, uint8 or float.
        dtype: ``torch.uint8`` or a floating dtype.
        scale: rescale values between [0, 255] and [0, 1].
    """
    check_video(video)
    if dtype != torch.uint8 and not dtype.is_floating_point:
        raise TypeError(f"dtype: expected torch.uint8 or a floating dtype, got {dtype}")
    if video.dtype == dtype:
        return video
    if not scale:
        return video.to(dtype)
    if video.dtype == torch.uint8:
        # one pass: the multiplication reads uint8 and writes float (torchvision converts, then multiplies)
        if dtype in (torch.float32, torch.float64):
            k = torch.tensor(1.0 / 255, dtype=dtype)
            return map_frames(video.as_subclass(torch.Tensor), dtype, lambda x, y: torch.mul(x, k, out=y))
        return video.to(dtype).mul_(1.0 / 255)
    if dtype == torch.uint8:
        # torchvision's rule: multiply by 256 - eps and truncate, so [0, 1] covers the 256 levels evenly
        return video.mul(255 + 1.0 - 1e-3).to(torch.uint8)
    return video.to(dtype)


def to_cthw(video: torch.Tensor) -> torch.Tensor:
    """Clip ``(T, C, H, W)`` -> ``(C, T, H, W)``; batch ``(B, T, C, H, W)`` -> ``(B, C, T, H, W)``
    (contiguous); see :class:`~videoaug.transforms.ToCTHW`."""
    check_video(video)
    return video.transpose(-4, -3).contiguous()
