"""One pass for the standard pipeline: crop-and-resize, flip, colour matrix, uint8 -> float scaling, mean/std.

:func:`fused_pipeline` is what :class:`~videoaug.transforms.FusedTransforms` (made by
:func:`~videoaug.transforms.fuse`) runs in place of ``RandomResizedCrop``, ``RandomHorizontalFlip``,
``ColorJitter``, ``ToDtype`` and ``Normalize`` one after the other. Unfused, those are five passes over the batch
in memory, each writing a new tensor (two of them the float output, four times the bytes of the uint8 crop).
Here each cache-sized piece of frames of one clip is read once (only its crop box), resized to a uint8 piece,
flipped, converted, colour-mapped, clamped, rounded, scaled and normalised while it is in the core's cache
(:mod:`videoaug.functional._chunks`), and written once, as float, to the output.

Every step is the same torch operation the unfused kernels apply to the same values, in the same order, so the
result equals the unfused pipeline's to float rounding (on CPU it is bit for bit the same in the tests).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .._video import as_batch
from ._chunks import CHUNK_ELEMENTS, run_chunked
from ._geometry import _interpolate, check_boxes, resized_crop
from ._misc import normalize_coefficients, scale_shift
from ._utils import size_pair

__all__ = ["fused_pipeline"]

# a clip whose colour matrix is this close to the identity (and whose contrast gain is this close to 0) is not
# colour-mapped: on uint8 input the rounding makes that exact; on float input it differs by float rounding
_IDENTITY_ATOL = 1e-6


def _identity_rows(matrix: torch.Tensor, mean_gain: torch.Tensor | None) -> torch.Tensor:
    eye = torch.eye(matrix.shape[-1], device=matrix.device, dtype=matrix.dtype)
    same = (matrix - eye).abs().amax((1, 2)) <= _IDENTITY_ATOL
    if mean_gain is not None:
        same &= mean_gain.abs().amax((1, 2)) <= _IDENTITY_ATOL
    return same


def fused_pipeline(
    video: torch.Tensor,
    box: torch.Tensor | None = None,
    size: int | Sequence[int] | None = None,
    antialias: bool = True,
    flip: torch.Tensor | None = None,
    matrix: torch.Tensor | None = None,
    mean_gain: torch.Tensor | None = None,
    scale: bool = False,
    mean: float | Sequence[float] | None = None,
    std: float | Sequence[float] | None = None,
) -> torch.Tensor:
    """``normalize(to_dtype(color(hflip(resized_crop(video)))))`` in one pass; see
    :func:`~videoaug.transforms.fuse`.

    Args:
        video: clip ``(T, C, H, W)`` or batch ``(B, T, C, H, W)``, uint8 or float32, any strides.
        box: long ``(B, 4)``, each clip's crop box ``(top, left, height, width)``, resized to ``size`` as
            :func:`resized_crop` does (with ``antialias``); ``None`` for no crop.
        flip: bool ``(B,)``, the clips to mirror left-right (:func:`hflip`); ``None`` for none.
        matrix: ``(B, C, C)`` colour matrix per clip and ``mean_gain`` ``(B, C, C)`` or ``None`` its contrast
            term, as :func:`color_jitter_params` returns them; applied as :func:`apply_color_affine` does
            (clamped to the input's range and, for uint8 input, rounded to uint8 levels). ``None``: no colour.
        scale: divide by 255 after the colour step (``ToDtype(float32, scale=True)`` on uint8 input); the
            output is then float32. Ignored for float32 input.
        mean, std: ``Normalize``'s, applied last (the output is float32); ``None`` for no normalisation.

    Returns:
        The input's shape and layout type; float32 when ``scale`` or ``mean`` is given or the input is float32,
        else uint8.
    """
    batch, restore = as_batch(video)
    b, t, c, h, w = batch.shape
    dev = batch.device
    is_u8 = batch.dtype == torch.uint8
    if batch.dtype not in (torch.uint8, torch.float32):
        raise TypeError(f"fused_pipeline: expected a uint8 or float32 video, got {batch.dtype}")
    if (mean is None) != (std is None):
        raise ValueError("fused_pipeline: expected both mean and std, or neither")
    if is_u8 and mean is not None and not scale:
        raise TypeError("fused_pipeline: normalising uint8 needs scale=True (Normalize needs float input)")
    if box is not None:
        if size is None:
            raise ValueError("fused_pipeline: a crop box needs an output size")
        box = torch.as_tensor(box, device=dev).long()
        if box.shape != (b, 4):
            raise ValueError(f"box: expected shape ({b}, 4) (top, left, height, width per clip), got "
                             f"{tuple(box.shape)}")
        check_boxes(*box.unbind(1), h, w)
        size = size_pair(size)
    to_float = not is_u8 or scale
    out_dtype = torch.float32 if to_float else torch.uint8
    if flip is not None:
        flip = torch.as_tensor(flip, device=dev).reshape(-1).bool()
        if flip.shape != (b,):
            raise ValueError(f"flip: expected shape ({b},), got {tuple(flip.shape)}")
    mats = gains = None
    if matrix is not None:
        if matrix.shape != (b, c, c):
            raise ValueError(f"matrix: expected shape ({b}, {c}, {c}), got {tuple(matrix.shape)}")
        if mean_gain is not None and mean_gain.shape != (b, c, c):
            raise ValueError(f"mean_gain: expected shape ({b}, {c}, {c}), got {tuple(mean_gain.shape)}")
        mats = matrix.to(device=dev, dtype=torch.float32)
        gains = None if mean_gain is None else mean_gain.to(device=dev, dtype=torch.float32)
    bound = 255.0 if is_u8 else 1.0
    k = torch.tensor(1.0 / 255, dtype=torch.float32) if is_u8 and scale else None
    norm = None if mean is None else normalize_coefficients(mean, std, c, torch.float32, dev)
    norm = None if norm is None else (norm[0].view(c, 1), norm[1].view(c, 1))
    oh, ow = (h, w) if box is None else size
    out = torch.empty((b, t, c, oh, ow), dtype=out_dtype, device=dev)

    offset = torch.full((1, c, 1), 0.5 if is_u8 else 0.0, device=dev)  # +0.5, then truncation = rounding

    def finish(y: torch.Tensor, dst: torch.Tensor, m: torch.Tensor | None, g: torch.Tensor | None) -> None:
        """Float frames ``y (n, C, H*W)`` -> colour, clamp, round, scale, normalise -> ``dst``."""
        n = y.shape[0]
        if m is not None:
            o = offset.expand(n, c, 1)
            if g is not None:
                o = torch.baddbmm(o, g, y.mean(-1, keepdim=True))
            y = torch.baddbmm(o, m, y).clamp_(0, bound)
            if is_u8:
                y.floor_()  # >= 0 after the clamp: the truncation of the unfused uint8 write
        if k is not None:
            y.mul_(k)
        if norm is not None:
            scale_shift(y, norm[0], norm[1], dst)
        else:
            dst.copy_(y)

    if dev.type != "cpu":  # one batched pass over all frames of all clips
        x = batch if box is None else resized_crop(batch, *box.unbind(1), size, antialias=antialias)
        x = x if flip is None else torch.where(flip.view(b, 1, 1, 1, 1), x.flip(-1), x)
        y = x.to(torch.float32).reshape(b * t, c, oh * ow)
        m = None if mats is None else mats.repeat_interleave(t, 0)
        g = None if gains is None else gains.repeat_interleave(t, 0)
        finish(y, out.view(b * t, c, oh * ow), m, g)
        return restore(out)

    # CPU: pieces of whole frames of one clip, each small enough to stay in cache from read to write
    flips = [False] * b if flip is None else flip.tolist()
    colour = [False] * b if mats is None else (~_identity_rows(mats, gains)).tolist()
    boxes = None if box is None else box.tolist()

    def piece(i: int, f0: int, f1: int) -> None:
        x = batch[i, f0:f1]
        if boxes is not None:
            y0, x0, bh, bw = boxes[i]
            x = x[..., y0:y0 + bh, x0:x0 + bw]
            if (bh, bw) != (oh, ow):
                x = _interpolate(x, size, antialias)
        if flips[i]:
            x = x.flip(-1)
        n = f1 - f0
        dst = out[i, f0:f1].view(n, c, oh * ow)
        if not (colour[i] or k is not None or norm is not None):  # no float step
            dst.copy_(x.reshape(n, c, oh * ow))
            return
        y = torch.empty((n, c, oh, ow), dtype=torch.float32, device=dev).copy_(x).view(n, c, oh * ow)
        if colour[i]:
            finish(y, dst, mats[i].expand(n, c, c), None if gains is None else gains[i].expand(n, c, c))
        else:
            finish(y, dst, None, None)

    per = max(1, min(t, CHUNK_ELEMENTS // (c * oh * ow)))  # the float working copy of a piece stays in cache
    pieces = [(i, f0, min(f0 + per, t)) for i in range(b) for f0 in range(0, t, per)]
    run_chunked(lambda s, e: [piece(*pieces[j]) for j in range(s, e)], len(pieces), 1)
    return restore(out)
