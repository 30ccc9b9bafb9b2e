"""RandAugment-style policies for video: an op sequence and magnitude per clip, the same on all its frames.

Why these exist: torchvision's ``RandAugment`` / ``TrivialAugmentWide`` draw one op sequence per call, so
every clip of a batch gets the same ops, and they accept uint8 only. kornia's ``RandAugment`` /
``TrivialAugment`` raise inside ``VideoSequential(..., same_on_frame=True)`` ("nn.Sequential is currently
unsupported for ``same_on_frame``", kornia 0.9.0), and with ``same_on_frame=False`` they draw per frame, so a
clip flickers between ops. Here each clip of a batch draws its own ops, magnitudes and signs, applied to every
one of its frames, and the batch is processed op by op, never clip by clip. """

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torchvision.transforms.v2 import InterpolationMode

from ..functional._auto import AUGMENT_OPS, augment_box_maps, augment_mask, augment_ops
from ..functional._utils import check_fill as check_fill_values
from ._base import RandomVideoTransform, VideoShape
from ._targets import Targets
from ._utils import Fill, interpolation_name

__all__ = ["VideoRandAugment", "VideoTrivialAugment"]

_Table = dict[str, tuple[Callable[[int, int, int], torch.Tensor] | None, bool]]


def _space(shear: float, translate: Callable[[int], float], rotate: float, enhance: float,
           posterize_steps: int) -> _Table:
    """One policy's op -> ``(magnitudes(num_bins, height, width), signed)`` table, as torchvision's
    ``_AUGMENTATION_SPACE``: magnitudes from 0 up to the policy's largest (``translate(side)`` pixels for a side
    of ``side`` pixels), Posterize from 8 bits down by ``posterize_steps`` over the bins, Solarize from 1 to 0."""

    def linear(top: float) -> Callable[[int, int, int], torch.Tensor]:
        return lambda n, h, w: torch.linspace(0.0, top, n)

    return {
        "Identity": (None, False),
        "ShearX": (linear(shear), True),
        "ShearY": (linear(shear), True),
        "TranslateX": (lambda n, h, w: torch.linspace(0.0, translate(w), n), True),
        "TranslateY": (lambda n, h, w: torch.linspace(0.0, translate(h), n), True),
        "Rotate": (linear(rotate), True),
        **{op: (linear(enhance), True) for op in ("Brightness", "Color", "Contrast", "Sharpness")},
        "Posterize": (lambda n, h, w: (8 - (torch.arange(n) / ((n - 1) / posterize_steps))).round().int(), False),
        "Solarize": (lambda n, h, w: torch.linspace(1.0, 0.0, n), False),
        "AutoContrast": (None, False),
        "Equalize": (None, False),
    }


# torchvision.transforms.v2.RandAugment._AUGMENTATION_SPACE and TrivialAugmentWide._AUGMENTATION_SPACE
_RAND_AUGMENT: _Table = _space(shear=0.3, translate=lambda side: 150.0 / 331.0 * side, rotate=30.0, enhance=0.9,
                               posterize_steps=4)
_TRIVIAL_AUGMENT_WIDE: _Table = _space(shear=0.99, translate=lambda side: 32.0, rotate=135.0, enhance=0.99,
                                       posterize_steps=6)


def magnitude_table(space: _Table, num_bins: int, height: int,
                    width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(len(AUGMENT_OPS), num_bins)`` float magnitudes (0 for ops without one) and the
    ``(len(AUGMENT_OPS),)`` bool "signed" flags, in :data:`~videoaug.functional.AUGMENT_OPS` order."""
    table = torch.zeros(len(AUGMENT_OPS), num_bins)
    signed = torch.zeros(len(AUGMENT_OPS), dtype=torch.bool)
    for i, name in enumerate(AUGMENT_OPS):
        fn, sign = space[name]
        if fn is not None:
            table[i] = fn(num_bins, height, width).float()
        signed[i] = sign
    return table, signed


class _AugmentPolicy(RandomVideoTransform):
    """Shared arguments, sign drawing and application of the two policies."""

    _SPACE: _Table
    targets = "transformed"  # masks and boxes follow the geometric ops (nearest neighbour for masks)
    _native_per_frame = True  # augment_ops takes (B, T, N) magnitudes; clip statistics stay the clip's

    def __init__(self, num_magnitude_bins: int, interpolation: str | InterpolationMode, fill: Fill,
                 stats: str, p: float, generator: torch.Generator | None, dynamic: bool = False) -> None:
        super().__init__(p=p, generator=generator, dynamic=dynamic)
        if not isinstance(num_magnitude_bins, int) or isinstance(num_magnitude_bins, bool) \
                or num_magnitude_bins < 2:
            raise ValueError(f"num_magnitude_bins: expected an int >= 2, got {num_magnitude_bins!r}")
        if stats not in ("clip", "frame"):
            raise ValueError(f"stats: expected 'clip' or 'frame', got {stats!r}")
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation_name(interpolation)
        self.fill = check_fill_values(fill)
        self.stats = stats

    def _finish(self, shape: VideoShape, ops: torch.Tensor, bins: torch.Tensor) -> dict[str, Any]:
        """Look the magnitudes up, draw a sign per clip and position, and fold in the per-clip ``p`` draw."""
        table, signed = magnitude_table(self._SPACE, self.num_magnitude_bins, shape.height, shape.width)
        table, signed = table.to(ops.device), signed.to(ops.device)
        magnitudes = table[ops, bins]
        flip = signed[ops] & (self._uniform(*ops.shape) <= 0.5)  # torchvision: negative when rand <= 0.5
        if self.dynamic:  # the unsigned magnitude drifts within its op's table, the sign stays the clip's
            lo, hi = table.amin(1)[ops], table.amax(1)[ops]
            magnitudes = self._vary(magnitudes, lo, hi, shape.frames)
            posterize = ops == AUGMENT_OPS.index("Posterize")
            magnitudes = torch.where(posterize[:, None], magnitudes.round(), magnitudes)
            flip = flip[:, None]
        magnitudes = torch.where(flip, -magnitudes, magnitudes)
        augment = self._apply_mask(shape.batch).unsqueeze(1)
        ops = torch.where(augment, ops, torch.zeros_like(ops))
        keep = augment[:, None] if self.dynamic else augment
        magnitudes = torch.where(keep, magnitudes, torch.zeros_like(magnitudes))
        if self.dynamic:
            return {"ops": ops, "magnitudes": magnitudes, "per_frame": ("magnitudes",)}
        return {"ops": ops, "magnitudes": magnitudes}

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return augment_ops(video, params["ops"], params["magnitudes"], interpolation=self.interpolation,
                           fill=self.fill, stats=self.stats)

    def apply_mask(self, mask: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return augment_mask(mask, params["ops"], params["magnitudes"])

    def box_maps(self, params: dict[str, Any], shape: Targets) -> tuple[torch.Tensor, tuple[int, int]]:
        maps = augment_box_maps(params["ops"], params["magnitudes"], shape.height, shape.width)
        return maps, (shape.height, shape.width)


class VideoRandAugment(_AugmentPolicy):
    """RandAugment (Cubuk et al., 2020, https://arxiv.org/abs/1909.13719) with ops drawn per clip.

    Each clip draws ``num_ops`` ops uniformly from torchvision's 14 (Identity, ShearX/Y, TranslateX/Y, Rotate,
    Brightness, Color, Contrast, Sharpness, Posterize, Solarize, AutoContrast, Equalize) and a random sign for
    each signed magnitude; the magnitude is bin ``magnitude`` of torchvision's tables (translations are
    ``150/331`` of the frame size at most). The ops act on every frame of the clip alike; different clips of a
    batch draw differently. ``params = {"ops": (B, num_ops) indices into AUGMENT_OPS, "magnitudes": (B,
    num_ops) signed magnitudes}`` can be replayed.

    Why not torchvision's or kornia's: see the module docstring (one draw per batch; kornia's raises in
    ``VideoSequential``).

    Differences from torchvision: uint8 and float input (torchvision documents uint8); with ``stats="clip"``
    (the default) Contrast's mean, AutoContrast's range and Equalize's histogram are measured over the whole
    clip, so every frame gets the same pixel mapping and brightness changes across the clip survive
    (``stats="frame"`` reproduces torchvision applied to each frame). PIL's equalize rule leaves an image with
    fewer than about 256 pixels per channel unchanged; a clip's histogram counts all its frames, so small
    frames that torchvision would leave alone do get equalised. Equalize on float input quantises to 256
    levels, as torchvision does. Everything else agrees with torchvision bit for bit on uint8 (tested on every
    table magnitude).

    Args:
        num_ops: ops applied in sequence to each clip, ``>= 0``.
        magnitude: magnitude bin, ``0 <= magnitude < num_magnitude_bins``.
        num_magnitude_bins: number of magnitude bins, ``>= 2``.
        interpolation: ``"nearest"`` (default, as torchvision) or ``"bilinear"``, also as
            ``InterpolationMode``.
        fill: value(s) for pixels moved in from outside the frame, in the input's value range (0..255 for
            uint8, 0..1 for float), as torchvision's ``fill``; ``None`` is black.
        stats: ``"clip"`` or ``"frame"``, see above.
        p: probability per clip of applying the policy at all.
        generator: optional ``torch.Generator``.
        dynamic: each clip's magnitudes drift smoothly over its frames within their op's table, the ops and
            signs staying the clip's (DynaAugment, :mod:`videoaug.transforms._dynamic`); ``magnitudes`` are then
            ``(B, T, num_ops)``.

    Shape:
        Unchanged.

    Example:
        >>> aug = VideoRandAugment(num_ops=2, magnitude=9)
        >>> out = aug(torch.randint(0, 256, (4, 8, 3, 32, 32), dtype=torch.uint8))
        >>> out.shape, aug.last_params["ops"].shape
        (torch.Size([4, 8, 3, 32, 32]), torch.Size([4, 2]))
    """

    _SPACE = _RAND_AUGMENT

    def __init__(self, num_ops: int = 2, magnitude: int = 9, num_magnitude_bins: int = 31,
                 interpolation: str | InterpolationMode = "nearest", fill: Fill = None,
                 stats: str = "clip", p: float = 1.0, generator: torch.Generator | None = None,
                 dynamic: bool = False) -> None:
        super().__init__(num_magnitude_bins, interpolation, fill, stats, p, generator, dynamic)
        if not isinstance(num_ops, int) or isinstance(num_ops, bool) or num_ops < 0:
            raise ValueError(f"num_ops: expected a non-negative int, got {num_ops!r}")
        if not isinstance(magnitude, int) or isinstance(magnitude, bool) \
                or not 0 <= magnitude < num_magnitude_bins:
            raise ValueError(
                f"magnitude: expected an int in [0, {num_magnitude_bins - 1}], got {magnitude!r}"
            )
        self.num_ops = num_ops
        self.magnitude = magnitude

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        ops = self._randint(0, len(AUGMENT_OPS), (shape.batch, self.num_ops))
        return self._finish(shape, ops, torch.full_like(ops, self.magnitude))


class VideoTrivialAugment(_AugmentPolicy):
    """TrivialAugment Wide (Müller & Hutter, 2021, https://arxiv.org/abs/2103.10158) with the op drawn per
    clip.

    Each clip draws one op uniformly from torchvision's 14 (see :class:`VideoRandAugment`), a magnitude bin
    uniformly from ``num_magnitude_bins`` and a random sign, from torchvision's TrivialAugmentWide tables
    (translations up to 32 pixels, rotations up to 135 degrees). The op acts on every frame of the clip alike;
    different clips draw differently. Parameters, replay and differences from torchvision are as for
    :class:`VideoRandAugment`.

    Args:
        num_magnitude_bins: number of magnitude bins, ``>= 2``.
        interpolation, fill, stats, p, generator, dynamic: as for :class:`VideoRandAugment` (``dynamic``
            magnitudes are ``(B, T, 1)``).

    Shape:
        Unchanged.

    Example:
        >>> aug = VideoTrivialAugment()
        >>> aug(torch.rand(4, 8, 3, 32, 32)).shape
        torch.Size([4, 8, 3, 32, 32])
    """

    _SPACE = _TRIVIAL_AUGMENT_WIDE

    def __init__(self, num_magnitude_bins: int = 31, interpolation: str | InterpolationMode = "nearest",
                 fill: Fill = None, stats: str = "clip", p: float = 1.0,
                 generator: torch.Generator | None = None, dynamic: bool = False) -> None:
        super().__init__(num_magnitude_bins, interpolation, fill, stats, p, generator, dynamic)

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        ops = self._randint(0, len(AUGMENT_OPS), (shape.batch, 1))
        bins = self._randint(0, self.num_magnitude_bins, (shape.batch, 1))
        return self._finish(shape, ops, bins)
