"""Spatial transforms: crops, resizes, flips and warps, drawn per clip and shared by all frames of a clip.

Kernels in :mod:`videoaug.functional._geometry`. Names and arguments follow torchvision's ``v2`` transforms;
where the semantics differ it is said in the class docstring. The differences that hold for all of them:

- parameters are drawn per clip of a batch (torchvision draws one set per call, so every clip of a 5-D batch
  gets the same crop); each clip of a batch gets its own ``p`` draw (torchvision's ``p``, where it has one,
  is drawn once per call);
- a crop larger than the frame raises ``ValueError`` naming both sizes (torchvision's ``CenterCrop`` pads
  silently); use ``RandomCrop(pad_if_needed=True)`` to pad;
- ``fill`` is a number or one number per channel, in the input's value range (255 is white for uint8, 1.0 for
  float), as torchvision's tensor kernels read it.

Masks and boxes (``tv_tensors.Mask``, ``tv_tensors.BoundingBoxes``, layouts in
:mod:`videoaug.transforms._targets`) given with the video get each clip's parameters: masks by nearest
neighbour (values never interpolated, dtype kept) with 0 where the frame had no pixel (pads, warps; ``fill`` is
the video's only, where torchvision would use it for masks too), boxes as the enclosing box of their moved
corners clamped to the output frame, with ``canvas_size`` updated, as torchvision's box kernels do.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import torch
from torchvision.transforms import InterpolationMode

from .. import functional as F
from ..functional._boxes import affine_box_map, hflip_matrix, perspective_box_map, translate_scale_matrix
from ..functional._geometry import resized_size
from ._base import RandomVideoTransform, VideoShape, VideoTransform
from ._targets import Targets
from ._utils import (
    Fill,
    Size,
    check_fill,
    finite,
    interpolation_name,
    point,
    positive_int,
    positive_range,
    probability,
    size_pair,
    value_range,
)

__all__ = [
    "RandomResizedCrop",
    "RandomCrop",
    "CenterCrop",
    "Resize",
    "RandomShortSideScale",
    "RandomHorizontalFlip",
    "RandomRotation",
    "RandomAffine",
    "RandomPerspective",
]



class RandomResizedCrop(RandomVideoTransform):
    """Crop a random box of random area and aspect ratio from each clip and resize it to ``size``.

    The box is drawn per clip with torchvision's algorithm (10 tries of an area fraction from ``scale`` and
    a log-uniform aspect ratio from ``ratio``, then a centred crop clamped to ``ratio``) and cut from every
    frame of that clip. Resizing is bilinear with torchvision's antialias filter, batched over clips.

    ``p``: a clip that is not augmented gets the *whole frame* resized to ``size`` (so every clip of a batch
    has the output size); ``p=1`` (default) is torchvision's behaviour.

    Args:
        size: output ``(height, width)`` or one int for a square.
        scale: range of the box area as a fraction of the frame area.
        ratio: range of the box aspect ratio (width / height), drawn log-uniformly.
        interpolation: ``bilinear`` only (the one torchvision uses for video by default).
        antialias: widen the filter when shrinking, as torchvision's ``antialias=True``.
        p: per-clip probability of a random box.
        generator: optional ``torch.Generator`` for the draws.
        dynamic: vary the box's position smoothly over each clip's frames (DynaAugment, see
            :mod:`videoaug.transforms._dynamic`).

    Shape:
        ``(T, C, H, W)`` -> ``(T, C, *size)``; ``(B, T, C, H, W)`` -> ``(B, T, C, *size)``.

    Example:
        >>> import torch
        >>> from videoaug.transforms import RandomResizedCrop
        >>> RandomResizedCrop(112, scale=(0.5, 1.0))(torch.zeros(4, 16, 3, 128, 171, dtype=torch.uint8)).shape
        torch.Size([4, 16, 3, 112, 112])
    """

    targets = "transformed"

    def __init__(
        self,
        size: Size,
        scale: tuple[float, float] = (0.08, 1.0),
        ratio: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
        interpolation: InterpolationMode | str = InterpolationMode.BILINEAR,
        antialias: bool = True,
        p: float = 1.0,
        generator: torch.Generator | None = None,
        dynamic: bool = False,
    ) -> None:
        super().__init__(p=p, generator=generator, dynamic=dynamic)
        self.size = size_pair(size)
        self.scale = positive_range(scale, "scale")
        self.ratio = positive_range(ratio, "ratio")
        self.interpolation = interpolation_name(interpolation, ("bilinear",))
        self.antialias = bool(antialias)

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        b, h, w = shape.batch, shape.height, shape.width
        area = h * w
        tries = 10
        target = area * self._uniform(b, tries, low=self.scale[0], high=self.scale[1]).double()
        log_r = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        aspect = torch.exp(self._uniform(b, tries, low=log_r[0], high=log_r[1]).double())
        cw = torch.round(torch.sqrt(target * aspect)).long()
        ch = torch.round(torch.sqrt(target / aspect)).long()
        ok = (cw > 0) & (cw <= w) & (ch > 0) & (ch <= h)
        pick = ok.long().argmax(1, keepdim=True)  # first valid try
        cw, ch, found = cw.gather(1, pick)[:, 0], ch.gather(1, pick)[:, 0], ok.any(1)
        # torchvision's fallback: the whole frame clamped to the ratio range, centred
        in_ratio = w / h
        if in_ratio < self.ratio[0]:
            fw, fh = w, int(round(w / self.ratio[0]))
        elif in_ratio > self.ratio[1]:
            fw, fh = int(round(h * self.ratio[1])), h
        else:
            fw, fh = w, h
        u = self._uniform(b, 2).double()
        top = torch.floor(u[:, 0] * (h - ch + 1).clamp(min=1)).long()
        left = torch.floor(u[:, 1] * (w - cw + 1).clamp(min=1)).long()
        top = torch.where(found, top, torch.full_like(top, (h - fh) // 2))
        left = torch.where(found, left, torch.full_like(left, (w - fw) // 2))
        ch = torch.where(found, ch, torch.full_like(ch, fh))
        cw = torch.where(found, cw, torch.full_like(cw, fw))
        keep = ~self._apply_mask(b)  # not augmented: the whole frame
        params = {
            "top": top.masked_fill(keep, 0),
            "left": left.masked_fill(keep, 0),
            "height": ch.masked_fill(keep, h),
            "width": cw.masked_fill(keep, w),
        }
        if not self.dynamic:
            return params
        # the box pans smoothly within the frame (its size is the clip's); a whole-frame box has no room
        t, hb, wb = shape.frames, params["height"], params["width"]
        return {
            "top": self._vary(params["top"].double(), 0.0, (h - hb).double(), t).round().long(),
            "left": self._vary(params["left"].double(), 0.0, (w - wb).double(), t).round().long(),
            "height": self._frames(hb, t),
            "width": self._frames(wb, t),
            "per_frame": ("top", "left", "height", "width"),
        }

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.resized_crop(video, params["top"], params["left"], params["height"], params["width"],
                              self.size, antialias=self.antialias)

    def apply_mask(self, mask: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.resized_crop_mask(mask, params["top"], params["left"], params["height"], params["width"],
                                   self.size)

    def box_maps(self, params: dict[str, Any], shape: Targets) -> tuple[torch.Tensor, tuple[int, int]]:
        h, w = params["height"].double(), params["width"].double()
        m = translate_scale_matrix(-params["left"], -params["top"], self.size[1] / w, self.size[0] / h)
        return m, self.size


def _padding4(padding: int | Sequence[int] | None) -> tuple[int, int, int, int]:
    """torchvision's padding forms -> (left, top, right, bottom)."""
    if padding is None:
        return (0, 0, 0, 0)
    if isinstance(padding, numbers.Number):
        pad = [padding]
    else:
        pad = list(padding) if isinstance(padding, Sequence) and not isinstance(padding, str) else []
    if len(pad) not in (1, 2, 4) or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0 for v in pad):
        raise ValueError(f"padding: expected an int >= 0 or a sequence of 1, 2 or 4 of them, got {padding!r}")
    pad = [int(v) for v in pad]
    if len(pad) == 1:
        return (pad[0],) * 4  # type: ignore[return-value]
    if len(pad) == 2:
        return (pad[0], pad[1], pad[0], pad[1])
    return tuple(pad)  # type: ignore[return-value]


class RandomCrop(RandomVideoTransform):
    """Crop a ``size`` box at a random position of each clip, the same on every frame.

    Padding follows torchvision: ``padding`` first, then with ``pad_if_needed`` each side shorter than the
    crop is padded on both ends by the difference. Without it, a crop larger than the (padded) frame raises
    ``ValueError``.

    ``p``: a clip that is not augmented gets the centred box (the output size is the same for every clip).

    Args:
        size: crop ``(height, width)`` or one int.
        padding: ``int``, ``(left/right, top/bottom)`` or ``(left, top, right, bottom)``.
        pad_if_needed: pad a frame smaller than the crop.
        fill: constant for ``padding_mode="constant"``, in the input's value range.
        padding_mode: ``constant``, ``edge``, ``reflect`` or ``symmetric``.
        p: per-clip probability of a random position.
        generator: optional ``torch.Generator``.
        dynamic: vary the crop's position smoothly over each clip's frames (DynaAugment, see
            :mod:`videoaug.transforms._dynamic`).

    Shape:
        ``(..., T, C, H, W)`` -> ``(..., T, C, *size)``.
    """

    targets = "transformed"

    def __init__(
        self,
        size: Size,
        padding: int | Sequence[int] | None = None,
        pad_if_needed: bool = False,
        fill: float = 0,
        padding_mode: str = "constant",
        p: float = 1.0,
        generator: torch.Generator | None = None,
        dynamic: bool = False,
    ) -> None:
        super().__init__(p=p, generator=generator, dynamic=dynamic)
        self.size = size_pair(size)
        self.padding = _padding4(padding)
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(
                f"padding_mode: expected constant, edge, reflect or symmetric, got {padding_mode!r}")
        self.pad_if_needed = bool(pad_if_needed)
        integral = isinstance(fill, numbers.Integral) and not isinstance(fill, bool)
        self.fill = fill if integral else finite(fill, "fill")
        self.padding_mode = padding_mode

    def _full_padding(self, h: int, w: int) -> tuple[int, int, int, int]:
        left, top, right, bottom = self.padding
        ch, cw = self.size
        if self.pad_if_needed:
            ph, pw = h + top + bottom, w + left + right
            if pw < cw:
                left, right = left + cw - pw, right + cw - pw
            if ph < ch:
                top, bottom = top + ch - ph, bottom + ch - ph
        ph, pw = h + top + bottom, w + left + right
        if ch > ph or cw > pw:
            raise ValueError(f"RandomCrop: expected a crop no larger than the frame, got crop {ch}x{cw} "
                             f"for a {ph}x{pw} frame (after padding {self.padding}); "
                             "use pad_if_needed=True to pad")
        if self.padding_mode == "reflect" and (max(left, right) >= w or max(top, bottom) >= h):
            raise ValueError(f"RandomCrop: padding_mode='reflect' needs each side's padding smaller than the frame, "
                             f"got padding (left, top, right, bottom)={(left, top, right, bottom)} for a {h}x{w} "
                             "frame; use padding_mode='symmetric' (or 'edge', 'constant') or a smaller padding")
        return left, top, right, bottom

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        left, top, right, bottom = self._full_padding(shape.height, shape.width)
        ph, pw = shape.height + top + bottom, shape.width + left + right
        ch, cw = self.size
        u = self._uniform(shape.batch, 2).double()
        t = torch.floor(u[:, 0] * (ph - ch + 1)).long()
        lf = torch.floor(u[:, 1] * (pw - cw + 1)).long()
        keep = ~self._apply_mask(shape.batch)
        top_c, left_c = int(round((ph - ch) / 2.0)), int(round((pw - cw) / 2.0))
        if not self.dynamic:
            return {"top": t.masked_fill(keep, top_c), "left": lf.masked_fill(keep, left_c)}
        n = shape.frames
        t = self._vary(t.double(), 0.0, float(ph - ch), n).round().long()
        lf = self._vary(lf.double(), 0.0, float(pw - cw), n).round().long()
        return {"top": t.masked_fill(keep[:, None], top_c), "left": lf.masked_fill(keep[:, None], left_c),
                "per_frame": ("top", "left")}

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        pad = self._full_padding(video.shape[-2], video.shape[-1])
        if any(pad):
            video = F.pad(video, pad, fill=self.fill, padding_mode=self.padding_mode)
        return F.crop(video, params["top"], params["left"], *self.size)

    def apply_mask(self, mask: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        pad = self._full_padding(mask.shape[-2], mask.shape[-1])
        if any(pad):
            mask = F.pad(mask, pad, fill=0, padding_mode=self.padding_mode)
        return F.crop(mask, params["top"], params["left"], *self.size)

    def box_maps(self, params: dict[str, Any], shape: Targets) -> tuple[torch.Tensor, tuple[int, int]]:
        # padding moves the frame's origin by (left, top); a reflected or repeated border makes copies of what
        # is near it, but a box keeps framing its object, so every padding mode moves boxes alike
        left, top, _, _ = self._full_padding(shape.height, shape.width)
        return translate_scale_matrix(left - params["left"], top - params["top"]), self.size


class CenterCrop(VideoTransform):
    """Crop the central ``size`` box of every frame (torchvision's rounding of the offset).

    Unlike torchvision, a crop larger than the frame raises ``ValueError`` instead of padding with zeros.

    Args:
        size: ``(height, width)`` or one int.

    Shape:
        ``(..., T, C, H, W)`` -> ``(..., T, C, *size)``.
    """

    def __init__(self, size: Size) -> None:
        super().__init__()
        self.size = size_pair(size)

    targets = "transformed"

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.center_crop(video, self.size)

    def apply_mask(self, mask: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.center_crop(mask, self.size)

    def box_maps(self, params: dict[str, Any], shape: Targets) -> tuple[torch.Tensor, tuple[int, int]]:
        (h, w), (ch, cw) = (shape.height, shape.width), self.size
        top, left = int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))
        shift = torch.full((shape.batch,), 1.0, dtype=torch.float64)
        return translate_scale_matrix(-left * shift, -top * shift), self.size


class Resize(VideoTransform):
    """Resize every frame to ``size`` (bilinear, antialiased as torchvision's default).

    Args:
        size: ``(height, width)``, or one int: the shorter side becomes ``size`` and the longer keeps the
            aspect ratio (torchvision's rule).
        interpolation: ``bilinear`` only.
        max_size: with an int ``size``, an upper bound on the longer side.
        antialias: as torchvision's.

    Shape:
        ``(..., T, C, H, W)`` -> ``(..., T, C, H', W')``.
    """

    def __init__(self, size: Size, interpolation: InterpolationMode | str = InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool = True) -> None:
        super().__init__()
        if isinstance(size, numbers.Integral) or (isinstance(size, Sequence) and len(size) == 1):
            s = int(size if isinstance(size, numbers.Integral) else size[0])
            if s <= 0:
                raise ValueError(f"size: expected a positive int, got {size!r}")
            self.size: int | tuple[int, int] = s
        else:
            self.size = size_pair(size)
            if max_size is not None:
                raise ValueError("max_size: only allowed with an int size, as in torchvision")
        if max_size is not None and positive_int(max_size, "max_size") <= self.size:
            raise ValueError(f"max_size: expected an int larger than size={self.size}, got {max_size!r}")
        self.interpolation = interpolation_name(interpolation, ("bilinear",))
        self.max_size = max_size
        self.antialias = bool(antialias)

    targets = "transformed"

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.resize(video, self.size, antialias=self.antialias, max_size=self.max_size)

    def apply_mask(self, mask: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.resize_mask(mask, self.size, max_size=self.max_size)

    def box_maps(self, params: dict[str, Any], shape: Targets) -> tuple[torch.Tensor, tuple[int, int]]:
        h, w = shape.height, shape.width
        size = resized_size(h, w, self.size, self.max_size)
        return _scale_maps(shape.batch, h, w, size), size


class RandomShortSideScale(RandomVideoTransform):
    """Resize so that the shorter side is a random integer in ``[min_size, max_size]`` (pytorchvideo's
    ``RandomShortSideScale``), keeping the aspect ratio.

    A batch must keep one shape, so **one size is drawn per call** and used for every clip of the batch,
    and ``p`` is drawn once per call too (with probability ``1 - p`` the batch is returned unchanged). In
    DataLoader workers, where each call sees one clip, that is one draw per clip.

    Args:
        min_size, max_size: inclusive range of the shorter side.
        interpolation: ``bilinear`` only.
        antialias: as torchvision's.
        p: probability, per call, of resizing.
        generator: optional ``torch.Generator``.

    Shape:
        ``(..., T, C, H, W)`` -> ``(..., T, C, H', W')`` with ``min(H', W')`` the drawn size.
    """

    targets = "transformed"

    def __init__(self, min_size: int, max_size: int, interpolation: InterpolationMode | str = "bilinear",
                 antialias: bool = True, p: float = 1.0, generator: torch.Generator | None = None) -> None:
        super().__init__(p=p, generator=generator)
        if not positive_int(min_size, "min_size") <= positive_int(max_size, "max_size"):
            raise ValueError(
                f"min_size, max_size: expected ints 0 < min_size <= max_size, got {min_size}, {max_size}")
        self.min_size, self.max_size = min_size, max_size
        self.interpolation = interpolation_name(interpolation, ("bilinear",))
        self.antialias = bool(antialias)

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        size = self._randint(self.min_size, self.max_size + 1, (1,))
        if self.p < 1.0 and not bool(self._apply_mask(1)[0]):
            size = torch.full((1,), min(shape.height, shape.width))
        return {"short_side": size.expand(shape.batch)}

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        s = params["short_side"]
        if bool((s != s[0]).any()):
            raise ValueError(f"short_side: expected one size for the whole batch, got {s.tolist()}")
        size = int(s[0])
        if size == min(video.shape[-2:]):
            return video.clone()
        return F.resize(video, size, antialias=self.antialias)

    def apply_mask(self, mask: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.resize_mask(mask, int(params["short_side"][0]))

    def box_maps(self, params: dict[str, Any], shape: Targets) -> tuple[torch.Tensor, tuple[int, int]]:
        h, w = shape.height, shape.width
        size = F.output_size_short_side(h, w, int(params["short_side"][0]))
        return _scale_maps(shape.batch, h, w, size), size


class RandomHorizontalFlip(RandomVideoTransform):
    """Mirror each clip left-right with probability ``p``, drawn per clip.

    Args:
        p: per-clip probability of flipping.
        generator: optional ``torch.Generator``.

    Shape:
        same in and out.
    """

    targets = "transformed"

    def __init__(self, p: float = 0.5, generator: torch.Generator | None = None) -> None:
        super().__init__(p=p, generator=generator)

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        return {"flip": self._apply_mask(shape.batch)}

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.hflip(video, params["flip"])

    def apply_mask(self, mask: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.hflip(mask, params["flip"])

    def box_maps(self, params: dict[str, Any], shape: Targets) -> tuple[torch.Tensor, tuple[int, int]]:
        return hflip_matrix(params["flip"], shape.width), (shape.height, shape.width)


class RandomRotation(RandomVideoTransform):
    """Rotate each clip by an angle drawn per clip from ``degrees`` (counter-clockwise, about the centre).

    Same maths as torchvision's ``rotate`` (including its ``fill`` rule: pixels partly from outside the frame
    are blended with ``fill``). ``expand=True`` is not offered: clips of a batch would need different sizes.

    Args:
        degrees: ``d`` for ``(-d, d)``, or ``(min, max)``.
        interpolation: ``nearest`` (torchvision's default) or ``bilinear``.
        expand: must be False.
        center: ``(x, y)`` pixel centre of rotation; the frame centre by default.
        fill: value outside the frame, in the input's range.
        p: per-clip probability of rotating (a clip that is not keeps angle 0).
        generator: optional ``torch.Generator``.
        dynamic: vary the angle smoothly over each clip's frames (DynaAugment, see
            :mod:`videoaug.transforms._dynamic`).

    Shape:
        same in and out.
    """

    targets = "transformed"

    def __init__(self, degrees: float | Sequence[float], interpolation: InterpolationMode | str = "nearest",
                 expand: bool = False, center: Sequence[float] | None = None, fill: Fill = 0,
                 p: float = 1.0, generator: torch.Generator | None = None, dynamic: bool = False) -> None:
        super().__init__(p=p, generator=generator, dynamic=dynamic)
        if expand:
            raise ValueError("expand: expected False (clips of a batch must keep one size), got True")
        self.degrees = value_range(degrees, "degrees")
        self.interpolation = interpolation_name(interpolation, ("nearest", "bilinear"))
        self.center = point(center, "center")
        self.fill = check_fill(fill)

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        angle = self._uniform(shape.batch, low=self.degrees[0], high=self.degrees[1])
        keep = ~self._apply_mask(shape.batch)
        if not self.dynamic:
            return {"angle": angle.masked_fill(keep, 0.0)}
        angle = self._vary(angle, *self.degrees, shape.frames)
        return {"angle": angle.masked_fill(keep[:, None], 0.0), "per_frame": ("angle",)}

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.rotate(video, params["angle"], self.interpolation, self.fill, self.center)

    def apply_mask(self, mask: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.rotate(mask, params["angle"], "nearest", None, self.center)

    def box_maps(self, params: dict[str, Any], shape: Targets) -> tuple[torch.Tensor, tuple[int, int]]:
        angle = -params["angle"].double()  # as F.rotate hands it to the affine matrix
        zeros = torch.zeros(angle.shape[0], 2, dtype=torch.float64, device=angle.device)
        m = affine_box_map(angle, zeros, 1.0, zeros, shape.height, shape.width, self.center)
        return m, (shape.height, shape.width)


class RandomAffine(RandomVideoTransform):
    """Random rotation, translation, scale and shear, drawn per clip with torchvision's ranges and rules.

    ``translate=(a, b)``: horizontal shift drawn in ``(-a W, a W)``, vertical in ``(-b H, b H)``, rounded to
    whole pixels as torchvision does. ``shear``: ``s`` -> x-shear in ``(-s, s)``; ``(a, b)`` -> x-shear in
    ``(a, b)``; ``(a, b, c, d)`` -> x in ``(a, b)`` and y in ``(c, d)``.

    Args:
        degrees: ``d`` for ``(-d, d)``, or ``(min, max)``.
        translate: maximal fractions ``(a, b)`` or None.
        scale: range ``(min, max)`` or None (1).
        shear: as above, or None.
        interpolation: ``nearest`` (default, as torchvision) or ``bilinear``.
        fill: value outside the frame, in the input's range.
        center: ``(x, y)`` pixel centre; the frame centre by default.
        p: per-clip probability (a clip that is not gets the identity).
        generator: optional ``torch.Generator``.
        dynamic: vary angle, translation, scale and shear smoothly over each clip's frames (DynaAugment, see
            :mod:`videoaug.transforms._dynamic`).

    Shape:
        same in and out.
    """

    targets = "transformed"

    def __init__(
        self,
        degrees: float | Sequence[float],
        translate: Sequence[float] | None = None,
        scale: Sequence[float] | None = None,
        shear: float | Sequence[float] | None = None,
        interpolation: InterpolationMode | str = "nearest",
        fill: Fill = 0,
        center: Sequence[float] | None = None,
        p: float = 1.0,
        generator: torch.Generator | None = None,
        dynamic: bool = False,
    ) -> None:
        super().__init__(p=p, generator=generator, dynamic=dynamic)
        self.degrees = value_range(degrees, "degrees")
        if translate is not None:
            if not isinstance(translate, Sequence) or len(translate) != 2:
                raise ValueError(f"translate: expected two fractions in [0, 1], got {translate!r}")
            translate = (probability(translate[0], "translate"), probability(translate[1], "translate"))
        self.translate = translate
        self.scale = None if scale is None else positive_range(scale, "scale")
        if shear is None:
            self.shear = None
        elif isinstance(shear, numbers.Number):
            self.shear = (*value_range(shear, "shear"), 0.0, 0.0)
        elif len(shear) == 2:
            self.shear = (*value_range(tuple(shear), "shear"), 0.0, 0.0)
        elif len(shear) == 4:
            self.shear = (*value_range(tuple(shear[:2]), "shear"), *value_range(tuple(shear[2:]), "shear"))
        else:
            raise ValueError(f"shear: expected a number or 2 or 4 values, got {shear!r}")
        self.interpolation = interpolation_name(interpolation, ("nearest", "bilinear"))
        self.fill = check_fill(fill)
        self.center = point(center, "center")

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        b = shape.batch
        angle = self._uniform(b, low=self.degrees[0], high=self.degrees[1])
        translate = torch.zeros(b, 2)
        if self.translate is not None:
            max_d = torch.tensor([self.translate[0] * shape.width, self.translate[1] * shape.height])
            translate = torch.round(self._uniform(b, 2, low=-max_d, high=max_d))
        scale = torch.ones(b)
        if self.scale is not None:
            scale = self._uniform(b, low=self.scale[0], high=self.scale[1])
        shear = torch.zeros(b, 2)
        if self.shear is not None:
            lo = torch.tensor([self.shear[0], self.shear[2]])
            hi = torch.tensor([self.shear[1], self.shear[3]])
            shear = self._uniform(b, 2, low=lo, high=hi)
        keep = ~self._apply_mask(b)
        if self.dynamic:
            n = shape.frames
            angle = self._vary(angle, *self.degrees, n)
            if self.translate is not None:
                translate = torch.round(self._vary(translate, -max_d, max_d, n))
            else:
                translate = self._frames(translate, n)
            scale = self._vary(scale, *self.scale, n) if self.scale is not None else self._frames(scale, n)
            if self.shear is not None:
                shear = self._vary(shear, lo, hi, n)
            else:
                shear = self._frames(shear, n)
            keep = keep[:, None]
        params = {
            "angle": angle.masked_fill(keep, 0.0),
            "translate": translate.masked_fill(keep[..., None], 0.0),
            "scale": scale.masked_fill(keep, 1.0),
            "shear": shear.masked_fill(keep[..., None], 0.0),
        }
        return {**params, "per_frame": tuple(params)} if self.dynamic else params

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.affine(video, params["angle"], params["translate"], params["scale"], params["shear"],
                        self.interpolation, self.fill, self.center)

    def apply_mask(self, mask: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.affine(mask, params["angle"], params["translate"], params["scale"], params["shear"],
                        "nearest", None, self.center)

    def box_maps(self, params: dict[str, Any], shape: Targets) -> tuple[torch.Tensor, tuple[int, int]]:
        m = affine_box_map(params["angle"], params["translate"], params["scale"], params["shear"],
                           shape.height, shape.width, self.center)
        return m, (shape.height, shape.width)


class RandomPerspective(RandomVideoTransform):
    """Random perspective warp per clip: each corner moves inwards by up to ``distortion_scale`` of half the
    frame (torchvision's integer corner draws), the same on every frame.

    Args:
        distortion_scale: in [0, 1].
        p: per-clip probability (torchvision's default 0.5; a clip that is not keeps its corners).
        interpolation: ``bilinear`` (default, as torchvision) or ``nearest``.
        fill: value outside the frame, in the input's range.
        generator: optional ``torch.Generator``.
        dynamic: vary the corners' displacements smoothly over each clip's frames (DynaAugment, see
            :mod:`videoaug.transforms._dynamic`).

    Shape:
        same in and out.
    """

    targets = "transformed"

    def __init__(self, distortion_scale: float = 0.5, p: float = 0.5,
                 interpolation: InterpolationMode | str = "bilinear", fill: Fill = 0,
                 generator: torch.Generator | None = None, dynamic: bool = False) -> None:
        super().__init__(p=p, generator=generator, dynamic=dynamic)
        self.distortion_scale = probability(distortion_scale, "distortion_scale")
        self.interpolation = interpolation_name(interpolation, ("nearest", "bilinear"))
        self.fill = check_fill(fill)

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        b, h, w = shape.batch, shape.height, shape.width
        if h < 2 or w < 2:
            raise ValueError(f"RandomPerspective: expected frames of at least 2x2 pixels (a perspective moves the "
                             f"four corners of the frame), got {h}x{w}")
        bh = int(self.distortion_scale * (h // 2)) + 1
        bw = int(self.distortion_scale * (w // 2)) + 1
        dx = self._randint(0, bw, (b, 4)).double()
        dy = self._randint(0, bh, (b, 4)).double()
        start = torch.tensor([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=torch.float64)
        sign = torch.tensor([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=torch.float64)
        d = torch.stack([dx, dy], -1)
        keep = ~self._apply_mask(b)
        if self.dynamic:  # the displacements drift within their integer range, as floats
            d = self._vary(d, 0.0, torch.tensor([bw - 1.0, bh - 1.0], dtype=torch.float64), shape.frames)
            end = torch.where(keep[:, None, None, None], start, start + sign * d)
            return {"startpoints": start.expand(b, shape.frames, 4, 2).clone(), "endpoints": end,
                    "per_frame": ("startpoints", "endpoints")}
        end = torch.where(keep[:, None, None], start, start + sign * d)
        return {"startpoints": start.expand(b, 4, 2).clone(), "endpoints": end}

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.perspective(video, params["startpoints"], params["endpoints"], self.interpolation, self.fill)

    def apply_mask(self, mask: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.perspective(mask, params["startpoints"], params["endpoints"], "nearest", None)

    def box_maps(self, params: dict[str, Any], shape: Targets) -> tuple[torch.Tensor, tuple[int, int]]:
        return perspective_box_map(params["startpoints"], params["endpoints"]), (shape.height, shape.width)


def _scale_maps(batch: int, h: int, w: int, size: tuple[int, int]) -> torch.Tensor:
    """``(B, 3, 3)`` maps of a resize from ``h x w`` to ``size`` (torchvision's box ratios)."""
    zero = torch.zeros(batch, dtype=torch.float64)
    return translate_scale_matrix(zero, zero, size[1] / w, size[0] / h)
