"""Tube erasing: one box per clip, erased on every frame, optionally moving; see
:class:`~videoaug.transforms.RandomTubeErasing`."""

from __future__ import annotations

import torch

from .._video import as_batch
from ._chunks import CHUNK_ELEMENTS, run_chunked

__all__ = ["tube_boxes", "tube_mask", "tube_erase"]


def _rows(v: torch.Tensor | float, b: int, name: str, device: torch.device) -> torch.Tensor:
    v = torch.as_tensor(v, device=device)
    if v.ndim == 0:
        v = v.expand(b)
    if v.shape != (b,):
        raise ValueError(f"{name}: expected a number or a tensor of shape ({b},), got shape {tuple(v.shape)}")
    return v.float()


def tube_boxes(
    frames: int,
    top: torch.Tensor,
    left: torch.Tensor,
    dy: torch.Tensor | float = 0.0,
    dx: torch.Tensor | float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-left corner of each clip's box on each frame: ``(top_t, left_t)``, each long ``(B, T)``.

    The box moves linearly from ``(top, left)`` on the first frame to ``(top + dy, left + dx)`` on the last,
    rounded to whole pixels.
    """
    b = top.shape[0]
    dev = top.device
    frac = torch.linspace(0.0, 1.0, frames, device=dev) if frames > 1 else torch.zeros(1, device=dev)
    dy = _rows(dy, b, "dy", dev)
    dx = _rows(dx, b, "dx", dev)
    top_t = (top.float().view(b, 1) + dy.view(b, 1) * frac).round().long()
    left_t = (left.float().view(b, 1) + dx.view(b, 1) * frac).round().long()
    return top_t, left_t


def tube_mask(
    shape: tuple[int, int, int, int],
    top: torch.Tensor,
    left: torch.Tensor,
    height: torch.Tensor,
    width: torch.Tensor,
    dy: torch.Tensor | float = 0.0,
    dx: torch.Tensor | float = 0.0,
) -> torch.Tensor:
    """Bool mask ``(B, T, 1, H, W)``, true inside each clip's box on each frame.

    Args:
        shape: ``(B, T, H, W)``.
        top, left: ``(B,)`` corner on the first frame, in pixels.
        height, width: ``(B,)`` box size in pixels (0: nothing erased in that clip).
        dy, dx: ``(B,)`` displacement of the box from the first to the last frame, in pixels.

    Built from coordinate comparisons (rows against the box's rows, columns against its columns), no loops.
    """
    b, t, h, w = shape
    dev = top.device
    top = _rows(top, b, "top", dev)
    left = _rows(left, b, "left", dev)
    height = _rows(height, b, "height", dev).round().long()
    width = _rows(width, b, "width", dev).round().long()
    top_t, left_t = tube_boxes(t, top, left, dy, dx)
    ys = torch.arange(h, device=dev).view(1, 1, h)
    xs = torch.arange(w, device=dev).view(1, 1, w)
    rows = (ys >= top_t.unsqueeze(-1)) & (ys < (top_t + height.view(b, 1)).unsqueeze(-1))  # (B, T, H)
    cols = (xs >= left_t.unsqueeze(-1)) & (xs < (left_t + width.view(b, 1)).unsqueeze(-1))  # (B, T, W)
    return (rows.unsqueeze(-1) & cols.unsqueeze(-2)).unsqueeze(2)


def tube_erase(
    video: torch.Tensor,
    top: torch.Tensor,
    left: torch.Tensor,
    height: torch.Tensor,
    width: torch.Tensor,
    value: torch.Tensor | float = 0.0,
    dy: torch.Tensor | float = 0.0,
    dx: torch.Tensor | float = 0.0,
) -> torch.Tensor:
    """Fill each clip's (possibly moving) box with ``value`` on every frame; see
    :class:`~videoaug.transforms.RandomTubeErasing`.

    Args:
        video: clip ``(T, C, H, W)`` or batch ``(B, T, C, H, W)``.
        top, left, height, width, dy, dx: ``(B,)`` per clip, in pixels, as in :func:`tube_mask`.
        value: in the video's value range (0..255 for uint8): a number, ``(B, C)`` per clip and channel, or
            ``(B, C, H, W)`` per pixel (fixed in the frame, revealed wherever the box is).
    """
    batch, restore = as_batch(video)
    b, t, c, h, w = batch.shape
    dev = batch.device
    v = torch.as_tensor(value, device=dev, dtype=torch.float32)
    if v.ndim == 2:
        v = v.view(b, 1, c, 1, 1)
    elif v.ndim == 4:
        v = v.unsqueeze(1)
    elif v.ndim != 0:
        raise ValueError(
            f"value: expected a number, ({b}, {c}) or ({b}, {c}, {h}, {w}), got shape {tuple(v.shape)}"
        )
    if batch.dtype == torch.uint8:
        v = v.round().clamp(0, 255)
    v = v.to(batch.dtype).expand(b, *v.shape[1:]) if v.ndim else v.to(batch.dtype).expand(b, 1, 1, 1, 1)
    rows = [
        _rows(x, b, n, dev)
        for x, n in (
            (top, "top"),
            (left, "left"),
            (height, "height"),
            (width, "width"),
            (dy, "dy"),
            (dx, "dx"),
        )
    ]
    # a box that does not move needs one mask per clip, broadcast over the frames
    frames = t if bool(torch.stack(rows[4:]).ne(0).any()) else 1
    out = torch.empty_like(batch)

    def run(s: int, e: int) -> None:
        mask = tube_mask((e - s, frames, h, w), *(r[s:e] for r in rows))
        if frames == 1:  # tube_mask places the box of frame 0; broadcast it
            mask = mask.expand(e - s, t, 1, h, w)
        torch.where(mask, v[s:e], batch[s:e], out=out[s:e])

    if dev.type == "cpu":
        run_chunked(run, b, max(1, CHUNK_ELEMENTS // batch[0].numel()))
    else:
        run(0, b)
    return restore(out)
