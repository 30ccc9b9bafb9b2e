"""Smooth warp kernel: an affine part plus a coarse displacement field, one ``grid_sample`` per batch.

See :class:`videoaug.transforms.RandomSmoothWarp` for the semantics. The conventions are those of the RCGAN
generator's :meth:`videoaug.gan.networks.Generator.apply_fields` (the two give the same warp for the same
fields): coordinates are normalised with ``align_corners=False`` (``-1`` and ``1`` are the outer edges of the
frame, 1.0 is half a side), the fields describe where each *output* pixel is sampled from, so

    grid(x) = (I + affine) x + shift + upsample(warp)(x),    out(x) = video(grid(x)),

and content moves by ``-shift`` (a positive x-shift moves the picture left). ``warp`` is a coarse ``(2, gh, gw)``
field of (x, y) displacements upsampled to ``H x W`` with bilinear interpolation (``align_corners=False``): the
value of control point ``(i, j)`` sits at the centre of cell ``(i, j)`` of a ``gh x gw`` tiling of the frame,
values are interpolated linearly between centres and held constant in the outer half cells, so the upsampled
field never exceeds the largest control value.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ._geometry import _compute_dtype, _grid_sample, _to_dtype
from ._utils import fill_tensor, interpolation_name

__all__ = ["smooth_warp", "smooth_warp_grid", "smooth_warp_points"]

PADDING_MODES = ("zeros", "border", "reflection")


def _per_frame(x: torch.Tensor | None, tail: tuple[int, ...], b: int, t: int, name: str, what: str,
               device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor | None, bool]:
    """``x`` as ``(B, ...)`` (per clip, returns False) or ``(B, T, ...)`` (per frame, returns True)."""
    if x is None:
        return None, False
    x = torch.as_tensor(x, device=device).to(dtype)
    n = len(tail)
    if x.ndim == n + 1 and tuple(x.shape[1:]) == tail and x.shape[0] in (1, b):
        return x.expand(b, *tail), False
    if x.ndim == n + 2 and tuple(x.shape[2:]) == tail and x.shape[0] in (1, b) and x.shape[1] in (1, t):
        return x.expand(b, t, *tail), True
    raise ValueError(f"{name}: expected {what} per clip (B={b}) or per frame (B={b}, T={t}), "
                     f"got shape {tuple(x.shape)}")


def smooth_warp_grid(
    size: tuple[int, int],
    shift: torch.Tensor | None,
    affine: torch.Tensor | None = None,
    warp: torch.Tensor | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """The ``grid_sample`` grid of :func:`smooth_warp` for frames of ``size = (H, W)``.

    Args:
        size: output ``(H, W)``.
        shift: ``(N, 2)`` translation (x, y) in normalised units, or None.
        affine: ``(N, 2, 2)`` deviation of the linear part from the identity, or None.
        warp: ``(N, 2, gh, gw)`` coarse displacement (x, y) in normalised units, or None.
        dtype: dtype of the grid.

    Returns:
        ``(N, H, W, 2)`` sampling positions (x, y) in ``grid_sample``'s normalised coordinates.
    """
    h, w = size
    given = [v for v in (shift, affine, warp) if v is not None]
    if not given:
        raise ValueError("smooth_warp_grid: expected at least one of shift, affine, warp")
    n, device = given[0].shape[0], given[0].device
    theta = torch.eye(2, 3, dtype=dtype, device=device).repeat(n, 1, 1)
    if affine is not None:
        theta[:, :, :2] += affine.to(dtype)
    if shift is not None:
        theta[:, :, 2] += shift.to(dtype)
    grid = F.affine_grid(theta, [n, 1, h, w], align_corners=False)
    if warp is not None:
        flow = F.interpolate(warp.to(dtype), size=(h, w), mode="bilinear", align_corners=False)
        grid = grid + flow.permute(0, 2, 3, 1)
    return grid


def smooth_warp(
    video: torch.Tensor,
    shift: torch.Tensor | None = None,
    affine: torch.Tensor | None = None,
    warp: torch.Tensor | None = None,
    interpolation="bilinear",
    padding_mode: str = "zeros",
    fill: float | Sequence[float] | None = 0.0,
) -> torch.Tensor:
    """Warp each clip by an affine part plus an upsampled coarse displacement field.

    See :class:`videoaug.transforms.RandomSmoothWarp` and the module docstring for the conventions (those of the
    RCGAN generator). Each field is given per clip (one warp for every frame of the clip: frames and channels
    share one grid) or per frame (a leading ``(B, T)``); a field that is None is zero.

    Args:
        video: batch ``(B, T, C, H, W)``, uint8 or float (any dtype with ``interpolation="nearest"``, e.g. masks).
        shift: ``(B, 2)`` or ``(B, T, 2)`` translation (x, y) in normalised units (1.0 = half the side).
        affine: ``(B, 2, 2)`` or ``(B, T, 2, 2)`` deviation of the affine linear part from the identity.
        warp: ``(B, 2, gh, gw)`` or ``(B, T, 2, gh, gw)`` coarse displacement (x, y) in normalised units.
        interpolation: ``"bilinear"`` or ``"nearest"`` (or an ``InterpolationMode``).
        padding_mode: what pixels pulled from outside the frame get: ``"zeros"`` (``fill``), ``"border"`` (the
            nearest edge pixel) or ``"reflection"`` (the frame mirrored at its edges).
        fill: with ``"zeros"``, the value outside the frame (a number or one per channel, in the input's range);
            a pixel half inside gets the area-weighted mix of inside and ``fill``. None or 0: plain zeros.

    Returns:
        ``(B, T, C, H, W)`` with the input's dtype and device.
    """
    b, t, c, h, w = video.shape
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode: expected one of {PADDING_MODES}, got {padding_mode!r}")
    mode = interpolation_name(interpolation)
    cdt = _compute_dtype(video.dtype)
    dev = video.device
    shift, f1 = _per_frame(shift, (2,), b, t, "shift", "(B, 2)", dev, cdt)
    affine, f2 = _per_frame(affine, (2, 2), b, t, "affine", "(B, 2, 2)", dev, cdt)
    gh_gw = tuple(warp.shape[-2:]) if warp is not None and warp.ndim >= 3 else (1, 1)
    warp, f3 = _per_frame(warp, (2, *gh_gw), b, t, "warp", "(B, 2, gh, gw)", dev, cdt)
    given = [v for v in (shift, affine, warp) if v is not None]
    if not given or not any(bool(v.ne(0).any()) for v in given):
        return video.clone()
    per_frame = f1 or f2 or f3
    if per_frame:  # one grid per frame: frames become clips of one frame
        def frames(v, per, tail):
            if v is None:
                return None
            return (v if per else v[:, None].expand(b, t, *tail)).reshape(b * t, *tail)

        shift, affine, warp = (frames(shift, f1, (2,)), frames(affine, f2, (2, 2)),
                               frames(warp, f3, (2, *gh_gw)))
        x = video.reshape(b * t, 1, c, h, w)
    else:
        x = video
    grid = smooth_warp_grid((h, w), shift, affine, warp, dtype=cdt)
    fill_t = None
    if padding_mode == "zeros" and fill is not None:
        fill_t = fill_tensor(fill, c, cdt, dev)
        if not bool(fill_t.ne(0).any()):
            fill_t = None
    if fill_t is None:
        out = _grid_sample(x, grid, mode, None, padding_mode)
    else:  # exact fill: sample (x - fill) with zero padding, add fill back
        out = _grid_sample(x.to(cdt) - fill_t, grid, mode, None, padding_mode).add_(fill_t)
        out = _to_dtype(out, video.dtype)
    return out.reshape(b, t, c, h, w)


def smooth_warp_points(points: torch.Tensor, size: tuple[int, int], shift: torch.Tensor | None = None,
                       affine: torch.Tensor | None = None, warp: torch.Tensor | None = None,
                       iterations: int = 12) -> torch.Tensor:
    """Where :func:`smooth_warp` moves input points: the output position ``x`` with ``grid(x) = p``.

    The grid maps output to input, ``grid(x) = (I + A) x + s + d(x)``; its inverse is found by the fixed-point
    iteration ``x <- (I + A)^-1 (p - s - d(x))`` (a contraction for the small, smooth fields the warp is made
    for; ``d`` is the upsampled coarse field, evaluated anywhere by ``grid_sample`` with border padding, which is
    what ``interpolate(align_corners=False)`` gives at pixel centres).

    Args:
        points: ``(N, P, 2)`` input points (x, y) in continuous pixel coordinates (``[0, W] x [0, H]``).
        size: the frame's ``(H, W)``.
        shift, affine, warp: one clip's fields each, per row ``n``: ``(N, 2)``, ``(N, 2, 2)``,
            ``(N, 2, gh, gw)`` (None: zero).
        iterations: fixed-point steps.

    Returns:
        ``(N, P, 2)`` output points, float64.
    """
    h, w = size
    n = points.shape[0]
    dev = points.device
    scale = torch.tensor([2.0 / w, 2.0 / h], dtype=torch.float64, device=dev)
    p = points.to(torch.float64) * scale - 1.0  # normalised, align_corners=False
    lin = torch.eye(2, dtype=torch.float64, device=dev).expand(n, 2, 2)
    if affine is not None:
        lin = lin + affine.to(torch.float64)
    inv = torch.linalg.inv(lin)
    target = p - (shift.to(torch.float64)[:, None] if shift is not None else 0.0)
    x = target @ inv.transpose(1, 2)
    if warp is not None:
        field = warp.to(torch.float64)
        for _ in range(iterations):
            d = F.grid_sample(field, x[:, :, None, :], mode="bilinear", padding_mode="border",
                              align_corners=False)[..., 0].transpose(1, 2)  # (N, P, 2)
            x = (target - d) @ inv.transpose(1, 2)
    return (x + 1.0) / scale
