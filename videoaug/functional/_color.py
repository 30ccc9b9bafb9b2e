"""Colour kernels: per-clip affine colour maps (brightness, contrast, saturation, hue, grayscale), and the
non-affine colour ops (sharpness, posterize, solarize, autocontrast, equalize) with torchvision's rounding.

Every affine colour op here is affine in the pixel's channel vector, so a whole
:class:`~videoaug.transforms.ColorJitter` draw becomes one per-clip ``C x C`` matrix plus a per-frame offset
(the offset carries the contrast mean), applied with one batched matrix product, one clamp and, for uint8, one
rounding. See the transform classes for semantics.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as nnf
from torchvision.transforms.v2 import functional as tvf

from .._video import as_batch, check_batch, max_value
from . import _chunks
from ._chunks import run_chunked
from ._utils import LUMA_WEIGHTS, luma, per_clip, per_clip_or_frame

__all__ = [
    "GRAY_WEIGHTS",
    "rgb_to_grayscale",
    "grayscale_where",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_saturation",
    "adjust_hue",
    "color_jitter",
    "color_jitter_affine",
    "color_jitter_params",
    "apply_color_affine",
    "apply_color_affine_batch",
    "adjust_sharpness",
    "posterize",
    "solarize",
    "autocontrast",
    "equalize",
]

#: Luma weights used for grayscale, contrast and saturation (torchvision's, ITU-R 601 rounded).
GRAY_WEIGHTS = LUMA_WEIGHTS

# RGB -> YIQ (FCC) with I and Q rows rounded to sum to exactly 0, so that a gray pixel is a fixed point of the
# hue rotation. Y uses weights that sum to exactly 1.
_RGB_TO_YIQ = torch.tensor(
    [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], dtype=torch.float64
)
_YIQ_TO_RGB = torch.linalg.inv(_RGB_TO_YIQ)

# op ids in ``order``, as in torchvision's ColorJitter.make_params
BRIGHTNESS, CONTRAST, SATURATION, HUE = 0, 1, 2, 3


# -- grayscale -----------------------------------------------------------------------------------------------
def _cast_like(values: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    if dtype == torch.uint8:
        return values.round_().clamp_(0, 255).to(torch.uint8)
    return values.to(dtype)


def rgb_to_grayscale(video: torch.Tensor, num_output_channels: int = 1) -> torch.Tensor:
    """Luma of every frame; see :class:`~videoaug.transforms.Grayscale`.

    Args:
        video: clip ``(T, C, H, W)`` or batch ``(B, T, C, H, W)``, C in {1, 3}.
        num_output_channels: 1, or 3 for the luma repeated on three channels.
    """
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels: expected 1 or 3, got {num_output_channels!r}")
    batch, restore = as_batch(video)
    if batch.shape[2] == 1:
        gray = batch.clone()
    else:
        gray = _cast_like(luma(batch), batch.dtype)
    if num_output_channels == 3:
        gray = gray.expand(*gray.shape[:2], 3, *gray.shape[3:]).contiguous()
    return restore(gray)


def grayscale_where(video: torch.Tensor, apply: torch.Tensor) -> torch.Tensor:
    """Replace the clips where ``apply`` is true by their luma on all ``C`` channels; see
    :class:`~videoaug.transforms.RandomGrayscale`.

    Args:
        video: batch ``(B, T, C, H, W)`` (or a clip, with ``apply`` of shape ``(1,)``).
        apply: bool ``(B,)``.
    """
    batch, restore = as_batch(video)
    apply = torch.as_tensor(apply, device=batch.device).reshape(-1).bool()
    if apply.shape[0] != batch.shape[0]:
        raise ValueError(f"apply: expected shape ({batch.shape[0]},), got {tuple(apply.shape)}")
    out = batch.clone()
    if batch.shape[2] == 1:
        return restore(out)
    idx = apply.nonzero().squeeze(1)
    if idx.numel():
        chosen = batch.index_select(0, idx)
        gray = _cast_like(luma(chosen), batch.dtype)
        out.index_copy_(0, idx, gray.expand_as(chosen))
    return restore(out)


# -- the fused affine colour map -----------------------------------------------------------------------------
def _hue_matrices(hue: torch.Tensor) -> torch.Tensor:
    """``(B,)`` hue shifts in turns -> ``(B, 3, 3)`` RGB matrices rotating chroma in the YIQ plane."""
    theta = hue.double() * (2 * math.pi)
    cos, sin = theta.cos(), theta.sin()
    rot = torch.zeros(hue.shape[0], 3, 3, dtype=torch.float64, device=hue.device)
    rot[:, 0, 0] = 1.0
    rot[:, 1, 1] = cos
    rot[:, 1, 2] = sin
    rot[:, 2, 1] = -sin
    rot[:, 2, 2] = cos
    to_yiq = _RGB_TO_YIQ.to(hue.device)
    to_rgb = _YIQ_TO_RGB.to(hue.device)
    return (to_rgb @ rot @ to_yiq).float()


def color_jitter_affine(
    channels: int,
    brightness: torch.Tensor,
    contrast: torch.Tensor,
    saturation: torch.Tensor,
    hue: torch.Tensor,
    order: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Compose the four colour ops into ``out = matrix @ pixel + mean_gain @ frame_mean``.

    Args:
        channels: C, 1 or 3.
        brightness, contrast, saturation: ``(B,)`` factors (1 = identity).
        hue: ``(B,)`` shift in turns, in [-0.5, 0.5] (0 = identity).
        order: ``(B, 4)`` long, a permutation of ``(0, 1, 2, 3)`` = (brightness, contrast, saturation, hue)
            per clip; ``None`` applies them in that order.

    Returns:
        ``(matrix, mean_gain)``, both float32 ``(B, C, C)``; ``frame_mean`` is the ``(C,)`` spatial mean of
        the input frame, so the per-frame offset of the map is ``mean_gain @ frame_mean``.

    Each op maps a pixel as ``y -> P y`` and the frame mean as ``m -> (P + Q) m``; only contrast has ``Q !=
    0`` (``y -> c y + (1 - c) gray(m)``). Composing both maps gives ``out = A x + (M - A) mean(x)``, exactly.
    """
    b, c = brightness.shape[0], channels
    device = brightness.device
    eye = torch.eye(c, device=device).expand(b, c, c)
    w = torch.tensor(LUMA_WEIGHTS, device=device) if c == 3 else torch.ones(1, device=device)
    to_gray = torch.ones(c, 1, device=device) * w.view(1, c)  # (C, C): every row is the luma weights
    cc = contrast.view(b, 1, 1)
    pix = [eye * brightness.view(b, 1, 1), eye * cc]
    if c == 3:  # saturation and hue act on colour only
        sc = saturation.view(b, 1, 1)
        pix += [sc * eye + (1 - sc) * to_gray, _hue_matrices(hue)]
    else:
        pix += [eye, eye]
    pix_all = torch.stack(pix, 1)  # (B, 4, C, C)
    mean_all = pix_all.clone()
    mean_all[:, CONTRAST] += (1 - cc) * to_gray
    if order is None:
        order = torch.arange(4, device=device).expand(b, 4)
    order = order.to(device=device, dtype=torch.long)
    matrix, mean_map = eye, eye
    rows = torch.arange(b, device=device)
    for k in range(4):
        op = order[:, k]
        matrix = pix_all[rows, op] @ matrix
        mean_map = mean_all[rows, op] @ mean_map
    return matrix.contiguous(), (mean_map - matrix).contiguous()


def apply_color_affine(
    video: torch.Tensor,
    matrix: torch.Tensor,
    offset: torch.Tensor | None = None,
    mean_gain: torch.Tensor | None = None,
) -> torch.Tensor:
    """``out = clamp(matrix @ pixel + offset + mean_gain @ frame_mean)`` per clip, rounded for uint8 input.

    Args:
        video: clip ``(T, C, H, W)`` or batch ``(B, T, C, H, W)``.
        matrix: ``(B, C, C)`` per clip.
        offset: ``(B, C)`` per clip or ``(B, T, C)`` per frame, in the input's value range (0..255 for uint8);
            ``None`` for 0.
        mean_gain: ``(B, C, C)`` applied to each frame's channel means (the contrast term); ``None`` for 0.

    One batched product over all frames (``baddbmm``). On CPU it runs in cache-sized chunks of frames shared
    by single-threaded workers (:mod:`videoaug.functional._chunks`): the float working copy of a chunk (and
    the frame means it needs) never goes out to memory, so a uint8 clip is read once and written once.
    """
    batch, restore = as_batch(video)
    return restore(apply_color_affine_batch(batch, matrix, offset, mean_gain))


def apply_color_affine_batch(batch: torch.Tensor, matrix: torch.Tensor, offset: torch.Tensor | None = None,
                             mean_gain: torch.Tensor | None = None) -> torch.Tensor:
    """:func:`apply_color_affine` on a plain batch ``(B, T, C, H, W)`` its caller has checked (a transform checks
    its input once per call); returns a new contiguous batch."""
    b, t, c, h, w = batch.shape
    dev = batch.device
    if matrix.shape != (b, c, c):
        raise ValueError(f"matrix: expected shape ({b}, {c}, {c}), got {tuple(matrix.shape)}")
    if mean_gain is not None and mean_gain.shape != (b, c, c):
        raise ValueError(f"mean_gain: expected shape ({b}, {c}, {c}), got {tuple(mean_gain.shape)}")
    is_u8 = batch.dtype == torch.uint8
    fdtype = torch.float32 if is_u8 else batch.dtype
    bound = max_value(batch.dtype)
    off = torch.zeros(b, t, c, device=dev) if offset is None else offset.to(device=dev, dtype=torch.float32)
    if off.ndim == 2:
        off = off.unsqueeze(1)
    # uint8: +0.5 then truncation after the clamp is round-half-up, saving a rounding pass
    offs = (off + 0.5 if is_u8 else off).expand(b, t, c).to(fdtype).reshape(b * t, c, 1)
    mats = matrix.to(device=dev, dtype=fdtype).repeat_interleave(t, 0)  # (B*T, C, C)
    gains = None if mean_gain is None else mean_gain.to(device=dev, dtype=fdtype).repeat_interleave(t, 0)
    src = batch.reshape(b * t, c, h * w)
    out = torch.empty(batch.shape, dtype=batch.dtype, device=dev)  # contiguous whatever the input's strides
    dst = out.view(b * t, c, h * w)
    def run(s: int, e: int) -> None:
        x = src[s:e].to(fdtype)
        o = offs[s:e]
        if gains is not None:
            o = torch.baddbmm(o, gains[s:e], x.mean(-1, keepdim=True))
        if is_u8:
            dst[s:e].copy_(torch.baddbmm(o, mats[s:e], x).clamp_(0, bound))
        else:
            torch.baddbmm(o, mats[s:e], x, out=dst[s:e]).clamp_(0, bound)

    if dev.type == "cpu":
        run_chunked(run, b * t, max(1, _chunks.CHUNK_ELEMENTS // (c * h * w)))
    else:
        run(0, b * t)
    return out


def color_jitter(
    video: torch.Tensor,
    brightness: float | torch.Tensor = 1.0,
    contrast: float | torch.Tensor = 1.0,
    saturation: float | torch.Tensor = 1.0,
    hue: float | torch.Tensor = 0.0,
    order: torch.Tensor | None = None,
) -> torch.Tensor:
    """Brightness, contrast, saturation and hue with per-clip factors, fused; see
    :class:`~videoaug.transforms.ColorJitter`.

    Args:
        video: clip ``(T, C, H, W)`` or batch ``(B, T, C, H, W)``.
        brightness, contrast, saturation: factor per clip (float or ``(B,)``), 1 = identity.
        hue: shift in turns per clip (float or ``(B,)``) in [-0.5, 0.5], 0 = identity.
        order: ``(B, 4)`` permutation of (brightness, contrast, saturation, hue) per clip; ``None`` = that
            order.
    """
    batch, restore = as_batch(video)
    matrix, mean_gain = color_jitter_params(batch, brightness, contrast, saturation, hue, order)
    return restore(apply_color_affine_batch(batch, matrix, None, mean_gain))


def color_jitter_params(
    batch: torch.Tensor,
    brightness: float | torch.Tensor = 1.0,
    contrast: float | torch.Tensor = 1.0,
    saturation: float | torch.Tensor = 1.0,
    hue: float | torch.Tensor = 0.0,
    order: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Check :func:`color_jitter`'s factors for ``batch (B, T, C, H, W)`` and compose them
    (:func:`color_jitter_affine`) into ``(matrix, mean_gain)``; ``mean_gain`` is ``None`` when no clip's
    contrast differs from 1 (the frame means are then not needed)."""
    b, t, c = batch.shape[:3]
    dev = batch.device
    names = ("brightness", "contrast", "saturation", "hue")
    factors = [per_clip(v, b, n, dev) for v, n in zip((brightness, contrast, saturation, hue), names, strict=True)]
    # one host-device sync for all checks (the kernel runs on the GPU in the training loop)
    flags = torch.stack([*(v < 0 for v in factors[:3]), factors[3].abs() > 0.5, factors[1] != 1]).any(1)
    *bad, needs_means = flags.tolist()  # only contrast looks at the frame means
    for is_bad, v, n in zip(bad, factors, names, strict=True):
        if is_bad:
            rule = "shifts in [-0.5, 0.5]" if n == "hue" else "non-negative factors"
            raise ValueError(f"{n}: expected {rule}, got {v.tolist()}")
    if order is not None:
        order = torch.as_tensor(order, device=dev).reshape(-1, 4).expand(b, 4)
    matrix, mean_gain = color_jitter_affine(c, *factors, order=order)
    return matrix, (mean_gain if needs_means else None)


def adjust_brightness(video: torch.Tensor, factor: float | torch.Tensor) -> torch.Tensor:
    """``clamp(factor * video)``; see :class:`~videoaug.transforms.ColorJitter`."""
    return color_jitter(video, brightness=factor)


def adjust_contrast(video: torch.Tensor, factor: float | torch.Tensor) -> torch.Tensor:
    """Blend every frame with the mean of its luma; see :class:`~videoaug.transforms.ColorJitter`."""
    return color_jitter(video, contrast=factor)


def adjust_saturation(video: torch.Tensor, factor: float | torch.Tensor) -> torch.Tensor:
    """Blend every pixel with its luma (no-op on 1 channel); see :class:`~videoaug.transforms.ColorJitter`."""
    return color_jitter(video, saturation=factor)


def adjust_hue(video: torch.Tensor, hue: float | torch.Tensor) -> torch.Tensor:
    """Rotate chroma in the YIQ plane by ``hue`` turns (no-op on 1 channel); see
    :class:`~videoaug.transforms.ColorJitter`."""
    return color_jitter(video, hue=hue)


# -- non-affine colour ops, rounded as torchvision rounds them (also the policies' photometric ops) ----------
# Each takes a batch (B, T, C, H, W); the private ones take a magnitude ``m`` (``factor - 1``) shaped
# (B, 1 or T, 1, 1, 1), as torchvision's RandAugment forms it, so that uint8 results agree with torchvision bit
# for bit.
def _check_stats(stats: str) -> None:
    if stats not in ("clip", "frame"):
        raise ValueError(f"stats: expected 'clip' or 'frame', got {stats!r}")


def _blend(x: torch.Tensor, y: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """torchvision's ``_blend`` with ratio ``1 + m``: ``clamp(x * (1 + m) + y * -m)``, truncated back to
    uint8. The weights are formed as torchvision forms them from a float magnitude, so uint8 results agree
    exactly."""
    bound = max_value(x.dtype)
    wdtype = x.dtype if x.is_floating_point() else torch.float32
    ratio = (1.0 + m.double()).to(wdtype)
    out = x.mul(ratio).addcmul_(y.to(wdtype), m.neg().to(wdtype)).clamp_(0, bound)
    return out if x.is_floating_point() else out.to(x.dtype)


def _brightness(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    out = x.mul((1.0 + m.double()).to(x.dtype if x.is_floating_point() else torch.float32))
    out = out.clamp_(0, max_value(x.dtype))
    return out if x.is_floating_point() else out.to(x.dtype)


def _saturation(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    if x.shape[-3] == 1:  # torchvision (and PIL): no-op on one channel
        return x.clone()
    return _blend(x, luma(x, floor_uint8=True), m)


def _contrast(x: torch.Tensor, m: torch.Tensor, stats: str) -> torch.Tensor:
    dims = (-3, -2, -1) if stats == "frame" else (-4, -3, -2, -1)
    return _blend(x, luma(x, floor_uint8=True).mean(dim=dims, keepdim=True), m)


def adjust_sharpness(video: torch.Tensor, factor: float | torch.Tensor) -> torch.Tensor:
    """torchvision's ``adjust_sharpness`` with a factor per clip: blend with a 3x3 smoothed image (1s around a
    5, over 13) inside a 1-pixel border, which is kept; frames of 2 pixels or fewer a side are returned as
    they are.

    Args:
        video: batch ``(B, T, C, H, W)``.
        factor: ``(B,)`` or a number, ``>= 0``; 0 smooths, 1 is the identity, 2 sharpens.
    """
    check_batch(video)
    f = per_clip_or_frame(factor, video, "factor")
    if bool((f < 0).any()):
        raise ValueError(f"factor: expected non-negative sharpness factors, got min {float(f.min())}")
    return _sharpness(video, 1.0 - f)


def _sharpness(video: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """:func:`adjust_sharpness` with ``weight = 1 - factor`` (``(B, 1, 1, 1, 1)``) given directly, so that the
    policies can pass ``-magnitude`` exactly as torchvision forms it."""
    b, t, c, h, w = video.shape
    if h <= 2 or w <= 2:
        return video.clone()
    dtype = video.dtype if video.is_floating_point() else torch.float32
    a, m = 1.0 / 13.0, 5.0 / 13.0
    kernel = torch.tensor([[a, a, a], [a, m, a], [a, a, a]], dtype=dtype, device=video.device)
    out = video.to(dtype=dtype, memory_format=torch.contiguous_format, copy=True)  # any input strides
    blurred = nnf.conv2d(out.view(b * t, c, h, w), kernel.expand(c, 1, 3, 3), groups=c)
    blurred = blurred.view(b, t, c, h - 2, w - 2)
    if not video.is_floating_point():
        blurred = blurred.round_()
    inner = out[..., 1:-1, 1:-1]
    inner.addcmul_(blurred.sub_(inner), weight.to(dtype))
    out = out.clamp_(0, max_value(video.dtype))
    return out if video.is_floating_point() else out.to(video.dtype)


def posterize(video: torch.Tensor, bits: int | torch.Tensor) -> torch.Tensor:
    """Keep the ``bits`` (``(B,)`` or a number in ``[0, 8]``) most significant bits of each value per clip, as
    torchvision's ``posterize`` does (floats: ``floor(x * 2**bits) / 2**bits``, clamped below 1)."""
    check_batch(video)
    nbits = per_clip_or_frame(bits, video, "bits").long()
    if bool(((nbits < 0) | (nbits > 8)).any()):
        raise ValueError(f"bits: expected integers in [0, 8], got {nbits.flatten().tolist()}")
    if video.is_floating_point():
        levels = (2 ** nbits).to(video.dtype)
        return video.mul(levels).floor_().clamp_(min=0).minimum(levels - 1).div_(levels)
    mask = ((1 << nbits) - 1) << (8 - nbits)
    return video & mask.to(torch.uint8)


def solarize(video: torch.Tensor, threshold: float | torch.Tensor) -> torch.Tensor:
    """Invert values ``>= threshold`` (``(B,)`` or a number, in the input's value range), as torchvision's
    ``solarize``."""
    check_batch(video)
    thr = per_clip_or_frame(threshold, video, "threshold")
    inverted = video.bitwise_not() if video.dtype == torch.uint8 else 1.0 - video
    return torch.where(video >= thr, inverted, video)


def autocontrast(video: torch.Tensor, stats: str = "clip") -> torch.Tensor:
    """Stretch each channel to the full range, as torchvision's ``autocontrast``; the channel's minimum and
    maximum are taken over the whole clip (``stats="clip"``) or per frame (``"frame"``, torchvision applied to
    each frame)."""
    check_batch(video)
    _check_stats(stats)
    bound = max_value(video.dtype)
    x = video if video.is_floating_point() else video.float()
    dims = (-2, -1) if stats == "frame" else (-4, -2, -1)
    lo = x.amin(dim=dims, keepdim=True)
    hi = x.amax(dim=dims, keepdim=True)
    flat = hi == lo
    inv_scale = torch.where(flat, torch.ones_like(hi), (hi - lo).mul_(1.0 / bound))  # torchvision's rounding
    lo = torch.where(flat, torch.zeros_like(lo), lo)
    return (x - lo).div_(inv_scale).clamp_(0, bound).to(video.dtype)


def equalize(video: torch.Tensor, stats: str = "clip") -> torch.Tensor:
    """Histogram-equalise each channel with torchvision's ``equalize`` (PIL's rule, on 256 uint8 bins; floats
    are quantised to them). The histogram is the whole clip's (``stats="clip"``, one lookup table for all
    frames, so equalisation does not flicker) or each frame's (``"frame"``, torchvision applied to each
    frame)."""
    check_batch(video)
    _check_stats(stats)
    if stats == "frame":
        return tvf.equalize(video)
    b, t, c, h, w = video.shape
    tall = video.transpose(1, 2).reshape(b, c, t * h, w)  # each channel of a clip as one tall image
    return tvf.equalize(tall).view(b, c, t, h, w).transpose(1, 2).contiguous()
