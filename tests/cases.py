"""The catalogue of every public transform and mix, for the tests that go over all of them
(``test_arguments.py``: refused constructor arguments; ``test_properties.py``: hypothesis properties;
``checks.py``'s stride checks through the per-op tests).

``TRANSFORMS`` maps a public name to a factory of a valid instance for frames of at least ``min_hw`` pixels and
clips of at least ``min_t`` frames; ``MIXES`` likewise for the mixing transforms. ``BAD_ARGUMENTS`` lists, per
public constructor, keyword arguments that must be refused with ``ValueError`` or ``TypeError`` (non-finite,
negative, out-of-domain values), each next to the valid arguments it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

import videoaug as va

NAN, INF = float("nan"), float("inf")


@dataclass(frozen=True)
class Case:
    """A public transform: how to build a valid one and what inputs it takes."""

    make: Callable[[], Any]
    shape_preserving: bool = True
    min_t: int = 1
    min_hw: int = 1
    out_dtype: torch.dtype | None = None
    float_only: bool = False
    layout_changing: bool = False  # ToCTHW: the output leaves videoaug's layout


TRANSFORMS: dict[str, Case] = {
    "RandomResizedCrop": Case(lambda: va.RandomResizedCrop(6, scale=(0.3, 1.0)), shape_preserving=False),
    "RandomCrop": Case(lambda: va.RandomCrop(3, padding=1, pad_if_needed=True, padding_mode="edge"),
                       shape_preserving=False),
    "CenterCrop": Case(lambda: va.CenterCrop(2), shape_preserving=False, min_hw=2),
    "Resize": Case(lambda: va.Resize((5, 7)), shape_preserving=False),
    "RandomShortSideScale": Case(lambda: va.RandomShortSideScale(4, 8), shape_preserving=False),
    "RandomHorizontalFlip": Case(lambda: va.RandomHorizontalFlip()),
    "RandomRotation": Case(lambda: va.RandomRotation(30, fill=0.5)),
    "RandomAffine": Case(lambda: va.RandomAffine(20, translate=(0.2, 0.1), scale=(0.8, 1.2), shear=10)),
    "RandomPerspective": Case(lambda: va.RandomPerspective(0.5, p=0.8), min_hw=2),
    "ColorJitter": Case(lambda: va.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8)),
    "RandomGrayscale": Case(lambda: va.RandomGrayscale(p=0.5)),
    "Grayscale": Case(lambda: va.Grayscale(3)),
    "RandomTubeErasing": Case(lambda: va.RandomTubeErasing(p=0.8, drift=0.2)),
    "GaussianBlur": Case(lambda: va.GaussianBlur(3, sigma=(0.1, 2.0)), min_hw=2),
    "Normalize": Case(lambda: va.Normalize([0.45, 0.45, 0.45], [0.225, 0.225, 0.225]), float_only=True),
    "ToDtype": Case(lambda: va.ToDtype(torch.float32, scale=True), out_dtype=torch.float32),
    "ToCTHW": Case(lambda: va.ToCTHW(), shape_preserving=False, layout_changing=True),
    "TemporalRandomCrop": Case(lambda: va.TemporalRandomCrop(1), shape_preserving=False),
    "UniformTemporalSubsample": Case(lambda: va.UniformTemporalSubsample(3), shape_preserving=False),
    "RandomSpeed": Case(lambda: va.RandomSpeed((0.5, 2.0))),
    "TemporalReverse": Case(lambda: va.TemporalReverse(p=0.5)),
    "RandomFrameDrop": Case(lambda: va.RandomFrameDrop(0.3)),
    "VideoRandAugment": Case(lambda: va.VideoRandAugment(num_ops=2, magnitude=9)),
    "VideoTrivialAugment": Case(lambda: va.VideoTrivialAugment()),
    "RandomSmoothWarp": Case(lambda: va.RandomSmoothWarp(0.1, 0.05, 0.03, drift=0.5)),
    "FusedTransforms": Case(lambda: va.FusedTransforms([va.RandomHorizontalFlip(), va.ColorJitter(0.3, 0.3)])),
}

MIXES: dict[str, Callable[[int], Any]] = {
    "MixUp": lambda k: va.MixUp(alpha=0.4, num_classes=k, mode="elem", label_smoothing=0.1),
    "CutMix": lambda k: va.CutMix(num_classes=k, kind="spatiotemporal", mode="pair"),
    "RandomMix": lambda k: va.RandomMix([va.MixUp(num_classes=k), va.CutMix(num_classes=k, kind="temporal")]),
}


def _rcgan(**kwargs: Any) -> Any:
    from videoaug.gan.augment import RCGANAugment

    return RCGANAugment("moving_mnist", **kwargs)


# (constructor, valid arguments it needs, the refused arguments): every entry must raise ValueError/TypeError
BAD_ARGUMENTS: list[tuple[Callable[..., Any], dict[str, Any], dict[str, Any]]] = []


def _bad(ctor: Callable[..., Any], base: dict[str, Any], *bad: dict[str, Any]) -> None:
    BAD_ARGUMENTS.extend((ctor, base, b) for b in bad)


_P = ({"p": NAN}, {"p": INF}, {"p": -0.1}, {"p": 1.5}, {"p": True})
_bad(va.RandomResizedCrop, {"size": 8}, *_P, {"scale": (NAN, 1.0)}, {"scale": (0.5, INF)}, {"scale": (-1, 1)},
     {"ratio": (0.5, INF)}, {"ratio": (NAN, 1.0)}, {"ratio": (0.0, 1.0)}, {"size": -3}, {"scale": 0.5})
_bad(va.RandomCrop, {"size": 8}, *_P, {"padding": -1}, {"padding": (1, -2)}, {"fill": NAN}, {"fill": INF},
     {"padding": 1.5}, {"size": 0})
_bad(va.CenterCrop, {}, {"size": 0}, {"size": -2}, {"size": 2.5})
_bad(va.Resize, {"size": 8}, {"size": 0}, {"max_size": -1}, {"max_size": 4}, {"max_size": INF})
_bad(va.RandomShortSideScale, {"min_size": 4, "max_size": 8}, *_P, {"min_size": True}, {"max_size": NAN})
_bad(va.RandomHorizontalFlip, {}, *_P)
_bad(va.RandomRotation, {"degrees": 10}, *_P, {"degrees": NAN}, {"degrees": INF}, {"degrees": -5},
     {"degrees": (NAN, 3)}, {"degrees": (-INF, 3)}, {"center": (NAN, 1.0)}, {"center": (1.0,)},
     {"fill": NAN}, {"fill": (0.0, INF, 0.0)})
_bad(va.RandomAffine, {"degrees": 10}, *_P, {"degrees": NAN}, {"translate": (NAN, 0.1)},
     {"translate": (0.1, -0.1)}, {"scale": (0.5, INF)}, {"scale": (NAN, 1)}, {"scale": (0, 1)},
     {"shear": NAN}, {"shear": (0, INF)}, {"shear": (0, 1, NAN, 2)}, {"fill": INF}, {"center": (INF, 0)})
_bad(va.RandomPerspective, {}, *_P, {"distortion_scale": NAN}, {"distortion_scale": INF},
     {"distortion_scale": -0.5}, {"fill": NAN})
_bad(va.ColorJitter, {}, *_P, {"brightness": NAN}, {"brightness": INF}, {"brightness": -1},
     {"contrast": (0.5, INF)}, {"saturation": (NAN, 1)}, {"hue": NAN}, {"hue": 0.7}, {"hue": (-INF, 0)})
_bad(va.RandomGrayscale, {}, *_P)
_bad(va.Grayscale, {}, {"num_output_channels": 2}, {"num_output_channels": NAN})
_bad(va.RandomTubeErasing, {}, *_P, {"scale": (NAN, 0.3)}, {"scale": (0.1, INF)}, {"ratio": (0.3, INF)},
     {"ratio": (NAN, 3)}, {"value": NAN}, {"value": (0, INF, 0)}, {"drift": NAN}, {"drift": -0.1})
_bad(va.GaussianBlur, {"kernel_size": 3}, *_P, {"sigma": NAN}, {"sigma": INF}, {"sigma": -1},
     {"sigma": (0.1, INF)}, {"sigma": (NAN, 1)}, {"kernel_size": -3}, {"kernel_size": 4})
_bad(va.Normalize, {"mean": 0.5, "std": 0.2}, {"mean": NAN}, {"mean": (0, INF, 0)}, {"std": NAN},
     {"std": INF}, {"std": 0}, {"std": (1, 0, 1)})
_bad(va.ToDtype, {}, {"dtype": torch.int64}, {"dtype": "float32"})
_bad(va.TemporalRandomCrop, {"size": 4}, *_P, {"size": 0}, {"size": NAN})
_bad(va.UniformTemporalSubsample, {"num_samples": 4}, {"num_samples": 0}, {"num_samples": INF})
_bad(va.RandomSpeed, {}, *_P, {"rate": NAN}, {"rate": INF}, {"rate": -1}, {"rate": (0.5, INF)},
     {"rate": (NAN, 2)}, {"num_frames": 0})
_bad(va.TemporalReverse, {}, *_P)
_bad(va.RandomFrameDrop, {}, *_P, {"drop_prob": NAN}, {"drop_prob": 1.5}, {"max_fraction": INF},
     {"max_fraction": -0.5})
_bad(va.VideoRandAugment, {}, *_P, {"num_ops": -1}, {"magnitude": NAN}, {"magnitude": 31},
     {"num_magnitude_bins": 1}, {"fill": NAN}, {"fill": (0, INF, 0)})
_bad(va.VideoTrivialAugment, {}, *_P, {"num_magnitude_bins": INF}, {"fill": NAN})
_bad(va.RandomSmoothWarp, {}, *_P, {"translate": NAN}, {"translate": (0.1, INF)}, {"translate": -0.1},
     {"affine": NAN}, {"affine": INF}, {"displacement": -1}, {"displacement": NAN}, {"grid_size": 0},
     {"drift": NAN}, {"drift": 2}, {"fill": NAN})
_bad(va.MixUp, {"num_classes": 3}, *_P, {"alpha": INF}, {"alpha": NAN}, {"alpha": -1}, {"alpha": 0},
     {"label_smoothing": NAN}, {"label_smoothing": INF}, {"label_smoothing": -0.1}, {"num_classes": 0})
_bad(va.CutMix, {"num_classes": 3}, *_P, {"alpha": INF}, {"alpha": NAN}, {"alpha": -1},
     {"label_smoothing": NAN}, {"kind": "space"})
_bad(lambda **kw: va.RandomMix([va.MixUp(num_classes=3), va.CutMix(num_classes=3)], **kw), {},
     {"p": [NAN, 1.0]}, {"p": [INF, 1.0]}, {"p": [-1.0, 2.0]}, {"p": [0.0, 0.0]}, {"switch_prob": NAN},
     {"switch_prob": INF}, {"switch_prob": -0.5})
_bad(_rcgan, {}, *_P, {"strength": NAN}, {"strength": INF}, {"strength": -1}, {"batch_size": 0},
     {"batch_size": True}, {"batch_size": 2.5})
