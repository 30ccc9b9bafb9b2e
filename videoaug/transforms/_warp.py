"""A random smooth warp per clip: affine part plus a coarse displacement field, optionally drifting over frames.

Kernel in :mod:`videoaug.functional._warp`. It is the untrained counterpart of the RCGAN generator's warp head
(same fields, same units, same sampling), so the two can be compared at matched magnitudes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torchvision.transforms import InterpolationMode

from .. import functional as F
from ..functional._boxes import box_outline, enclosing_boxes
from ..functional._warp import PADDING_MODES, smooth_warp_points
from ._base import RandomVideoTransform, VideoShape
from ._utils import Fill, check_fill, int_pair, interpolation_name, non_negative, probability

__all__ = ["RandomSmoothWarp"]


class RandomSmoothWarp(RandomVideoTransform):
    """Warp each clip by a random smooth deformation: a translation, an affine part and a coarse displacement
    field, drawn per clip and (with ``drift=0``) applied identically to every frame.

    It is a video-consistent elastic warp, and the classical baseline of the RCGAN generator: its fields, units
    and sampling are exactly those of :meth:`videoaug.gan.networks.Generator.apply_fields`, so
    ``translate=max_shift, affine=max_affine, displacement=max_warp`` draws uniformly inside the generator's
    bounds. Units are normalised (``align_corners=False``: 1.0 is half the side of the frame), and the fields say
    where each output pixel samples the input (``out(x) = in((I + A) x + s + d(x))``), so content moves by
    ``-s``. Per clip it draws

    - ``shift`` ``s``: uniform in ``[-translate, translate]`` per axis (x, y); a horizontal 0.1 moves by up to 5 %
      of the width;
    - ``affine`` ``A`` (2x2): each entry uniform in ``[-affine, affine]`` (rotation, scale, shear and flip-free
      stretch in one matrix; it keeps the frame centre fixed);
    - ``warp`` ``d``: a ``grid_size`` coarse field of (x, y) displacements, each value uniform in
      ``[-displacement, displacement]`` and independent, upsampled to the frame bilinearly (``align_corners=False``,
      as the generator does: each control value sits at the centre of its cell of a ``gh x gw`` tiling, values
      are interpolated linearly between centres, so no pixel moves further than the largest control value and
      the field varies on the scale of one cell).

    ``affine=0, displacement=0`` is a pure translation; ``translate=0, affine=0`` a pure local field.

    ``drift`` in ``[0, 1]``: each clip also draws a second set ``(s', A', d')`` and frame ``t`` of ``T`` gets
    ``first + drift * t / (T - 1) * (second - first)``, a straight path from the first set towards the second
    (reaching it on the last frame with ``drift=1``). Every frame stays inside the bounds (a convex combination),
    consecutive frames differ by the same step, and ``drift=0`` gives every frame the same warp. The parameters
    are then per frame (``(B, T, ...)``), so a replay needs a clip of the same length.

    Compared with torchvision's ``ElasticTransform``: that one draws a per-pixel random field, smooths it with a
    Gaussian (``sigma``) and scales it (``alpha``, in pixels), once per call and per image: on a video it would
    give each frame of a ``(T, C, H, W)`` tensor the same field only because the frames are treated as a batch of
    one call, every clip of a batch the same field, and no affine part or motion over time. Here the field is
    drawn per clip, low-frequency by construction (``grid_size`` control points rather than smoothing a
    per-pixel draw, so it does not depend on the frame size), bounded in normalised units, and optionally drifts.

    ``p``: a clip that is not augmented gets zero fields (the identity).

    Masks and boxes given with the video (:mod:`videoaug.transforms._targets`) follow each clip's warp: masks by
    nearest neighbour with the same ``padding_mode`` (0 outside the frame with ``"zeros"``); a box, whose sides
    the field bends, as the enclosing box of 16 points per side moved to where the warp puts them (the inverse
    of its sampling grid, found by fixed-point iteration), clamped to the frame; with ``drift`` every frame its
    own, so boxes on every frame come back as a ``(T, N, 4)`` track.

    Args:
        translate: largest ``|shift|`` per axis, a number or ``(x, y)``, normalised (1.0 = half the side).
        affine: largest ``|entry|`` of the deviation of the 2x2 linear part from the identity.
        displacement: largest ``|value|`` of each control point of the field, normalised.
        grid_size: control points of the field, ``n`` or ``(rows, columns)``; 8 matches the generator's 1/8
            field at 64x64.
        drift: in ``[0, 1]``, how far the warp moves over the clip towards a second draw.
        padding_mode: ``"zeros"`` (pixels from outside the frame get ``fill``, as the generator's default),
            ``"border"`` (the edge pixel) or ``"reflection"`` (the mirrored frame; best for natural video).
        interpolation: ``bilinear`` (default) or ``nearest`` (for masks and label maps).
        fill: with ``"zeros"``, the value outside the frame (a number or one per channel, in the input's range).
        p: per-clip probability of warping.
        generator: optional ``torch.Generator`` for the draws.
        dynamic: instead of a straight ``drift``, every value of the three fields follows a smooth random curve
            over the clip's frames within its bound (DynaAugment, :mod:`videoaug.transforms._dynamic`).

    Shape:
        same in and out: ``(T, C, H, W)`` or ``(B, T, C, H, W)``.

    Example:
        >>> import torch
        >>> from videoaug.transforms import RandomSmoothWarp
        >>> aug = RandomSmoothWarp(translate=0.1, affine=0.05, displacement=0.03, padding_mode="reflection")
        >>> out = aug(torch.rand(4, 8, 3, 32, 32))
        >>> out.shape, sorted(aug.last_params)
        (torch.Size([4, 8, 3, 32, 32]), ['affine', 'shift', 'warp'])
    """

    def __init__(
        self,
        translate: float | Sequence[float] = 0.1,
        affine: float = 0.05,
        displacement: float = 0.03,
        grid_size: int | Sequence[int] = 8,
        drift: float = 0.0,
        padding_mode: str = "zeros",
        interpolation: InterpolationMode | str = InterpolationMode.BILINEAR,
        fill: Fill = 0,
        p: float = 1.0,
        generator: torch.Generator | None = None,
        dynamic: bool = False,
    ) -> None:
        super().__init__(p=p, generator=generator, dynamic=dynamic)
        if isinstance(translate, Sequence) and not isinstance(translate, str):
            if len(translate) != 2:
                raise ValueError(f"translate: expected a number or an (x, y) pair, got {translate!r}")
            self.translate = (non_negative(translate[0], "translate"), non_negative(translate[1], "translate"))
        else:
            t = non_negative(translate, "translate")
            self.translate = (t, t)
        self.affine = non_negative(affine, "affine")
        self.displacement = non_negative(displacement, "displacement")
        self.grid_size = int_pair(grid_size, "grid_size")
        drift = probability(drift, "drift")
        if dynamic and drift:
            raise ValueError(f"drift: expected 0 with dynamic=True (the fields then follow smooth curves), "
                             f"got {drift!r}")
        self.drift = float(drift)
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode: expected one of {PADDING_MODES}, got {padding_mode!r}")
        self.padding_mode = padding_mode
        self.interpolation = interpolation_name(interpolation, ("nearest", "bilinear"))
        self.fill = check_fill(fill)

    def _draw(self, b: int) -> dict[str, torch.Tensor]:
        tx, ty = self.translate
        a, d = self.affine, self.displacement
        gh, gw = self.grid_size
        bound = torch.tensor([tx, ty])
        return {
            "shift": self._uniform(b, 2, low=-bound, high=bound),
            "affine": self._uniform(b, 2, 2, low=-a, high=a),
            "warp": self._uniform(b, 2, gh, gw, low=-d, high=d),
        }

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        """``shift`` ``(B, 2)``, ``affine`` ``(B, 2, 2)``, ``warp`` ``(B, 2, gh, gw)`` (float32); with ``drift > 0``
        each has a frame dimension after ``B``."""
        b, t = shape.batch, shape.frames
        params = self._draw(b)
        if self.dynamic:
            tx, ty = self.translate
            bounds = {"shift": torch.tensor([tx, ty]), "affine": self.affine, "warp": self.displacement}
            params = {k: self._vary(v, -bounds[k], bounds[k], t) for k, v in params.items()}
        elif self.drift > 0:
            second = self._draw(b)
            step = torch.arange(t, dtype=torch.float32) / max(t - 1, 1) * self.drift  # (T,)
            for k, first in params.items():
                w = step.view(1, t, *([1] * (first.ndim - 1)))
                params[k] = first[:, None] + w * (second[k] - first)[:, None]
        keep = ~self._apply_mask(b)
        params = {k: v.masked_fill(keep.view(b, *([1] * (v.ndim - 1))), 0.0) for k, v in params.items()}
        return {**params, "per_frame": ("shift", "affine", "warp")} if self.dynamic else params

    targets = "transformed"

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.smooth_warp(video, params["shift"], params["affine"], params["warp"], self.interpolation,
                             self.padding_mode, self.fill)

    def apply_mask(self, mask: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        return F.smooth_warp(mask, params["shift"], params["affine"], params["warp"], "nearest",
                             self.padding_mode, None)

    def apply_boxes(self, boxes: torch.Tensor, clip: int, params: dict[str, Any], per_frame: bool
                    ) -> tuple[torch.Tensor, tuple[int, int]]:
        t = self._call_targets()
        size = (t.height, t.width)
        shift, affine, warp = (params[k][clip].to(boxes.device) for k in ("shift", "affine", "warp"))
        if shift.ndim == 1:  # one warp for the clip: a leading dimension of 1
            shift, affine, warp = shift[None], affine[None], warp[None]
        outline = box_outline(boxes)  # (F, N, P, 2)
        f, nb, npts = outline.shape[:3]
        g = shift.shape[0]  # 1 or T warps
        rows = max(f, g)
        pts = outline.expand(rows, nb, npts, 2).reshape(rows, nb * npts, 2)
        moved = smooth_warp_points(pts, size, shift.expand(rows, 2), affine.expand(rows, 2, 2),
                                   warp.expand(rows, *warp.shape[1:]))
        return enclosing_boxes(moved.view(rows, nb, npts, 2), size), size
