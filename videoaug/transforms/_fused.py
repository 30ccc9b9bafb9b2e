"""``fuse``: the standard pipeline in one pass over memory.

The standard training pipeline is ``RandomResizedCrop``, ``RandomHorizontalFlip``, ``ColorJitter``, ``ToDtype``
and ``Normalize``. Run one after the other they are five passes over the batch in memory, each writing a new
tensor, two of them over the float output. :func:`fuse` replaces such a run by one :class:`FusedTransforms`,
which draws the same parameters from the same RNG in the same order and applies them with
:func:`videoaug.functional.fused_pipeline`: one pass that reads each clip's crop box once (uint8 stays uint8
through the resize) and writes the float output once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torchvision.transforms import v2

from .. import functional as F
from ._base import VideoTransform
from ._color import ColorJitter
from ._geometry import RandomHorizontalFlip, RandomResizedCrop
from ._misc import Normalize, ToDtype

__all__ = ["fuse", "FusedTransforms"]

_FUSABLE = (RandomResizedCrop, RandomHorizontalFlip, ColorJitter, ToDtype, Normalize)


class FusedTransforms(VideoTransform):
    """Several of ``RandomResizedCrop``, ``RandomHorizontalFlip``, ``ColorJitter``, ``ToDtype``, ``Normalize``
    in one pass; made by :func:`fuse`.

    Calling it draws every member's parameters exactly as the members would in turn (same RNG, same order), so
    with the same seed it returns what ``v2.Compose(transforms)`` returns, to float rounding (bit for bit on CPU
    in the tests). The one-pass kernel (:func:`~videoaug.functional.fused_pipeline`) runs when the members'
    order and the input allow it: a ``RandomResizedCrop`` first if any, flips anywhere, at most one
    ``ColorJitter`` before any ``ToDtype`` / ``Normalize``, ``ToDtype(torch.float32, scale=True)`` (or one that
    leaves the dtype as it is), ``Normalize`` on float32, uint8 or float32 input. Anything else runs the members
    one after the other with the same parameters, so the result never depends on which path ran.

    Args:
        transforms: the members, in order; each a videoaug ``RandomResizedCrop``, ``RandomHorizontalFlip``,
            ``ColorJitter``, ``ToDtype`` or ``Normalize``.

    Shape:
        clip ``(T, C, H, W)`` or batch ``(B, T, C, H, W)``; same shape out, in the dtype the members give.

    Example:
        >>> import torch
        >>> from torchvision.transforms import v2
        >>> import videoaug as va
        >>> steps = [va.RandomHorizontalFlip(), va.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8),
        ...          va.ToDtype(torch.float32, scale=True), va.Normalize([0.45] * 3, [0.225] * 3)]
        >>> video = torch.randint(0, 256, (2, 8, 3, 32, 32), dtype=torch.uint8)
        >>> torch.manual_seed(0); a = v2.Compose(steps)(video)  # doctest: +ELLIPSIS
        <...>
        >>> torch.manual_seed(0); b = va.FusedTransforms(steps)(video)  # doctest: +ELLIPSIS
        <...>
        >>> bool(torch.allclose(a, b, atol=1e-5))
        True
    """

    def __init__(self, transforms: Sequence[v2.Transform]) -> None:
        super().__init__()
        transforms = list(transforms)
        if not transforms:
            raise ValueError("transforms: expected at least one transform, got none")
        for t in transforms:
            if type(t) not in _FUSABLE:
                names = ", ".join(c.__name__ for c in _FUSABLE)
                raise TypeError(f"transforms: expected videoaug {names}, got {type(t).__name__}")
        self.transforms = transforms

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        # each member draws as it would inside v2.Compose: same RNG, same order
        params = {"members": [t.make_params(flat_inputs) for t in self.transforms]}
        self.last_params = params
        return params

    def _plan(self, video: torch.Tensor, members: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The one-pass kernel's arguments for this input, or ``None`` when the members must run in turn."""
        dtype = video.dtype
        if dtype not in (torch.uint8, torch.float32):
            return None
        flip: torch.Tensor | None = None
        plan: dict[str, Any] = {"matrix": None, "mean_gain": None, "scale": False, "mean": None, "std": None}
        converted = False
        for j, (t, p) in enumerate(zip(self.transforms, members, strict=True)):
            if isinstance(t, RandomResizedCrop):
                if j > 0:
                    return None
                plan["box"] = torch.stack([p["top"], p["left"], p["height"], p["width"]], 1)
                plan["size"], plan["antialias"] = t.size, t.antialias
            elif isinstance(t, RandomHorizontalFlip):
                flip = p["flip"] if flip is None else flip ^ p["flip"]
            elif isinstance(t, ColorJitter):
                if plan["matrix"] is not None or converted or plan["mean"] is not None:
                    return None
                plan["matrix"], plan["mean_gain"] = F.color_jitter_params(
                    video, p["brightness"], p["contrast"], p["saturation"], p["hue"], p["order"])
            elif isinstance(t, ToDtype):
                if t.dtype == dtype:
                    continue
                if not (dtype == torch.uint8 and t.dtype == torch.float32 and t.scale):
                    return None
                plan["scale"], converted, dtype = True, True, torch.float32
            else:  # Normalize
                if dtype != torch.float32 or plan["mean"] is not None:
                    return None
                plan["mean"], plan["std"] = t.mean, t.std
        plan["flip"] = flip
        return plan

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        members = params["members"]
        plan = self._plan(video, members)
        if plan is not None:
            return F.fused_pipeline(video, **plan)
        for t, p in zip(self.transforms, members, strict=True):
            video = t.apply(video, p)
        return video

    def extra_repr(self) -> str:
        return ", ".join(type(t).__name__ for t in self.transforms)


def _fuse_list(transforms: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    run: list[Any] = []

    def close() -> None:
        if len(run) > 1:
            out.append(FusedTransforms(run))
        else:
            out.extend(run)
        run.clear()

    for t in transforms:
        if type(t) in _FUSABLE:
            if isinstance(t, RandomResizedCrop) or (
                isinstance(t, ColorJitter) and any(isinstance(r, ColorJitter) for r in run)
            ):
                # a crop opens a pass (the pixel steps before it stay apart); one colour matrix per pass (the
                # clamp between two jitters is not affine)
                close()
            run.append(t)
            continue
        close()
        out.append(fuse(t) if isinstance(t, v2.Compose) else t)
    close()
    return out


def fuse(transforms: v2.Compose | Sequence[Any]) -> v2.Compose:
    """A ``v2.Compose`` in which every run of two or more consecutive videoaug ``RandomResizedCrop``,
    ``RandomHorizontalFlip``, ``ColorJitter``, ``ToDtype``, ``Normalize`` is one :class:`FusedTransforms` (a
    crop only at the start of a run, one ``ColorJitter`` per run).

    The result draws the same parameters in the same order as the original, so with the same seed both give the
    same output to float rounding; the fused runs read their input once and write their output once. Other
    transforms (torchvision's, videoaug's crops, ...) stay as they are; nested ``v2.Compose`` are fused too. The
    members are the caller's objects, not copies.

    Args:
        transforms: a ``v2.Compose`` or a sequence of transforms.

    Returns:
        A new ``v2.Compose``.

    Example:
        >>> import torch
        >>> import videoaug as va
        >>> pipeline = va.fuse([va.RandomResizedCrop(32, scale=(0.5, 1.0)), va.RandomHorizontalFlip(),
        ...                     va.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8), va.ToDtype(torch.float32, scale=True),
        ...                     va.Normalize([0.45] * 3, [0.225] * 3)])
        >>> [type(t).__name__ for t in pipeline.transforms]
        ['FusedTransforms']
        >>> pipeline(torch.zeros(2, 8, 3, 40, 48, dtype=torch.uint8)).dtype
        torch.float32
    """
    if isinstance(transforms, v2.Compose):
        transforms = transforms.transforms
    elif not isinstance(transforms, Sequence) or isinstance(transforms, (str, bytes)):
        raise TypeError(f"transforms: expected a v2.Compose or a sequence of transforms, got "
                        f"{type(transforms).__name__}")
    return v2.Compose(_fuse_list(transforms))
