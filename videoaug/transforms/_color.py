"""Photometric transforms: ColorJitter, RandomGrayscale, Grayscale.

Kernels in :mod:`videoaug.functional._color`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from .. import functional as F
from ._base import RandomVideoTransform, VideoShape, VideoTransform
from ._utils import factor_range

__all__ = ["ColorJitter", "RandomGrayscale", "Grayscale"]


class ColorJitter(RandomVideoTransform):
    """Random brightness, contrast, saturation and hue, drawn per clip and shared by all its frames.

    Each clip draws its four factors and a random order of the four ops (as torchvision does per call).
    Because every op is affine in the pixel's colour vector, the four are composed into one per-clip ``C x C``
    matrix and a per-frame offset (the contrast term), then applied to all frames with one batched matrix
    product, one clamp and, for uint8, one rounding. That is what makes it fast; it is also where results
    differ from torchvision's ``ColorJitter`` with the same factors and order:

    - **Hue** is a rotation of the chroma plane in YIQ space (as NVIDIA DALI does), not torchvision's HSV
      round trip. YIQ rotation keeps each pixel's luma; HSV shifting keeps its max and min channel.
      A pixel's HSV hue moves by ``h`` give or take about a quarter of ``|h|`` on average (up to half of
      ``|h|`` for some colours; none at ``h = ±0.5``), and since the two models keep different things the
      outputs differ by about ``0.6 |h|`` per channel on average for ``|h| <= 0.1`` (measured on uniform
      random colours; ``tests/test_transforms_color.py::TestHue`` holds the tolerance).
    - **One clamp at the end** instead of a clamp (and, for uint8, a truncation) after each op. Without
      clipping brightness, contrast and saturation match torchvision's float result to ~1e-6 in every order;
      for uint8 the result is rounded once where torchvision truncates after each op, so it is within 1
      level of torchvision's for one op and within 3 for three. When an intermediate
      result of torchvision's would leave [0, 1] (e.g. brightness 1.4 then contrast 0.6 on a bright frame),
      ours keeps the information that torchvision clipped away.
    - **Contrast** blends each frame with the mean luma *of that frame*, as torchvision does on a ``Video``
      (``(T, C, H, W)`` is treated as T images). On uint8 torchvision floors the luma before averaging; we do
      not (a difference below 0.5 level in the mean).
    - The per-clip ``p`` replaces ``RandomApply``, which draws once per call.

    On 1-channel input only brightness and contrast act; saturation and hue are no-ops (torchvision's
    PIL-matching behaviour for saturation; its hue raises on 1 channel).

    Args:
        brightness: ``b`` draws the factor from ``[max(0, 1 - b), 1 + b]``, or give ``(min, max)``. 0 or None:
            off.
        contrast: same rule as ``brightness``.
        saturation: same rule as ``brightness``.
        hue: ``h`` in [0, 0.5] draws the shift (in turns of the colour wheel) from ``[-h, h]``, or give
            ``(min, max)`` within [-0.5, 0.5].
        p: probability, per clip, that the clip is jittered.
        generator: optional ``torch.Generator`` for the draws.
        dynamic: vary the four factors (the order stays the clip's) smoothly over each clip's frames (DynaAugment, see
            :mod:`videoaug.transforms._dynamic`).

    Shape:
        clip ``(T, C, H, W)`` or batch ``(B, T, C, H, W)``, C in {1, 3}, uint8 or float in [0, 1]; same out.

    Example:
        >>> import torch
        >>> from videoaug.transforms import ColorJitter
        >>> video = torch.randint(0, 256, (2, 8, 3, 32, 32), dtype=torch.uint8)
        >>> ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8)(video).shape
        torch.Size([2, 8, 3, 32, 32])
    """

    targets = "unchanged"  # masks and boxes come back as they are: no pixel moves

    def __init__(
        self,
        brightness: float | Sequence[float] | None = None,
        contrast: float | Sequence[float] | None = None,
        saturation: float | Sequence[float] | None = None,
        hue: float | Sequence[float] | None = None,
        p: float = 1.0,
        generator: torch.Generator | None = None,
        dynamic: bool = False,
    ) -> None:
        super().__init__(p=p, generator=generator, dynamic=dynamic)
        self.brightness = factor_range(brightness, "brightness", 1.0, None)
        self.contrast = factor_range(contrast, "contrast", 1.0, None)
        self.saturation = factor_range(saturation, "saturation", 1.0, None)
        self.hue = factor_range(hue, "hue", 0.0, 0.5, clip_first=False)

    def _draw(
        self, rng: tuple[float, float] | None, b: int, identity: float, mask: torch.Tensor
    ) -> torch.Tensor:
        if rng is None:
            return torch.full((b,), identity, device=self._rng_device)
        v = self._uniform(b, low=rng[0], high=rng[1])
        return torch.where(mask, v, torch.full_like(v, identity))

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        b = shape.batch
        mask = self._apply_mask(b)
        params = {
            "brightness": self._draw(self.brightness, b, 1.0, mask),
            "contrast": self._draw(self.contrast, b, 1.0, mask),
            "saturation": self._draw(self.saturation, b, 1.0, mask),
            "hue": self._draw(self.hue, b, 0.0, mask),
            "order": self._uniform(b, 4).argsort(dim=1),
        }
        if not self.dynamic:
            return params
        n = shape.frames
        out: dict[str, Any] = {"order": self._frames(params["order"], n),
                               "per_frame": ("order", "brightness", "contrast", "saturation", "hue")}
        for name, identity in (("brightness", 1.0), ("contrast", 1.0), ("saturation", 1.0), ("hue", 0.0)):
            rng = getattr(self, name)
            v = params[name]
            v = self._vary(v, *rng, n) if rng is not None else self._frames(v, n)
            out[name] = torch.where(mask[:, None], v, torch.full_like(v, identity))
        return out

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        matrix, mean_gain = F.color_jitter_params(
            video, params["brightness"], params["contrast"], params["saturation"], params["hue"], params["order"]
        )
        return F.apply_color_affine_batch(video, matrix, None, mean_gain)  # the batch was checked once, by the call

    def extra_repr(self) -> str:
        return (
            f"brightness={self.brightness}, contrast={self.contrast}, saturation={self.saturation}, "
            f"hue={self.hue}, p={self.p}"
        )


class RandomGrayscale(RandomVideoTransform):
    """Turn whole clips to grayscale with probability ``p``, drawn per clip; the output keeps ``C`` channels.

    Unlike torchvision's ``RandomGrayscale``, which returns a ``tv_tensors.Video`` unchanged (silently), this
    one acts on videos. The luma uses torchvision's weights (0.2989, 0.587, 0.114); uint8 is rounded where
    torchvision truncates (at most 1 level apart). 1-channel input is returned unchanged.

    Args:
        p: probability, per clip, that the clip becomes gray.
        generator: optional ``torch.Generator``.

    Shape:
        clip ``(T, C, H, W)`` or batch ``(B, T, C, H, W)``; same out.

    Example:
        >>> import torch
        >>> from videoaug.transforms import RandomGrayscale
        >>> out = RandomGrayscale(p=1.0)(torch.rand(4, 3, 16, 16))
        >>> bool((out[:, 0] == out[:, 1]).all())
        True
    """

    targets = "unchanged"  # masks and boxes come back as they are: no pixel moves

    def __init__(self, p: float = 0.1, generator: torch.Generator | None = None) -> None:
        super().__init__(p=p, generator=generator)

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        return {"apply": self._apply_mask(shape.batch)}

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.grayscale_where(video, params["apply"])


class Grayscale(VideoTransform):
    """Convert every frame to its luma, as torchvision's ``Grayscale`` does for images.

    Args:
        num_output_channels: 1 (default, as torchvision) or 3 (the luma repeated).

    Shape:
        ``(..., T, C, H, W)`` in, ``(..., T, num_output_channels, H, W)`` out.
    """

    targets = "unchanged"  # masks and boxes come back as they are: no pixel moves

    def __init__(self, num_output_channels: int = 1) -> None:
        super().__init__()
        if num_output_channels not in (1, 3):
            raise ValueError(f"num_output_channels: expected 1 or 3, got {num_output_channels!r}")
        self.num_output_channels = num_output_channels

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.rgb_to_grayscale(video, self.num_output_channels)
