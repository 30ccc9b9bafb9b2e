"""Temporal transforms: which frames of a clip are shown, in which order, at which speed.

Every one of them is a single batched gather (:func:`videoaug.functional.temporal_gather`) with a per-clip
index tensor ``(B, T_out)``; that index tensor is the transform's parameter (``params["indices"]``), so a call
can be replayed exactly and tests can state the expected frames. ``T_out`` is the same for every clip of a
batch.

Which of these can change a label (use them only where the label does not depend on it):

- :class:`TemporalReverse` -- yes, for direction-dependent actions: "open door" reversed is "close door",
  "sit down" becomes "stand up", "push" becomes "pull" (Something-Something has many such pairs). Safe for
  appearance-defined classes (most of UCF-101 / Kinetics).
- :class:`RandomSpeed` -- yes, for speed-dependent classes: "walking" played at 2x looks like "running",
  "jogging" vs "running"; a slowed-down clip may cover only part of a short action. Its drawn rate
  (``params["rate"]``) is itself a useful self-supervised target (speed prediction).
- :class:`RandomFrameDrop` -- rarely: it leaves order and length intact but can hide a short event (a
  frame-level "hit" or "blink") or make counting classes ("jumping jacks x3") ambiguous.
- :class:`TemporalRandomCrop` -- it can cut out a short action from a long clip (the label then no longer
  holds for what is shown); it never reorders or re-times frames.
- :class:`UniformTemporalSubsample` -- deterministic; it changes the effective frame rate, which is harmless
  as long as training and evaluation use the same one.

Masks and box tracks given with the video (layouts in :mod:`videoaug.transforms._targets`) get the same frames:
a per-frame mask ``(T, ...)`` and a ``(T, N, 4)`` track are gathered with the clip's indices; boxes ``(N, 4)``
that hold on every frame come back unchanged.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ..functional._masks import gather_frames
from ..functional._temporal import (
    frame_drop_indices,
    reverse_indices,
    speed_indices,
    temporal_crop_indices,
    temporal_gather,
    uniform_subsample_indices,
    uniform_temporal_subsample,
)
from ._base import RandomVideoTransform, VideoShape, VideoTransform
from ._utils import positive_int, probability

__all__ = [
    "TemporalRandomCrop",
    "UniformTemporalSubsample",
    "RandomSpeed",
    "TemporalReverse",
    "RandomFrameDrop",
]


_positive_int = positive_int


class _FrameTargets:
    """Masks and box tracks take the frames ``params["indices"]`` (``(B, T_out)``) picks from the video."""

    targets = "transformed"

    def apply_mask(self, mask: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return gather_frames(mask, params["indices"])

    def apply_boxes(self, boxes: torch.Tensor, clip: int, params: dict[str, Any], per_frame: bool
                    ) -> tuple[torch.Tensor, tuple[int, int]]:
        t = self._call_targets()
        if per_frame:
            boxes = boxes[params["indices"][clip].to(boxes.device)]
        return boxes, (t.height, t.width)


class _GatherTransform(_FrameTargets, RandomVideoTransform):
    """Applies ``params["indices"]`` (``(B, T_out)``) with one gather."""

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return temporal_gather(video, params["indices"])


class TemporalRandomCrop(_GatherTransform):
    """Take ``size`` consecutive frames starting at a random frame, drawn per clip.

    Can change a label when the action is shorter than the clip and the crop misses it (see the module
    docstring).

    Args:
        size: number of frames kept, ``1 <= size <= T``.
        p: probability per clip of a random start; a clip that is not augmented gets the centre crop (start
            ``(T - size) // 2``), the crop used at evaluation.
        generator: optional ``torch.Generator``.

    Shape:
        ``(T, C, H, W)`` -> ``(size, C, H, W)``; ``(B, T, C, H, W)`` -> ``(B, size, C, H, W)``.

    Example:
        >>> crop = TemporalRandomCrop(8)
        >>> crop(torch.zeros(2, 16, 3, 32, 32)).shape
        torch.Size([2, 8, 3, 32, 32])
    """

    def __init__(self, size: int, p: float = 1.0, generator: torch.Generator | None = None) -> None:
        super().__init__(p=p, generator=generator)
        self.size = _positive_int(size, "size")

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        if self.size > shape.frames:
            raise ValueError(f"size: expected at most T={shape.frames} frames, got size={self.size}")
        room = shape.frames - self.size
        start = self._randint(0, room + 1, (shape.batch,))
        start = torch.where(self._apply_mask(shape.batch), start, torch.full_like(start, room // 2))
        return {"indices": temporal_crop_indices(start, self.size)}


class UniformTemporalSubsample(_FrameTargets, VideoTransform):
    """Keep ``num_samples`` evenly spaced frames (pytorchvideo's rule, deterministic).

    Frame indices are ``linspace(0, T - 1, num_samples)`` truncated to integers, so the first and last frames
    are always kept; ``num_samples > T`` repeats frames. It changes the effective frame rate, not the label,
    provided training and evaluation subsample alike.

    Args:
        num_samples: number of output frames.

    Shape:
        ``(T, C, H, W)`` -> ``(num_samples, C, H, W)``; likewise for batches.

    Example:
        >>> UniformTemporalSubsample(4)(torch.zeros(10, 3, 8, 8)).shape
        torch.Size([4, 3, 8, 8])
    """

    def __init__(self, num_samples: int) -> None:
        super().__init__()
        self.num_samples = _positive_int(num_samples, "num_samples")

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        # the kernel's own indices, kept for masks and box tracks (the same for every clip: no randomness)
        idx = uniform_subsample_indices(shape.frames, self.num_samples)
        return {"indices": idx.unsqueeze(0).expand(shape.batch, -1)}

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return uniform_temporal_subsample(video, params["indices"].shape[1])


class RandomSpeed(_GatherTransform):
    """Play each clip at its own random speed, resampled to a fixed number of frames.

    Each clip draws a playback rate ``r`` (log-uniformly in ``rate``, so 0.5x and 2x are equally likely) and a
    start frame; output frame ``j`` shows source frame ``start + floor(j * r)`` (the frame on screen at that
    time: rate 1 is the identity, rate 2 takes every other frame, rate 0.5 shows every frame twice). The start
    is uniform over the frames that let the whole output fit in the clip (0 when it cannot). Frames past the
    end are held on the last frame (``overflow="clamp"``, as SlowFast's and pytorchvideo's samplers do) or
    continue from the first (``overflow="loop"``, a cut back to the start).

    Can change a label: "walking" at 2x looks like "running" (see the module docstring). ``params["rate"]``
    holds the drawn rates (for logging or a speed-prediction target); replay uses ``params["indices"]``.

    Args:
        rate: ``(min, max)`` with ``0 < min <= max``, or a single positive rate (then only the start is
            random).
        num_frames: output length; ``None`` keeps ``T``.
        overflow: ``"clamp"`` or ``"loop"``, the rule for frames past the end.
        p: probability per clip of a speed change; a clip that is not augmented plays at rate 1 from the start
            that centres the output.
        generator: optional ``torch.Generator``.

    Shape:
        ``(B, T, C, H, W)`` -> ``(B, num_frames or T, C, H, W)``; likewise for clips.

    Example:
        >>> RandomSpeed((0.5, 2.0), num_frames=8)(torch.zeros(2, 16, 3, 8, 8)).shape
        torch.Size([2, 8, 3, 8, 8])
    """

    def __init__(self, rate: float | tuple[float, float] = (0.5, 2.0), num_frames: int | None = None,
                 overflow: str = "clamp", p: float = 1.0, generator: torch.Generator | None = None) -> None:
        super().__init__(p=p, generator=generator)
        if isinstance(rate, (int, float)) and not isinstance(rate, bool):
            rate = (float(rate), float(rate))
        if (not isinstance(rate, (tuple, list)) or len(rate) != 2
                or not all(isinstance(r, (int, float)) and not isinstance(r, bool) for r in rate)):
            raise TypeError(f"rate: expected a positive number or a (min, max) pair, got {rate!r}")
        lo, hi = float(rate[0]), float(rate[1])
        if not (0 < lo <= hi and math.isfinite(hi)):
            raise ValueError(f"rate: expected 0 < min <= max < inf, got {rate!r}")
        if overflow not in ("clamp", "loop"):
            raise ValueError(f"overflow: expected 'clamp' or 'loop', got {overflow!r}")
        self.rate = (lo, hi)
        self.num_frames = None if num_frames is None else _positive_int(num_frames, "num_frames")
        self.overflow = overflow

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        t_out = self.num_frames or shape.frames
        lo, hi = self.rate
        rate = torch.exp(self._uniform(shape.batch, low=math.log(lo), high=math.log(hi)))
        if lo == hi:
            rate.fill_(lo)
        augment = self._apply_mask(shape.batch)
        rate = torch.where(augment, rate, torch.ones_like(rate))
        # frames spanned by the output at this rate, and how far its start can move
        span = torch.floor((t_out - 1) * rate.double() + 1e-4).long() + 1
        room = (shape.frames - span).clamp(min=0)
        start = torch.floor(self._uniform(shape.batch) * (room + 1).float()).long().minimum(room)
        start = torch.where(augment, start, room // 2)
        indices = speed_indices(rate, start, t_out, shape.frames, self.overflow)
        return {"indices": indices, "rate": rate}


class TemporalReverse(_GatherTransform):
    """Play the clip backwards, per clip with probability ``p``.

    Changes the label of direction-dependent actions ("open door" reversed is "close door"); see the module
    docstring.

    Args:
        p: probability per clip of reversal.
        generator: optional ``torch.Generator``.

    Shape:
        Unchanged.

    Example:
        >>> clip = torch.arange(4.0).view(4, 1, 1, 1).expand(4, 1, 2, 2)
        >>> TemporalReverse(p=1.0)(clip)[:, 0, 0, 0]
        tensor([3., 2., 1., 0.])
    """

    def __init__(self, p: float = 0.5, generator: torch.Generator | None = None) -> None:
        super().__init__(p=p, generator=generator)

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        return {"indices": reverse_indices(self._apply_mask(shape.batch), shape.frames)}


class RandomFrameDrop(_GatherTransform):
    """Drop random frames and show the previous kept frame in their place, so order and ``T`` are unchanged.

    Simulates dropped frames of a poor stream or camera. Each frame after the first is dropped independently
    with probability ``drop_prob``, at most ``floor(max_fraction * T)`` per clip (the first frame is always
    kept: it has no earlier frame to repeat). Rarely changes a label (see the module docstring).

    Args:
        drop_prob: probability that a frame is dropped, in ``[0, 1]``.
        max_fraction: cap on the dropped fraction of the clip's frames, in ``[0, 1]``.
        p: probability per clip of dropping anything.
        generator: optional ``torch.Generator``.

    Shape:
        Unchanged.

    Example:
        >>> RandomFrameDrop(0.3)(torch.zeros(2, 8, 3, 4, 4)).shape
        torch.Size([2, 8, 3, 4, 4])
    """

    def __init__(self, drop_prob: float = 0.2, max_fraction: float = 0.5, p: float = 1.0,
                 generator: torch.Generator | None = None) -> None:
        super().__init__(p=p, generator=generator)
        self.drop_prob = probability(drop_prob, "drop_prob")
        self.max_fraction = probability(max_fraction, "max_fraction")

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        b, t = shape.batch, shape.frames
        u = self._uniform(b, t)
        drop = u < self.drop_prob
        drop[:, 0] = False
        # keep only the max_drop drops with the smallest draws, so the cap removes drops at random positions
        max_drop = math.floor(self.max_fraction * t)
        rank = torch.where(drop, u, torch.full_like(u, 2.0)).argsort(dim=1).argsort(dim=1)
        drop &= rank < max_drop
        drop &= self._apply_mask(b).unsqueeze(1)
        return {"indices": frame_drop_indices(~drop)}
