"""Base classes shared by every videoaug transform.

A videoaug transform is a :class:`torchvision.transforms.v2.Transform`: ``forward`` (inherited, never overridden)
flattens ``(video, label)`` tuples and dicts, calls :meth:`make_params` once, then :meth:`transform` on each input
that needs it. Labels and other plain values pass through as the same objects.

Randomness lives in :meth:`RandomVideoTransform.sample_params` only. It returns a dict of tensors with a leading
batch dimension ``B`` (one row per clip, ``B = 1`` for a single clip), already folded with the per-clip ``p`` draw:
a clip that is not augmented gets its transform's identity parameters, so a kernel never sees ``p``. The kernels in
:mod:`videoaug.functional` apply explicit parameters and hold no randomness, so

    params = t.make_params([video])          # or t.last_params after a call
    t.replay(video, params=params)           # same output as the call that drew them
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torchvision import tv_tensors
from torchvision.transforms import v2

from .._video import as_batch, check_video

__all__ = ["VideoShape", "VideoTransform", "RandomVideoTransform"]


@dataclass(frozen=True)
class VideoShape:
    """What parameter sampling needs to know about the input batch."""

    batch: int
    frames: int
    channels: int
    height: int
    width: int
    dtype: torch.dtype
    device: torch.device


def _find_video(flat_inputs: list[Any]) -> torch.Tensor:
    for inpt in flat_inputs:
        if isinstance(inpt, torch.Tensor):
            return inpt
    raise TypeError("expected a video tensor (T, C, H, W) or (B, T, C, H, W) among the inputs, found none")


class VideoTransform(v2.Transform):
    """A deterministic video transform. Subclasses implement :meth:`apply` on a batch ``(B, T, C, H, W)``."""

    # Videos are transformed; a plain tensor only when no Video is present and it is the first one (v2's rule), so
    # in ``(video, label)`` the label always passes through.
    _transformed_types = (tv_tensors.Video, torch.Tensor)

    def __init__(self) -> None:
        super().__init__()
        self._replay_params: dict[str, Any] | None = None
        self.last_params: dict[str, Any] | None = None

    # -- v2 hooks -------------------------------------------------------------------------------------------------
    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        if self._replay_params is not None:
            return self._replay_params
        video = _find_video(flat_inputs)
        check_video(video)
        b = video.shape[0] if video.ndim == 5 else 1
        t, c, h, w = video.shape[-4:]
        shape = VideoShape(b, t, c, h, w, video.dtype, video.device)
        params = self.sample_params(shape)
        params = {k: v.to(video.device, non_blocking=True) if isinstance(v, torch.Tensor) else v
                  for k, v in params.items()}
        self.last_params = params
        return params

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        batch, restore = as_batch(inpt)
        return restore(self.apply(batch, params))

    # -- what subclasses implement --------------------------------------------------------------------------------
    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        """Per-clip parameters as tensors with leading dimension ``shape.batch``. Deterministic transforms: ``{}``."""
        return {}

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        """Apply the functional kernel to a plain batch ``(B, T, C, H, W)`` with explicit ``params``."""
        raise NotImplementedError

    # -- replay ---------------------------------------------------------------------------------------------------
    def replay(self, *inputs: Any, params: dict[str, Any]) -> Any:
        """Run the transform on ``inputs`` with the given parameters instead of drawing new ones."""
        self._replay_params = params
        try:
            return self(*inputs)
        finally:
            self._replay_params = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["last_params"] = None
        return state


class RandomVideoTransform(VideoTransform):
    """A random video transform: parameters drawn once per clip, the same on every frame, independent across clips.

    Args:
        p: probability, drawn independently for each clip, that the clip is augmented. A clip that is not gets the
            transform's identity parameters.
        generator: optional ``torch.Generator``; parameters are drawn from it on its device (CPU by default) and
            moved to the input's device. ``None`` uses torch's global RNG, so ``torch.manual_seed`` and DataLoader
            worker seeding make runs reproducible.
    """

    def __init__(self, p: float = 1.0, generator: torch.Generator | None = None) -> None:
        super().__init__()
        if not isinstance(p, (int, float)) or not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"p: expected a probability in [0, 1], got {p!r}")
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator: expected a torch.Generator or None, got {type(generator).__name__}")
        self.p = float(p)
        self.generator = generator

    @property
    def _rng_device(self) -> torch.device:
        return self.generator.device if self.generator is not None else torch.device("cpu")

    def _uniform(self, *size: int, low: float | torch.Tensor = 0.0, high: float | torch.Tensor = 1.0) -> torch.Tensor:
        """Uniform draws in ``[low, high)`` of shape ``size`` (float32, on the RNG's device)."""
        u = torch.rand(size, generator=self.generator, device=self._rng_device)
        return low + (high - low) * u

    def _randint(self, low: int, high: int, size: tuple[int, ...]) -> torch.Tensor:
        return torch.randint(low, high, size, generator=self.generator, device=self._rng_device)

    def _apply_mask(self, batch: int) -> torch.Tensor:
        """Bool ``(B,)``: which clips are augmented, each with probability ``p``."""
        if self.p >= 1.0:
            return torch.ones(batch, dtype=torch.bool, device=self._rng_device)
        return self._uniform(batch) < self.p
