"""Mask kernels: nearest-neighbour resampling of ``(B, T, K, H, W)`` masks, values never interpolated.

Masks go through the image kernels of :mod:`videoaug.functional._geometry` where those are exact for them
(crops, pads, flips; warps with ``interpolation="nearest"`` and ``fill=None``, torchvision's rule for masks);
resizing needs its own kernels here, because the video's is bilinear. Any channel count ``K`` and any dtype
(integer label maps, uint8, bool as uint8) is kept as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ._geometry import _as_long, resized_size
from ._utils import size_pair

__all__ = ["resized_crop_mask", "resize_mask", "gather_frames"]


def _nearest_index(start: torch.Tensor, length: torch.Tensor, out_size: int) -> torch.Tensor:
    """torch's ``interpolate(mode="nearest")`` source index (float32 scale ``in / out``, floored, clamped) for
    each clip's ``[start, start + length)``: ``(B, out_size)`` absolute indices."""
    o = torch.arange(out_size, device=start.device, dtype=torch.float32)
    scale = length.to(torch.float32) / float(out_size)
    idx = torch.floor(o * scale[:, None]).long()
    idx = torch.minimum(idx, (length - 1)[:, None])
    same = length == out_size  # torch takes the identity when the size does not change
    idx = torch.where(same[:, None], torch.arange(out_size, device=start.device), idx)
    return idx + start[:, None]


def resized_crop_mask(mask: torch.Tensor, top: torch.Tensor | int, left: torch.Tensor | int,
                      height: torch.Tensor | int, width: torch.Tensor | int, size: int | Sequence[int]
                      ) -> torch.Tensor:
    """Crop box ``(top, left, height, width)`` of each clip's mask and resize it to ``size`` by nearest
    neighbour: torchvision's ``resized_crop`` on a ``Mask`` (``crop_mask`` then ``resize_mask``) per clip, in one
    gather.

    Args:
        mask: ``(B, T, K, H, W)``, any dtype.
        top, left, height, width: one int or one per clip; boxes inside the frame.
        size: output ``(height, width)`` or one int.

    Returns:
        ``(B, T, K, size[0], size[1])``, the mask's dtype.
    """
    b, t, k, h, w = mask.shape
    oh, ow = size_pair(size)
    dev = mask.device
    top, left = _as_long(top, b, dev, "top"), _as_long(left, b, dev, "left")
    height, width = _as_long(height, b, dev, "height"), _as_long(width, b, dev, "width")
    rows = _nearest_index(top, height, oh)  # (B, oh)
    cols = _nearest_index(left, width, ow)  # (B, ow)
    if bool((rows < 0).any() or (rows >= h).any() or (cols < 0).any() or (cols >= w).any()):
        raise ValueError(f"resized_crop_mask: expected boxes inside the {h}x{w} frame, got top={top.tolist()}, "
                         f"left={left.tolist()}, height={height.tolist()}, width={width.tolist()}")
    clip = torch.arange(b, device=dev)[:, None, None]
    out = mask.permute(0, 3, 4, 1, 2)[clip, rows[:, :, None], cols[:, None, :]]  # (B, oh, ow, T, K)
    return out.permute(0, 3, 4, 1, 2).contiguous()


def resize_mask(mask: torch.Tensor, size: int | Sequence[int], max_size: int | None = None) -> torch.Tensor:
    """Resize every frame of a ``(B, T, K, H, W)`` mask to ``size`` by nearest neighbour (torchvision's
    ``resize_mask``); an int ``size`` is the shorter side, as :func:`~videoaug.functional.resize`."""
    h, w = mask.shape[-2:]
    out_size = resized_size(h, w, size, max_size)
    if out_size == (h, w):
        return mask.clone()
    return resized_crop_mask(mask, 0, 0, h, w, out_size)


def gather_frames(x: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """``out[b, j] = x[b, indices[b, j]]`` for any ``(B, T, ...)`` tensor (masks, per-frame boxes): the gather of
    :func:`~videoaug.functional.temporal_gather` without its video checks."""
    rows = torch.arange(x.shape[0], device=x.device).unsqueeze(1)
    return x[rows, indices.to(device=x.device, dtype=torch.long)]
