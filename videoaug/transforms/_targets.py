"""Masks and boxes that travel with a video through the transforms: their layouts, checks and wrapping.

The layouts, read against the video of the same call (``(T, C, H, W)`` clip or ``(B, T, C, H, W)`` batch):

- ``tv_tensors.Mask``: a clip's ``(T, H, W)`` or ``(T, K, H, W)``; a batch's ``(B, T, H, W)`` or
  ``(B, T, K, H, W)`` (one more dimension than the video's minus one: no channel axis; as many as the
  video's: ``K`` channels, e.g. one per object or ``K = 1``). ``T``, ``H``, ``W`` (and ``B``) are the video's.
- ``tv_tensors.BoundingBoxes``: a clip's ``(N, 4)`` boxes hold on every frame (AVA-style key-frame boxes);
  ``(T, N, 4)`` (made with :func:`box_track`) is one box per object and frame, a track. A batch takes a list
  (or any sequence v2 flattens, e.g. one ``{"boxes": ..., "labels": ...}`` dict per clip) of ``B`` such
  ``BoundingBoxes``, the ``b``-th for clip ``b`` (torchvision's detection models take one target per image the
  same way; clips may have different ``N``). Counted in v2's flattening order, the ``i``-th ``BoundingBoxes`` of
  the call belongs to clip ``i mod B``, so several lists of ``B`` (tracks and key-frame boxes, say) may come
  together; a clip takes one or more. ``canvas_size`` must be the video's ``(H, W)``; rotated formats are
  refused.

Nothing here runs when no mask or box is among the inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torchvision import tv_tensors
from torchvision.transforms.v2 import functional as tvf

__all__ = ["box_track", "Targets", "collect_targets", "mask_as_batch", "boxes_as_xyxy", "restore_boxes"]

_XYXY = tv_tensors.BoundingBoxFormat.XYXY


def box_track(data: Any, *, format: tv_tensors.BoundingBoxFormat | str, canvas_size: tuple[int, int],
              clamping_mode: str | None = "soft") -> tv_tensors.BoundingBoxes:
    """A per-frame box track: ``tv_tensors.BoundingBoxes`` of shape ``(T, N, 4)`` (box ``n`` on frame ``t``).

    torchvision's ``BoundingBoxes`` constructor accepts ``(N, 4)`` only; this wraps a 3-D tensor with the same
    metadata (its ``_wrap(check_dims=False)``, which torchvision itself uses for such outputs). A box with zero
    width or height marks an object that is not in that frame.

    Example:
        >>> import torch
        >>> track = box_track(torch.tensor([[[0, 0, 4, 4]], [[1, 1, 5, 5]]]), format="XYXY", canvas_size=(8, 8))
        >>> tuple(track.shape), track.canvas_size
        ((2, 1, 4), (8, 8))
    """
    tensor = torch.as_tensor(data)
    if tensor.ndim != 3 or tensor.shape[-1] != 4:
        raise ValueError(f"box_track: expected a (T, N, 4) tensor, got shape {tuple(tensor.shape)}")
    if isinstance(format, str):
        format = tv_tensors.BoundingBoxFormat[format.upper()]
    return tv_tensors.BoundingBoxes._wrap(tensor, format=format, canvas_size=tuple(canvas_size),
                                          clamping_mode=clamping_mode, check_dims=False)


@dataclass
class Targets:
    """The video's layout in this call and which clip each ``BoundingBoxes`` belongs to."""

    clip: bool  # the video is one clip (T, C, H, W)
    batch: int
    frames: int
    height: int
    width: int
    box_clip: dict[int, int] = field(default_factory=dict)  # id(boxes) -> clip index
    cache: dict[str, Any] = field(default_factory=dict)  # per-call values shared by the boxes of a batch


def _check_mask(mask: torch.Tensor, t: Targets) -> None:
    lead = (t.frames,) if t.clip else (t.batch, t.frames)
    layouts = "(T, H, W) or (T, K, H, W)" if t.clip else "(B, T, H, W) or (B, T, K, H, W)"
    n = len(lead)
    ok = mask.ndim in (n + 2, n + 3) and tuple(mask.shape[:n]) == lead \
        and tuple(mask.shape[-2:]) == (t.height, t.width)
    if not ok:
        dims = dict(zip("BT", lead, strict=False)) if not t.clip else {"T": t.frames}
        raise ValueError(f"mask: expected {layouts} with {', '.join(f'{k}={v}' for k, v in dims.items())}, "
                         f"H={t.height}, W={t.width} (the video's), got shape {tuple(mask.shape)}")


def _check_boxes(boxes: tv_tensors.BoundingBoxes, t: Targets) -> None:
    if tv_tensors.is_rotated_bounding_format(boxes.format):
        raise TypeError(f"boxes: expected an unrotated format (XYXY, XYWH, CXCYWH), got {boxes.format.name}")
    per_frame = boxes.ndim == 3 and boxes.shape[0] == t.frames
    if boxes.shape[-1] != 4 or not (boxes.ndim == 2 or per_frame):
        raise ValueError(f"boxes: expected (N, 4) boxes on every frame or a (T, N, 4) track with T={t.frames}, "
                         f"got shape {tuple(boxes.shape)}")
    if tuple(boxes.canvas_size) != (t.height, t.width):
        raise ValueError(f"boxes: expected canvas_size {(t.height, t.width)} (the video's H, W), "
                         f"got {tuple(boxes.canvas_size)}")


def collect_targets(flat_inputs: list[Any], video: torch.Tensor) -> Targets | None:
    """Check every mask and box among ``flat_inputs`` against ``video``; ``None`` when there is none."""
    masks = [x for x in flat_inputs if isinstance(x, tv_tensors.Mask)]
    boxes = [x for x in flat_inputs if isinstance(x, tv_tensors.BoundingBoxes)]
    if not masks and not boxes:
        return None
    clip = video.ndim == 4
    t = Targets(clip, 1 if clip else video.shape[0], *video.shape[-4:-3], *video.shape[-2:])
    for m in masks:
        _check_mask(m, t)
    if len(boxes) % t.batch:
        raise ValueError(f"boxes: expected one BoundingBoxes per clip of the batch (B={t.batch}, or a multiple "
                         f"for several lists of B), got {len(boxes)}")
    for i, bb in enumerate(boxes):
        _check_boxes(bb, t)
        t.box_clip[id(bb)] = i % t.batch
    return t


def mask_as_batch(mask: tv_tensors.Mask, t: Targets) -> tuple[torch.Tensor, Callable[[torch.Tensor], Any]]:
    """A plain ``(B, T, K, H, W)`` view of ``mask`` (bool as uint8) and the function that turns a result with
    new ``T``, ``H``, ``W`` back into a ``Mask`` of the caller's layout and dtype."""
    plain = mask.as_subclass(torch.Tensor)
    dtype = plain.dtype
    if dtype == torch.bool:
        plain = plain.view(torch.uint8)
    no_channel = plain.ndim == (3 if t.clip else 4)
    x = plain.unsqueeze(-3) if no_channel else plain
    x = x.unsqueeze(0) if t.clip else x

    def restore(out: torch.Tensor) -> tv_tensors.Mask:
        out = out.squeeze(0) if t.clip else out
        out = out.squeeze(-3) if no_channel else out
        if dtype == torch.bool:
            out = out.view(torch.bool)
        return tv_tensors.wrap(out, like=mask)

    return x, restore


def boxes_as_xyxy(boxes: tv_tensors.BoundingBoxes) -> torch.Tensor:
    """``(F, N, 4)`` float64 ``XYXY`` boxes: ``F = 1`` for boxes on every frame, ``T`` for a track."""
    plain = boxes.as_subclass(torch.Tensor).to(torch.float64)
    xyxy = tvf.convert_bounding_box_format(plain, old_format=boxes.format, new_format=_XYXY)
    return xyxy.unsqueeze(0) if boxes.ndim == 2 else xyxy


def restore_boxes(xyxy: torch.Tensor, like: tv_tensors.BoundingBoxes, canvas_size: tuple[int, int]
                  ) -> tv_tensors.BoundingBoxes:
    """``(F, N, 4)`` ``XYXY`` results back to ``like``'s format, dtype and form (``(N, 4)`` when ``like`` was and
    ``F == 1``; a ``(F, N, 4)`` track otherwise, e.g. when per-frame parameters moved boxes that held on every
    frame), with the new ``canvas_size``."""
    out = tvf.convert_bounding_box_format(xyxy, old_format=_XYXY, new_format=like.format)
    out = out.to(like.dtype)
    if like.ndim == 2 and out.shape[0] == 1:
        return tv_tensors.wrap(out[0], like=like, canvas_size=tuple(canvas_size))
    return tv_tensors.BoundingBoxes._wrap(out, format=like.format, canvas_size=tuple(canvas_size),
                                          clamping_mode=like.clamping_mode, check_dims=False)
