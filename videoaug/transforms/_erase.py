"""RandomTubeErasing: occlusion by one box per clip, on every frame.

Kernel in :mod:`videoaug.functional._erase`."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import torch

from .. import functional as F
from .._video import max_value
from ._base import RandomVideoTransform, VideoShape
from ._utils import positive_range, probability

__all__ = ["RandomTubeErasing"]

_ATTEMPTS = 10  # as torchvision's RandomErasing


class RandomTubeErasing(RandomVideoTransform):
    """Erase one box per clip on every frame of the clip (a "tube"), optionally drifting over time.

    The video version of torchvision's ``RandomErasing`` (Zhong et al., "Random Erasing Data Augmentation",
    AAAI 2020): the box's area fraction is drawn from ``scale`` and its aspect ratio log-uniformly from
    ``ratio``; of 10 candidates per clip the first that fits the frame is used, and a clip where none fits is
    left as it is (torchvision's rule). With ``drift > 0`` the box moves in a straight line: per clip a
    displacement of up to ``drift`` times the frame height (vertically) and width (horizontally) from the
    first frame to the last is drawn, and the start is placed so that the box stays fully inside the frame on
    every frame.

    Differences from torchvision's ``RandomErasing``: one draw per clip (torchvision draws once per call and,
    on a batch, erases the same box in every clip); ``value`` is given in [0, 1] units for every dtype
    (multiplied by 255 for uint8), and ``"random"`` fills with uniform noise in the value range, fixed per
    clip over time, where torchvision uses standard-normal noise (meant for normalized input).

    Args:
        scale: range of the erased area as a fraction of the frame area.
        ratio: range of the box's aspect ratio (height / width), drawn log-uniformly.
        value: fill: a number, one number per channel, or ``"random"``, in [0, 1] units.
        drift: largest displacement over the clip, as a fraction of the frame size, in [0, 1].
        p: probability, per clip, that the clip is erased.
        generator: optional ``torch.Generator``.

    Shape:
        clip ``(T, C, H, W)`` or batch ``(B, T, C, H, W)``; same out.

    Example:
        >>> import torch
        >>> from videoaug.transforms import RandomTubeErasing
        >>> out = RandomTubeErasing(p=1.0, drift=0.2)(torch.rand(2, 8, 3, 32, 32))
        >>> out.shape
        torch.Size([2, 8, 3, 32, 32])
    """

    targets = "unchanged"  # an occluded object is still there: masks and boxes come back as they are

    def __init__(
        self,
        scale: Sequence[float] = (0.02, 0.33),
        ratio: Sequence[float] = (0.3, 3.3),
        value: float | Sequence[float] | str = 0.0,
        drift: float = 0.0,
        p: float = 0.5,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(p=p, generator=generator)
        scale = positive_range(scale, "scale", upper=1.0)
        ratio = positive_range(ratio, "ratio")
        if isinstance(value, str):
            if value != "random":
                raise ValueError(
                    f"value: expected a number, a per-channel sequence or 'random', got {value!r}"
                )
        else:
            vals = [value] if isinstance(value, numbers.Number) else list(value)
            if len(vals) not in (1, 3) or not all(
                isinstance(v, numbers.Real) and not isinstance(v, bool) and 0 <= v <= 1 for v in vals
            ):
                raise ValueError(
                    f"value: expected 1 or 3 numbers in [0, 1] (fractions of the value range), got {value!r}"
                )
            value = tuple(float(v) for v in vals)
        drift = probability(drift, "drift")
        self.scale = (float(scale[0]), float(scale[1]))
        self.ratio = (float(ratio[0]), float(ratio[1]))
        self.value = value
        self.drift = float(drift)

    def _fill(self, shape: VideoShape) -> torch.Tensor:
        b, c = shape.batch, shape.channels
        top = max_value(shape.dtype)
        if self.value == "random":
            return self._uniform(b, c, shape.height, shape.width) * top
        if len(self.value) not in (1, c):
            raise ValueError(f"value: expected 1 or C={c} values for this input, got {len(self.value)}")
        v = torch.tensor(self.value, device=self._rng_device) * top
        return v.expand(b, c).clone()

    def _displacement(self, size: int, box: torch.Tensor) -> torch.Tensor:
        """Integer displacement over the clip, within ``drift * size`` and small enough for the box to fit."""
        room = (size - box).float()
        d = (self._uniform(box.shape[0], low=-self.drift, high=self.drift) * size).round()
        return torch.maximum(torch.minimum(d, room), -room)

    def _start(self, size: int, box: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
        """Uniform integer start such that the box is inside on the first and last frames."""
        lo = (-d).clamp_min(0)
        hi = (size - box).float() - d.clamp_min(0)
        return (lo + (self._uniform(box.shape[0]) * (hi - lo + 1)).floor()).clamp(max=hi)

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        b, h, w = shape.batch, shape.height, shape.width
        area = h * w * self._uniform(b, _ATTEMPTS, low=self.scale[0], high=self.scale[1])
        log_r = self._uniform(b, _ATTEMPTS, low=math.log(self.ratio[0]), high=math.log(self.ratio[1]))
        bh = (area * log_r.exp()).sqrt().round()
        bw = (area / log_r.exp()).sqrt().round()
        fits = (bh < h) & (bw < w)
        first = fits.int().argmax(dim=1, keepdim=True)  # first fitting attempt (0 if none fits)
        ok = fits.gather(1, first).squeeze(1) & self._apply_mask(b)
        bh = torch.where(ok, bh.gather(1, first).squeeze(1), torch.zeros(b, device=self._rng_device))
        bw = torch.where(ok, bw.gather(1, first).squeeze(1), torch.zeros(b, device=self._rng_device))
        dy = self._displacement(h, bh)
        dx = self._displacement(w, bw)
        return {
            "top": self._start(h, bh, dy),
            "left": self._start(w, bw, dx),
            "height": bh,
            "width": bw,
            "dy": dy,
            "dx": dx,
            "value": self._fill(shape),
        }

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.tube_erase(
            video,
            params["top"],
            params["left"],
            params["height"],
            params["width"],
            value=params["value"],
            dy=params["dy"],
            dx=params["dx"],
        )

    def extra_repr(self) -> str:
        return f"scale={self.scale}, ratio={self.ratio}, value={self.value!r}, drift={self.drift}, p={self.p}"
