"""Kernels of the RandAugment-style policies: each op batched over clips with a magnitude per clip.

:func:`augment_ops` applies a per-clip op sequence (``ops``, ``magnitudes``, both ``(B, N)``); it loops over
the sequence positions and over the ops that occur there, never over clips. The magnitudes are torchvision's
signed magnitudes (degrees, pixels, ``factor - 1``, bits, threshold fraction), converted to each op's argument
exactly as ``torchvision.transforms.v2.RandAugment`` converts them, so a clip gets what torchvision would give
it had it drawn the same op and magnitude. Semantics live on :class:`~videoaug.transforms.VideoRandAugment`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torchvision.transforms.v2 import InterpolationMode

from .._video import check_batch, max_value
from . import _chunks
from ._boxes import affine_box_map
from ._color import (  # the colour ops' old import path (videoaug.functional._auto.posterize, ...) keeps working
    _brightness,
    _check_stats,
    _contrast,
    _saturation,
    _sharpness,
    adjust_sharpness,  # noqa: F401
    autocontrast,
    equalize,
    posterize,
    solarize,
)
from ._geometry import affine
from ._utils import check_fill, interpolation_name

__all__ = [
    "AUGMENT_OPS",
    "augment_ops",
    "augment_mask",
    "augment_box_maps",
]

#: The op list of torchvision's RandAugment and TrivialAugmentWide, in their order; ``ops`` index into it.
AUGMENT_OPS = (
    "Identity", "ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness", "Color", "Contrast",
    "Sharpness", "Posterize", "Solarize", "AutoContrast", "Equalize",
)
_OP = {name: i for i, name in enumerate(AUGMENT_OPS)}
_GEOMETRIC = tuple(_OP[n] for n in ("ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate"))

FillType = float | Sequence[float] | None


# -- geometric ops: one batched affine grid_sample -----------------------------------------------------------
def _geometric_args(op: torch.Tensor, magnitude: torch.Tensor, h: int, w: int
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The ``(angle, translate, shear)`` per clip torchvision's RandAugment hands to ``F.affine`` /
    ``F.rotate`` for shear, translate or rotate ops (zeros for the other ops)."""
    m = magnitude.double()
    zero = torch.zeros_like(m)
    shear_x, shear_y = op == _OP["ShearX"], op == _OP["ShearY"]
    # F.rotate takes the angle mod 360 and hands -angle to the affine matrix; at 90-degree steps on odd/even
    # frame sizes samples fall on pixel borders, where the last bit of cos/sin decides, so do exactly the same
    angle = torch.where(op == _OP["Rotate"], -torch.remainder(m, 360.0), zero)
    shear = torch.stack([torch.where(shear_x, torch.rad2deg(torch.atan(m)), zero),
                         torch.where(shear_y, torch.rad2deg(torch.atan(m)), zero)], dim=1)
    # torchvision shears about the top-left corner (center=[0, 0]): about the frame centre, that is the same
    # shear followed by a shift of -tan(shear) * half the other side
    tx = torch.where(op == _OP["TranslateX"], torch.trunc(m), zero) - torch.where(shear_x, m * h * 0.5, zero)
    ty = torch.where(op == _OP["TranslateY"], torch.trunc(m), zero) - torch.where(shear_y, m * w * 0.5, zero)
    return angle, torch.stack([tx, ty], dim=1), shear


def _geometric(video: torch.Tensor, op: torch.Tensor, magnitude: torch.Tensor, interpolation: str,
               fill: list[float] | None) -> torch.Tensor:
    """Shear, translate or rotate each clip by its own op and magnitude with one call of the spatial affine
    kernel (one ``grid_sample``)."""
    if magnitude.ndim == 2:  # per frame (B, T): every frame a one-frame clip with its own matrix
        b, t = magnitude.shape
        out = _geometric(video.reshape(b * t, 1, *video.shape[2:]), op.repeat_interleave(t),
                         magnitude.reshape(-1), interpolation, fill)
        return out.reshape(video.shape)
    angle, translate, shear = _geometric_args(op, magnitude, *video.shape[-2:])
    return affine(video, angle, translate, 1.0, shear, interpolation, fill)


def augment_mask(mask: torch.Tensor, ops: torch.Tensor, magnitudes: torch.Tensor) -> torch.Tensor:
    """Move a ``(B, T, K, H, W)`` mask as :func:`augment_ops` moves its clips: the geometric ops (shear,
    translate, rotate) by nearest neighbour with 0 outside the frame; photometric ops leave it alone."""
    out = mask
    for k in range(ops.shape[1]):
        op_k, mag_k = ops[:, k].to(mask.device), magnitudes[:, k].to(mask.device)
        idx = torch.isin(op_k, torch.tensor(_GEOMETRIC, device=mask.device)).nonzero().flatten()
        if idx.numel():
            out = out.clone() if out is mask else out
            out[idx] = _geometric(out[idx], op_k[idx], mag_k[idx], "nearest", None)
    return out.clone() if out is mask else out


def augment_box_maps(ops: torch.Tensor, magnitudes: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """``(B, 3, 3)`` maps taking each clip's input frame to its output under the op sequence of
    :func:`augment_ops` (the geometric ops composed in order; photometric ops are the identity)."""
    maps = torch.eye(3, dtype=torch.float64, device=ops.device).expand(ops.shape[0], 3, 3)
    for k in range(ops.shape[1]):
        angle, translate, shear = _geometric_args(ops[:, k], magnitudes[:, k].to(ops.device), height, width)
        maps = affine_box_map(angle, translate, 1.0, shear, height, width) @ maps
    return maps


# -- the policy kernel
# ---------------------------------------------------------------------------------------------
def _photometric(op: int, x: torch.Tensor, m: torch.Tensor, stats: str) -> torch.Tensor:
    bound = max_value(x.dtype)
    m5 = m.view(m.shape[0], -1, 1, 1, 1)  # one magnitude per clip, or per frame
    if op == _OP["Brightness"]:
        return _brightness(x, m5)
    if op == _OP["Color"]:
        return _saturation(x, m5)
    if op == _OP["Contrast"]:
        return _contrast(x, m5, stats)
    if op == _OP["Sharpness"]:
        return _sharpness(x, m5.neg())
    if op == _OP["Posterize"]:
        return posterize(x, m.long())
    if op == _OP["Solarize"]:
        return solarize(x, bound * m)
    if op == _OP["AutoContrast"]:
        return autocontrast(x, stats)
    if op == _OP["Equalize"]:
        return equalize(x, stats)
    raise ValueError(f"ops: expected indices into AUGMENT_OPS (0..{len(AUGMENT_OPS) - 1}), got {op}")


def _apply_op(op: int | None, x: torch.Tensor, op_k: torch.Tensor, mag_k: torch.Tensor, mode: str,
              fill: list[float] | None, stats: str) -> torch.Tensor:
    """The geometric group (``op=None``) or the photometric op ``op`` on clips ``x`` with their magnitudes."""
    if op is None:
        return _geometric(x, op_k, mag_k, mode, fill)
    return _photometric(op, x, mag_k, stats)


def augment_ops(video: torch.Tensor, ops: torch.Tensor, magnitudes: torch.Tensor, *,
                interpolation: str | InterpolationMode = "nearest", fill: FillType = None,
                stats: str = "clip") -> torch.Tensor:
    """Apply op ``ops[b, k]`` with magnitude ``magnitudes[b, k]`` to every frame of clip ``b``, for ``k =
    0..N-1``.

    Per sequence position, the clips that drew a geometric op (shear, translate, rotate) are warped together
    by one ``grid_sample`` with a matrix per clip; the clips that drew a photometric op go through that op's
    batched kernel with their own magnitudes. See :class:`~videoaug.transforms.VideoRandAugment`.

    Args:
        video: batch ``(B, T, C, H, W)``, uint8 or float.
        ops: integer ``(B, N)`` indices into :data:`AUGMENT_OPS`.
        magnitudes: ``(B, N)`` signed magnitudes, or ``(B, T, N)`` one per frame (``dynamic=True``), as
            torchvision's policies use them: ShearX/Y ``tan`` of the
            shear angle, TranslateX/Y pixels (truncated to integers), Rotate degrees counter-clockwise,
            Brightness / Color / Contrast / Sharpness ``factor - 1``, Posterize bits, Solarize the threshold
            as a fraction of the maximum value; ignored for Identity, AutoContrast, Equalize.
        interpolation: ``"nearest"`` (torchvision's default) or ``"bilinear"`` for the geometric ops.
        fill: value(s) for pixels moved in from outside the frame, in the input's value range; ``None`` is 0.
        stats: ``"clip"`` or ``"frame"``: where Contrast's mean, AutoContrast's range and Equalize's histogram
            are measured.

    Shape:
        Unchanged.

    Returns:
        A new tensor of the input's dtype.
    """
    check_batch(video)
    _check_stats(stats)
    mode = interpolation_name(interpolation)
    fill_values = check_fill(fill, video.shape[2])
    b = video.shape[0]
    if not isinstance(ops, torch.Tensor) or ops.dtype not in (torch.int64, torch.int32) or ops.ndim != 2 \
            or ops.shape[0] != b:
        raise ValueError(f"ops: expected an integer tensor ({b}, N), got {getattr(ops, 'shape', ops)!r}")
    per_frame_shape = (b, video.shape[1], ops.shape[1])
    if not isinstance(magnitudes, torch.Tensor) or magnitudes.shape not in (ops.shape, per_frame_shape):
        raise ValueError(f"magnitudes: expected a tensor of ops' shape {tuple(ops.shape)} or one per frame "
                         f"{per_frame_shape}, got {getattr(magnitudes, 'shape', magnitudes)!r}")
    if ops.numel() and (int(ops.min()) < 0 or int(ops.max()) >= len(AUGMENT_OPS)):
        raise ValueError(f"ops: expected indices in [0, {len(AUGMENT_OPS) - 1}], got [{int(ops.min())}, "
                         f"{int(ops.max())}]")
    ops = ops.to(video.device)
    magnitudes = magnitudes.to(video.device, torch.float32)
    # On CPU, run a few clips at a time through the whole sequence so that their float intermediates stay in
    # cache: on 32 uint8 clips of 16x3x112x112 this was 2-3x faster than the whole batch at once; the ops
    # inside a chunk remain batched. On GPU the batch is one chunk.
    chunk = b if video.device.type != "cpu" else max(1, _chunks.AUGMENT_CHUNK_ELEMENTS // video[0].numel())
    if chunk >= b:
        return _augment_batch(video, ops, magnitudes, mode, fill_values, stats)
    out = torch.empty_like(video)
    for s in range(0, b, chunk):
        out[s:s + chunk] = _augment_batch(video[s:s + chunk], ops[s:s + chunk], magnitudes[s:s + chunk], mode,
                                          fill_values, stats)
    return out


def _augment_batch(video: torch.Tensor, ops: torch.Tensor, magnitudes: torch.Tensor, mode: str,
                   fill_values: list[float] | None, stats: str) -> torch.Tensor:
    """:func:`augment_ops` on validated arguments, the whole batch at once."""
    out = video
    geometric = torch.tensor(_GEOMETRIC, device=video.device)
    for k in range(ops.shape[1]):
        op_k, mag_k = ops[:, k], magnitudes[..., k]
        present = set(torch.unique(op_k).tolist())
        # one group for all geometric ops (one grid_sample), one per photometric op
        groups = [(torch.isin(op_k, geometric), None)] if present & set(_GEOMETRIC) else []
        groups += [(op_k == op, op) for op in sorted(present - set(_GEOMETRIC) - {_OP["Identity"]})]
        for mask, op in groups:
            if bool(mask.all()):  # every clip is in this group: no selection, no write-back
                out = _apply_op(op, out, op_k, mag_k, mode, fill_values, stats)
                continue
            if out is video:  # never write into the caller's tensor
                out = video.clone()
            idx = mask.nonzero().flatten()
            out.index_copy_(0, idx, _apply_op(op, out[idx], op_k[idx], mag_k[idx], mode, fill_values, stats))
    return video.clone() if out is video else out
