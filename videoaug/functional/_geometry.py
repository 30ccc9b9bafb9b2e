"""Spatial kernels on batches ``(B, T, C, H, W)`` with explicit per-clip parameters.

The classes in :mod:`videoaug.transforms._geometry` document the semantics; each kernel here matches the
torchvision ``v2.functional`` kernel of the same name applied to every clip with that clip's parameters:

- crop-and-resize (:func:`resized_crop`) is one separable bilinear resample whose per-clip weights are exactly
  those of torch's ``interpolate(mode="bilinear", antialias=True)`` (a triangle filter widened by the
  scale factor when shrinking). When every clip has the same box it *is* ``interpolate`` (torch's own
  vectorised kernel, uint8 stays uint8 on CPU). With per-clip boxes on a GPU, the per-clip weights are
  applied in output tiles of 16 pixels with batched matrix products over a gather of only the rows and
  columns each tile needs, so a uint8 clip is converted to float only on its cropped rows; on CPU torch's
  ``interpolate`` runs on each clip's crop view instead (measured ~9x faster there, see
  :func:`resized_crop`), which needs no float copy of a uint8 clip at all;
- rotation, affine and perspective build one sampling grid per clip with torchvision's formulas and run one
  ``grid_sample`` over the whole batch (frames and channels folded into channels), with torchvision's fill
  rule.

uint8 input is computed in float32 and rounded back; float64 is computed in float64, other floats in float32.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ._utils import fill_tensor, interpolation_name, per_clip, size_pair

__all__ = [
    "resized_crop",
    "resize",
    "crop",
    "center_crop",
    "pad",
    "hflip",
    "affine",
    "rotate",
    "perspective",
    "affine_inverse_matrix",
    "perspective_coefficients",
    "output_size_short_side",
]

_TILE = 16  # output pixels per tile of the banded resample


def _compute_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


def _to_dtype(out: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    if dtype == torch.uint8:
        return out.round_().clamp_(0, 255).to(torch.uint8)
    return out.to(dtype)


def _as_long(x: torch.Tensor | int | Sequence[int], batch: int, device: torch.device, name: str
             ) -> torch.Tensor:
    t = torch.as_tensor(x, device=device).reshape(-1).long()
    if t.numel() == 1:
        t = t.expand(batch)
    if t.numel() != batch:
        raise ValueError(f"{name}: expected one value or one per clip ({batch}), got {t.numel()}")
    return t


# ----------------------------------------------------------------------------------------------------
# crop and resize
# ----------------------------------------------------------------------------------------------------
def _taps(start: torch.Tensor, length: torch.Tensor, out_size: int, antialias: bool, dtype: torch.dtype
          ) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-clip 1-D bilinear resampling of ``[start, start + length)`` to ``out_size`` samples.

    Returns ``first`` (B, O) absolute index of each output's first tap and ``w`` (B, O, K) its K weights, the
    weights of torch's ``_upsample_bilinear2d_aa`` (``antialias``) or plain half-pixel bilinear (not).
    """
    length = length.to(torch.float64)
    scale = length / out_size
    wide = (scale >= 1) if antialias else torch.zeros_like(scale, dtype=torch.bool)
    support = torch.where(wide, scale, torch.ones_like(scale))
    inv = torch.where(wide, 1.0 / scale, torch.ones_like(scale))
    k = int(math.ceil(float(support.max()))) * 2 + 1
    o = torch.arange(out_size, dtype=torch.float64, device=length.device)
    center = scale[:, None] * (o + 0.5)
    first = torch.floor(center - support[:, None] + 0.5).clamp(min=0)
    first = torch.minimum(first, length[:, None] - 1)
    j = first[..., None] + torch.arange(k, dtype=torch.float64, device=length.device)
    w = (1 - ((j + 0.5 - center[..., None]) * inv[:, None, None]).abs()).clamp(min=0)
    w = torch.where(j < length[:, None, None], w, torch.zeros_like(w))
    w = w / w.sum(-1, keepdim=True)
    return first.long() + start[:, None], w.to(dtype)


def _tiles(first: torch.Tensor, w: torch.Tensor, n_in: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cut a banded (B, O, n_in) resampling into output tiles of ``_TILE``.

    Returns ``mats`` (B, nb, tile, r): each tile's dense weights over its input window, and ``starts``
    (B, nb): where each window starts. ``r`` is the widest window over clips and tiles, at most ``n_in``.
    """
    b, o, k = w.shape
    nb = -(-o // _TILE)
    pad_o = nb * _TILE - o
    if pad_o:
        first = torch.cat([first, first[:, -1:].expand(b, pad_o)], 1)
        w = torch.cat([w, w.new_zeros(b, pad_o, k)], 1)
    first = first.view(b, nb, _TILE)
    starts = first[..., 0]
    r = min(int((first[..., -1] + k - starts).max()), n_in)
    starts = starts.clamp(max=n_in - r)
    idx = (first - starts[..., None])[..., None] + torch.arange(k, device=w.device)
    mats = w.new_zeros(b, nb, _TILE, r + k)
    mats.scatter_add_(3, idx, w.view(b, nb, _TILE, k))  # taps beyond r have zero weight (outside the frame)
    return mats[..., :r].contiguous(), starts


def _banded_resized_crop(x: torch.Tensor, top, left, height, width, size, antialias) -> torch.Tensor:
    """Per-clip crop-and-resize of ``x`` (B, P, H, W) by two tiled banded matrix products."""
    b, p, h, w_in = x.shape
    oh, ow = size
    cdt = _compute_dtype(x.dtype)
    fy, wy = _taps(top, height, oh, antialias, cdt)
    fx, wx = _taps(left, width, ow, antialias, cdt)
    my, sy = _tiles(fy, wy, h)
    mx, sx = _tiles(fx, wx, w_in)
    nby, ry = my.shape[1], my.shape[3]
    nbx, rx = mx.shape[1], mx.shape[3]
    dev = x.device
    # pass 1 (rows): gather each tile's input rows, laid out (B, nby, ry, P, W), so one matrix per
    # (clip, tile) multiplies all frames and channels at once; emit the result transposed,
    # (B, nby, P, W, tile).
    base = torch.arange(b, device=dev)[:, None, None, None] * p + torch.arange(p, device=dev)
    rows = base * h + (sy[..., None] + torch.arange(ry, device=dev))[..., None]
    g1 = x.reshape(-1, w_in).index_select(0, rows.reshape(-1)).view(b * nby, ry, p * w_in).to(cdt)
    o1 = torch.bmm(g1.transpose(1, 2), my.view(b * nby, _TILE, ry).transpose(1, 2))
    # pass 2 (columns): rows of o1 are (clip, row tile, P, W) with W now an outer index, so the column windows
    # are again a row gather; the result is (B, ow_pad, nby, P, tile).
    n2 = nby * p
    base2 = torch.arange(b, device=dev)[:, None, None, None] * n2 + torch.arange(n2, device=dev)
    rows2 = base2 * w_in + (sx[..., None] + torch.arange(rx, device=dev))[..., None]
    g2 = o1.reshape(-1, _TILE).index_select(0, rows2.reshape(-1)).view(b * nbx, rx, n2 * _TILE)
    o2 = torch.bmm(mx.view(b * nbx, _TILE, rx), g2)
    if x.dtype == torch.uint8:  # round while contiguous; the copy below permutes and converts in one pass
        o2.round_().clamp_(0, 255)
    o2 = o2.view(b, nbx * _TILE, nby, p, _TILE).permute(0, 3, 2, 4, 1).reshape(b, p, nby * _TILE, nbx * _TILE)
    return torch.empty((b, p, oh, ow), dtype=x.dtype, device=dev).copy_(o2[:, :, :oh, :ow])


def _interpolate(x: torch.Tensor, size: tuple[int, int], antialias: bool) -> torch.Tensor:
    """torch's bilinear ``interpolate`` on (N, C, h, w); uint8 natively on CPU (torchvision does the same).

    On CPU a uint8 crop view is first copied to a compact tensor in the layout its storage has, and the output
    keeps that layout: torch's uint8 kernel works channels-last, so frames stored ``(H, W, C)`` (as
    :func:`~videoaug.io.read_clip` returns them) skip its two layout conversions. One thread, 32 clips of 16
    frames 3x110x150 -> 112x112, CPU time: from ``(T, C, H, W)`` storage 50.6 ms with the contiguous copy
    against 64.0 ms on the view; from ``(T, H, W, C)`` storage 36.6 ms against 60.9 ms through a
    ``(T, C, H, W)`` copy. Same output values.
    """
    if x.dtype == torch.uint8 and x.device.type == "cpu":
        stored_hwc = x.shape[-3] > 1 and x.stride(-3) == 1
        fmt = torch.channels_last if stored_hwc else torch.contiguous_format
        return F.interpolate(x.contiguous(memory_format=fmt), size=size, mode="bilinear", align_corners=False,
                             antialias=antialias)
    out = F.interpolate(x.to(_compute_dtype(x.dtype)), size=size, mode="bilinear", align_corners=False,
                        antialias=antialias)
    return _to_dtype(out, x.dtype)


def _per_clip_resized_crop(video, top, left, height, width, size, antialias) -> torch.Tensor:
    """CPU: torch's own vectorised antialias kernel on each clip's crop view (all T frames per call)."""
    b, t, c = video.shape[:3]
    out = torch.empty((b, t, c, *size), dtype=video.dtype, device=video.device)
    for i, (y, x, h, w) in enumerate(zip(top.tolist(), left.tolist(), height.tolist(), width.tolist(),
                                         strict=True)):
        out[i] = _interpolate(video[i, :, :, y:y + h, x:x + w], size, antialias)
    return out


def check_boxes(top: torch.Tensor, left: torch.Tensor, height: torch.Tensor, width: torch.Tensor, h: int, w: int
                ) -> None:
    """``ValueError`` unless every box ``(top, left, height, width)`` (``(B,)`` each) lies inside an ``h x w``
    frame."""
    outside = (top < 0) | (left < 0) | (height < 1) | (width < 1) | (top + height > h) | (left + width > w)
    if bool(outside.any()):
        raise ValueError(f"resized_crop: expected boxes inside the {h}x{w} frame, got top={top.tolist()}, "
                         f"left={left.tolist()}, height={height.tolist()}, width={width.tolist()}")


def resized_crop(
    video: torch.Tensor,
    top: torch.Tensor | int,
    left: torch.Tensor | int,
    height: torch.Tensor | int,
    width: torch.Tensor | int,
    size: int | Sequence[int],
    antialias: bool = True,
    batched: bool | None = None,
) -> torch.Tensor:
    """Crop box ``(top, left, height, width)`` of each clip and resize it to ``size`` (bilinear).

    See :class:`videoaug.transforms.RandomResizedCrop`. Equals torchvision's ``resized_crop`` on each clip
    (uint8: within 1 level, torch's uint8 kernel rounds its weights to fixed point).

    Args:
        video: batch ``(B, T, C, H, W)``.
        top, left, height, width: one int or one per clip (``(B,)`` tensors); boxes must lie inside the frame.
        size: output ``(height, width)`` or one int for both.
        antialias: widen the filter when shrinking, as torchvision's ``antialias=True``.
        batched: ``True``: the batched banded resample (one set of kernels for the whole batch);
            ``False``: torch's ``interpolate`` on each clip's crop. ``None`` (default) picks per device:
            ``False`` on CPU, where torch's hand-vectorised uint8/float resize kernel touches only the
            filter taps and measured ~9x faster than the banded matrix products on 32 clips
            16x3x128x171 -> 112 (one thread), and ``True`` elsewhere (GPU), where one batched kernel
            beats B small launches.

    Returns:
        ``(B, T, C, size[0], size[1])``, the input's dtype.
    """
    b, t, c, h, w = video.shape
    size = size_pair(size)
    dev = video.device
    top, left = _as_long(top, b, dev, "top"), _as_long(left, b, dev, "left")
    height, width = _as_long(height, b, dev, "height"), _as_long(width, b, dev, "width")
    check_boxes(top, left, height, width, h, w)
    box = torch.stack([top, left, height, width], 1)
    if bool((box == box[:1]).all()):  # one box for every clip: a view and torch's own kernel
        t0, l0, h0, w0 = (int(v) for v in box[0])
        crop_ = video[..., t0:t0 + h0, l0:l0 + w0]
        if (h0, w0) == size:
            return crop_.clone()
        # the kernel keeps a (T, H, W, C) storage; the transforms after it run fastest on contiguous frames
        return _interpolate(crop_.reshape(b * t, c, h0, w0), size, antialias).contiguous().view(b, t, c, *size)
    if batched is None:
        batched = video.device.type != "cpu"
    if not batched:
        return _per_clip_resized_crop(video, top, left, height, width, size, antialias)
    out = _banded_resized_crop(video.reshape(b, t * c, h, w), top, left, height, width, size, antialias)
    return out.view(b, t, c, *size)


def output_size_short_side(height: int, width: int, size: int, max_size: int | None = None
                           ) -> tuple[int, int]:
    """torchvision's rule for ``Resize(int)``: the shorter side becomes ``size``, the other keeps the
    aspect ratio."""
    short, long = (height, width) if height <= width else (width, height)
    new_short, new_long = size, int(size * long / short)
    if max_size is not None and new_long > max_size:
        new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_short, new_long) if height <= width else (new_long, new_short)


def resized_size(height: int, width: int, size: int | Sequence[int], max_size: int | None = None
                 ) -> tuple[int, int]:
    """The output ``(height, width)`` of :func:`resize`: ``size`` itself, or for one int the shorter side."""
    if isinstance(size, int) or (isinstance(size, Sequence) and len(size) == 1):
        s = size if isinstance(size, int) else size[0]
        return output_size_short_side(height, width, int(s), max_size)
    return size_pair(size)


def resize(video: torch.Tensor, size: int | Sequence[int], antialias: bool = True,
           max_size: int | None = None) -> torch.Tensor:
    """Resize every frame to ``size`` (bilinear). See :class:`videoaug.transforms.Resize`.

    Args:
        video: batch ``(B, T, C, H, W)``.
        size: ``(height, width)``, or one int: the shorter side (torchvision's rule).
        antialias: as torchvision's.
        max_size: with an int ``size``, bound on the longer side.
    """
    b, t, c, h, w = video.shape
    out_size = resized_size(h, w, size, max_size)
    if out_size == (h, w):
        return video.clone()
    out = _interpolate(video.reshape(b * t, c, h, w), out_size, antialias).contiguous()  # as in resized_crop
    return out.view(b, t, c, *out_size)


def crop(video: torch.Tensor, top: torch.Tensor | int, left: torch.Tensor | int, height: int, width: int
         ) -> torch.Tensor:
    """Per-clip crop of a ``height x width`` box at ``(top, left)``.

    See :class:`videoaug.transforms.RandomCrop`.

    Args:
        video: batch ``(B, T, C, H, W)``.
        top, left: one int or one per clip; the box must lie inside the frame.
        height, width: box size, the same for every clip.
    """
    b, t, c, h, w = video.shape
    dev = video.device
    top, left = _as_long(top, b, dev, "top"), _as_long(left, b, dev, "left")
    if height > h or width > w:
        raise ValueError(f"crop: expected a crop no larger than the {h}x{w} frame, got {height}x{width}")
    if bool(((top < 0) | (left < 0) | (top + height > h) | (left + width > w)).any()):
        raise ValueError(f"crop: expected {height}x{width} boxes inside the {h}x{w} frame, "
                         f"got top={top.tolist()}, left={left.tolist()}")
    if bool((top == top[0]).all() and (left == left[0]).all()):
        t0, l0 = int(top[0]), int(left[0])
        return video[..., t0:t0 + height, l0:l0 + width].clone()
    # rows by index_select (contiguous rows of W), then columns by one gather on the smaller tensor
    p = t * c
    rows = (torch.arange(b * p, device=dev).view(b, p, 1) * h
            + (top.view(b, 1, 1) + torch.arange(height, device=dev)))
    r = video.reshape(-1, w).index_select(0, rows.reshape(-1)).view(b, p * height, w)
    cols = (left.view(b, 1, 1) + torch.arange(width, device=dev)).expand(b, p * height, width)
    return torch.gather(r, 2, cols).view(b, t, c, height, width)


def center_crop(video: torch.Tensor, size: int | Sequence[int]) -> torch.Tensor:
    """Crop the central ``size`` box of every clip (torchvision's rounding). See
    :class:`videoaug.transforms.CenterCrop`."""
    h, w = video.shape[-2:]
    ch, cw = size_pair(size)
    if ch > h or cw > w:
        raise ValueError(f"center_crop: expected a crop no larger than the {h}x{w} frame, got {ch}x{cw}")
    top, left = int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))
    return video[..., top:top + ch, left:left + cw].clone()


def pad(video: torch.Tensor, padding: Sequence[int], fill: float = 0.0, padding_mode: str = "constant"
        ) -> torch.Tensor:
    """Pad every frame by ``(left, top, right, bottom)`` (torchvision's order).

    Args:
        padding_mode: ``constant`` (with ``fill`` in the input's value range), ``edge``, ``reflect``,
            ``symmetric``.
    """
    left, top, right, bottom = (int(v) for v in padding)
    b, t, c, h, w = video.shape
    if min(left, top, right, bottom) < 0:
        raise ValueError(f"padding: expected (left, top, right, bottom) >= 0, got {tuple(padding)}")
    if padding_mode == "reflect" and (max(left, right) >= w or max(top, bottom) >= h):
        raise ValueError(
            f"padding: padding_mode='reflect' mirrors the frame without its edge, so each side's padding must be "
            f"smaller than the frame: got (left, top, right, bottom)={(left, top, right, bottom)} for a {h}x{w} "
            "frame; use a smaller padding or padding_mode='symmetric', 'edge' or 'constant'")
    flat = video.reshape(b * t, c, h, w)
    if padding_mode == "constant":
        out = F.pad(flat, (left, right, top, bottom), mode="constant", value=float(fill))
    elif padding_mode in ("edge", "reflect"):
        mode = "replicate" if padding_mode == "edge" else "reflect"
        x = flat if flat.is_floating_point() else flat.float()
        out = F.pad(x, (left, right, top, bottom), mode=mode).to(video.dtype)
    elif padding_mode == "symmetric":
        hi = torch.arange(-top, h + bottom, device=video.device)
        wi = torch.arange(-left, w + right, device=video.device)
        hi = torch.where(hi < 0, -hi - 1, torch.where(hi >= h, 2 * h - 1 - hi, hi)).clamp(0, h - 1)
        wi = torch.where(wi < 0, -wi - 1, torch.where(wi >= w, 2 * w - 1 - wi, wi)).clamp(0, w - 1)
        out = flat[..., hi, :][..., wi]
    else:
        raise ValueError(f"padding_mode: expected constant, edge, reflect or symmetric, got {padding_mode!r}")
    return out.view(b, t, c, *out.shape[-2:])


def hflip(video: torch.Tensor, flip: torch.Tensor | bool = True) -> torch.Tensor:
    """Mirror left-right the clips where ``flip`` is true.

    See :class:`videoaug.transforms.RandomHorizontalFlip`.

    Args:
        video: batch ``(B, T, C, H, W)``.
        flip: one bool or ``(B,)`` bools.
    """
    b = video.shape[0]
    flip = torch.as_tensor(flip, device=video.device).reshape(-1).bool()
    if flip.numel() == 1:
        flip = flip.expand(b)
    if bool(flip.all()):
        return video.flip(-1)
    out = video.clone()
    idx = flip.nonzero().squeeze(1)
    if idx.numel():
        out[idx] = video[idx].flip(-1)
    return out


# ----------------------------------------------------------------------------------------------------
# warps: one grid per clip, one grid_sample per batch
# ----------------------------------------------------------------------------------------------------
def affine_inverse_matrix(angle: torch.Tensor, translate: torch.Tensor, scale: torch.Tensor,
                          shear: torch.Tensor, center: torch.Tensor) -> torch.Tensor:
    """torchvision's ``_get_inverse_affine_matrix`` for a batch: ``(B,)`` angle in degrees, ``(B, 2)``
    translate, ``(B,)`` scale, ``(B, 2)`` shear in degrees, ``(B, 2)`` center relative to the frame
    centre; returns the ``(B, 2, 3)`` matrix mapping output pixels to input pixels (float64)."""
    angle, translate, scale, shear, center = (
        v.to(torch.float64) for v in (angle, translate, scale, shear, center))
    rot = torch.deg2rad(angle)
    sx, sy = torch.deg2rad(shear[:, 0]), torch.deg2rad(shear[:, 1])
    cx, cy = center[:, 0], center[:, 1]
    tx, ty = translate[:, 0], translate[:, 1]
    cos_sy, tan_sx = torch.cos(sy), torch.tan(sx)
    a = torch.cos(rot - sy) / cos_sy
    b = -(a * tan_sx + torch.sin(rot))
    c = torch.sin(rot - sy) / cos_sy
    d = torch.cos(rot) - c * tan_sx
    m0, m1, m3, m4 = d / scale, -b / scale, -c / scale, a / scale
    m2 = cx - m0 * (cx + tx) - m1 * (cy + ty)
    m5 = cy - m3 * (cx + tx) - m4 * (cy + ty)
    return torch.stack([m0, m1, m2, m3, m4, m5], 1).view(-1, 2, 3)


def perspective_coefficients(startpoints: torch.Tensor, endpoints: torch.Tensor) -> torch.Tensor:
    """torchvision's ``_get_perspective_coeffs`` for a batch: ``(B, 4, 2)`` corner points (x, y) -> ``(B, 8)``
    coefficients of the map from ``endpoints`` (output) back to ``startpoints`` (input), float64."""
    s, e = startpoints.to(torch.float64), endpoints.to(torch.float64)
    b = s.shape[0]
    a = s.new_zeros(b, 8, 8)
    ex, ey, sx, sy = e[..., 0], e[..., 1], s[..., 0], s[..., 1]
    one = torch.ones_like(ex)
    a[:, 0::2, 0], a[:, 0::2, 1], a[:, 0::2, 2] = ex, ey, one
    a[:, 1::2, 3], a[:, 1::2, 4], a[:, 1::2, 5] = ex, ey, one
    a[:, 0::2, 6], a[:, 0::2, 7] = -sx * ex, -sx * ey
    a[:, 1::2, 6], a[:, 1::2, 7] = -sy * ex, -sy * ey
    rhs = s.reshape(b, 8)
    # a degenerate quadrilateral (three corners on a line, e.g. on a frame 1 pixel high or wide) has no
    # homography: refuse it by name rather than let LAPACK fail or return garbage
    rank = torch.linalg.matrix_rank(a)
    if bool((rank < 8).any()):
        clip = int((rank < 8).nonzero()[0, 0])
        raise ValueError(
            f"startpoints, endpoints: expected four corners with no three on a line (a perspective needs a frame "
            f"of at least 2x2 pixels), got startpoints {s[clip].tolist()} and endpoints {e[clip].tolist()} for "
            f"clip {clip}")
    return torch.linalg.lstsq(a, rhs.unsqueeze(-1), driver="gels").solution.squeeze(-1)


def _grid_sample(video: torch.Tensor, grid: torch.Tensor, interpolation, fill,
                 padding_mode: str = "zeros") -> torch.Tensor:
    """torchvision's ``_apply_grid_transform`` with one grid per clip: frames and channels share it.

    ``padding_mode`` is ``grid_sample``'s (``zeros``, ``border``, ``reflection``); ``fill`` only acts with
    ``zeros``."""
    b, t, c, h, w = video.shape
    mode = interpolation_name(interpolation)
    cdt = grid.dtype
    x = video.reshape(b, t * c, h, w).to(cdt)
    if padding_mode != "zeros":
        fill = None  # nothing comes from outside the frame
    if fill is not None:  # torchvision's trick: a ones channel tells how much of each output came from inside
        x = torch.cat([x, x.new_ones(b, 1, h, w)], 1)
    out = F.grid_sample(x, grid, mode=mode, padding_mode=padding_mode, align_corners=False)
    oh, ow = grid.shape[1:3]
    if fill is not None:
        img, mask = out[:, :-1].view(b, t, c, oh, ow), out[:, -1:].view(b, 1, 1, oh, ow)
        fill_t = fill_tensor(fill, c, cdt, video.device)
        if mode == "nearest":
            out = torch.where(mask < 0.5, fill_t, img)
        else:
            out = (img - fill_t).mul_(mask).add_(fill_t)
    else:
        out = out.view(b, t, c, oh, ow)
    if video.dtype == torch.uint8:
        return out.round_().clamp_(0, 255).to(torch.uint8)
    return out.to(video.dtype)


def _base_grid(h: int, w: int, dtype, device) -> torch.Tensor:
    ys = torch.linspace((1.0 - h) * 0.5, (h - 1.0) * 0.5, h, dtype=dtype, device=device)
    xs = torch.linspace((1.0 - w) * 0.5, (w - 1.0) * 0.5, w, dtype=dtype, device=device)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx, gy, torch.ones_like(gx)], -1).view(1, h * w, 3)


def _affine_grid(matrix: torch.Tensor, h: int, w: int, dtype) -> torch.Tensor:
    """torchvision's ``_affine_grid`` with one ``(2, 3)`` inverse matrix per clip."""
    theta = matrix.to(dtype)
    base = _base_grid(h, w, dtype, matrix.device)
    rescaled = theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h], dtype=dtype, device=matrix.device)
    return torch.matmul(base, rescaled).view(-1, h, w, 2)


def _centers(center, b: int, h: int, w: int, device) -> torch.Tensor:
    if center is None:
        return torch.zeros(b, 2, dtype=torch.float64, device=device)
    c = torch.as_tensor(center, dtype=torch.float64, device=device).reshape(-1, 2).expand(b, 2)
    return c - torch.tensor([w * 0.5, h * 0.5], dtype=torch.float64, device=device)


def _affine_inverse_per_clip(b: int, h: int, w: int, angle, translate, scale, shear, center,
                             device: torch.device) -> torch.Tensor:
    """:func:`affine_inverse_matrix` ``(B, 2, 3)`` float64 from per-clip (or shared) affine arguments."""
    f64 = torch.float64
    return affine_inverse_matrix(
        per_clip(angle, b, "angle", device, f64), per_clip(translate, b, "translate", device, f64, 2),
        per_clip(scale, b, "scale", device, f64), per_clip(shear, b, "shear", device, f64, 2),
        _centers(center, b, h, w, device),
    )


def affine(
    video: torch.Tensor,
    angle: torch.Tensor | float,
    translate: torch.Tensor | Sequence[float],
    scale: torch.Tensor | float,
    shear: torch.Tensor | Sequence[float],
    interpolation="nearest",
    fill: float | Sequence[float] | None = 0.0,
    center: Sequence[float] | None = None,
) -> torch.Tensor:
    """Per-clip affine warp with torchvision's conventions. See :class:`videoaug.transforms.RandomAffine`.

    Args:
        video: batch ``(B, T, C, H, W)``.
        angle: degrees, ``(B,)`` or one value; positive is counter-clockwise, as torchvision's ``affine``.
        translate: ``(B, 2)`` pixels ``(tx, ty)`` or one pair.
        scale: ``(B,)`` or one value.
        shear: ``(B, 2)`` degrees ``(sx, sy)`` or one pair.
        interpolation: ``"nearest"`` or ``"bilinear"`` (or an ``InterpolationMode``).
        fill: value for pixels from outside the frame, in the input's range; ``None`` is torchvision's plain
            zero padding (no mask blend at the border).
        center: ``(x, y)`` pixel centre of the warp; the frame centre by default.
    """
    b, t, c, h, w = video.shape
    matrix = _affine_inverse_per_clip(b, h, w, angle, translate, scale, shear, center, video.device)
    grid = _affine_grid(matrix, h, w, _compute_dtype(video.dtype))
    return _grid_sample(video, grid, interpolation, fill)


def rotate(video: torch.Tensor, angle: torch.Tensor | float, interpolation="nearest",
           fill: float | Sequence[float] | None = 0.0, center: Sequence[float] | None = None) -> torch.Tensor:
    """Per-clip rotation by ``angle`` degrees counter-clockwise about the centre, keeping the frame size.
    See :class:`videoaug.transforms.RandomRotation`."""
    b = video.shape[0]
    # torchvision's rotate hands -angle to the affine matrix
    neg = -per_clip(angle, b, "angle", video.device, torch.float64)
    zeros2 = torch.zeros(b, 2, dtype=torch.float64, device=video.device)
    return affine(video, neg, zeros2, 1.0, zeros2, interpolation, fill, center)


def perspective(video: torch.Tensor, startpoints: torch.Tensor, endpoints: torch.Tensor,
                interpolation="bilinear", fill: float | Sequence[float] | None = 0.0) -> torch.Tensor:
    """Per-clip perspective warp taking ``startpoints`` to ``endpoints``. See
    :class:`videoaug.transforms.RandomPerspective`.

    Args:
        video: batch ``(B, T, C, H, W)``.
        startpoints, endpoints: ``(B, 4, 2)`` (or ``(4, 2)`` for all clips) corners as (x, y): top-left,
            top-right, bottom-right, bottom-left.
    """
    b, t, c, h, w = video.shape
    dev = video.device
    s = torch.as_tensor(startpoints, device=dev).reshape(-1, 4, 2).expand(b, 4, 2)
    e = torch.as_tensor(endpoints, device=dev).reshape(-1, 4, 2).expand(b, 4, 2)
    coeffs = perspective_coefficients(s, e)
    dtype = _compute_dtype(video.dtype)
    ys = torch.linspace(0.5, h - 0.5, h, dtype=dtype, device=dev)
    xs = torch.linspace(0.5, w - 0.5, w, dtype=dtype, device=dev)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    base = torch.stack([gx, gy, torch.ones_like(gx)], -1).view(1, h * w, 3)
    cf = coeffs.to(dtype)
    theta1 = cf[:, :6].view(b, 2, 3) / torch.tensor([0.5 * w, 0.5 * h], dtype=dtype, device=dev).view(1, 2, 1)
    one = torch.ones(b, 1, dtype=dtype, device=dev)
    theta2 = torch.cat([cf[:, 6:8], one], 1).view(b, 3, 1)
    grid = torch.matmul(base, theta1.transpose(1, 2)) / torch.matmul(base, theta2) - 1.0
    return _grid_sample(video, grid.view(b, h, w, 2), interpolation, fill)
