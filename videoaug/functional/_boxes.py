"""Box kernels: every spatial transform moves a box as a plane map of its four corners.

Each geometric transform of :mod:`videoaug.transforms._geometry` states, per clip (or per frame), the 3x3 map
``M`` taking a point of the input frame to the output frame in continuous pixel coordinates (pixel ``(i, j)``
covers ``[j, j + 1) x [i, i + 1)``, the convention of torchvision's boxes): crops and pads translate, resizes
scale, a flip mirrors, affine and perspective warps are the inverse of the sampling map their image kernel uses.
:func:`warp_boxes` maps the four corners of every box and takes their enclosing axis-aligned box, then clamps it
to the output canvas, as torchvision's ``affine_bounding_boxes`` / ``perspective_bounding_boxes`` do; a box that
leaves the frame ends with zero width or height, which ``torchvision.transforms.v2.SanitizeBoundingBoxes``
removes. Boxes are ``XYXY`` here; the transforms convert from and back to the caller's format.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ._geometry import _affine_inverse_per_clip, perspective_coefficients

__all__ = [
    "warp_boxes",
    "clamp_boxes",
    "translate_scale_matrix",
    "hflip_matrix",
    "affine_box_map",
    "perspective_box_map",
    "box_outline",
    "enclosing_boxes",
]


def _eye(batch: int, device: torch.device | None = None) -> torch.Tensor:
    return torch.eye(3, dtype=torch.float64, device=device).expand(batch, 3, 3).clone()


def translate_scale_matrix(tx: torch.Tensor, ty: torch.Tensor, sx: torch.Tensor | float = 1.0,
                           sy: torch.Tensor | float = 1.0) -> torch.Tensor:
    """``(B, 3, 3)`` maps ``x -> sx * (x + tx)``, ``y -> sy * (y + ty)``: a crop at ``(top, left)`` is
    ``tx = -left, ty = -top``; resizing a ``h x w`` box to ``size`` is ``sx = size[1] / w, sy = size[0] / h``.

    Args:
        tx, ty: ``(B,)`` shifts in input pixels.
        sx, sy: ``(B,)`` or numbers, scale factors.
    """
    tx, ty = tx.to(torch.float64), ty.to(torch.float64)
    sx = torch.as_tensor(sx, dtype=torch.float64, device=tx.device).expand_as(tx)
    sy = torch.as_tensor(sy, dtype=torch.float64, device=tx.device).expand_as(tx)
    m = _eye(tx.shape[0], tx.device)
    m[:, 0, 0], m[:, 0, 2] = sx, sx * tx
    m[:, 1, 1], m[:, 1, 2] = sy, sy * ty
    return m


def hflip_matrix(flip: torch.Tensor, width: int) -> torch.Tensor:
    """``(B, 3, 3)``: ``x -> width - x`` where ``flip`` (``(B,)`` bools) is true, the identity elsewhere."""
    m = _eye(flip.shape[0], flip.device)
    f = flip.to(torch.bool)
    m[f, 0, 0] = -1.0
    m[f, 0, 2] = float(width)
    return m


def affine_box_map(angle: torch.Tensor, translate: torch.Tensor, scale: torch.Tensor | float,
                   shear: torch.Tensor, height: int, width: int, center: Sequence[float] | None = None
                   ) -> torch.Tensor:
    """``(B, 3, 3)`` forward map of :func:`~videoaug.functional.affine` with the same arguments (the inverse of
    the matrix its image kernel samples with): torchvision's ``affine_bounding_boxes`` matrix per clip.

    Args:
        angle: ``(B,)`` degrees; translate: ``(B, 2)`` pixels; scale: ``(B,)`` or one value; shear: ``(B, 2)``
            degrees; height, width: the frame; center: ``(x, y)`` pixel centre, the frame centre by default.
    """
    angle = torch.as_tensor(angle)
    b, dev = angle.reshape(-1).shape[0], angle.device
    inverse = _affine_inverse_per_clip(b, height, width, angle, translate, scale, shear, center, dev)
    inv = torch.cat([inverse, torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64, device=dev).expand(b, 1, 3)], 1)
    # the image kernel's coordinates are relative to the frame centre; boxes are in pixels from the corner
    shift = _eye(1, dev)
    shift[0, 0, 2], shift[0, 1, 2] = width * 0.5, height * 0.5
    unshift = _eye(1, dev)
    unshift[0, 0, 2], unshift[0, 1, 2] = -width * 0.5, -height * 0.5
    return shift @ torch.linalg.inv(inv) @ unshift


def perspective_box_map(startpoints: torch.Tensor, endpoints: torch.Tensor) -> torch.Tensor:
    """``(B, 3, 3)`` forward homography of :func:`~videoaug.functional.perspective` (``startpoints`` to
    ``endpoints``, ``(B, 4, 2)``): the inverse of its output-to-input coefficients, as torchvision's
    ``perspective_bounding_boxes``."""
    s = torch.as_tensor(startpoints).reshape(-1, 4, 2)
    e = torch.as_tensor(endpoints, device=s.device).reshape(-1, 4, 2)
    b = max(s.shape[0], e.shape[0])
    c = perspective_coefficients(s.expand(b, 4, 2), e.expand(b, 4, 2))
    back = torch.cat([c, torch.ones_like(c[:, :1])], -1).view(b, 3, 3)
    return torch.linalg.inv(back)


def clamp_boxes(boxes: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Clamp ``XYXY`` boxes ``(..., 4)`` to a ``height x width`` canvas (torchvision's ``clamp_bounding_boxes``
    for unrotated boxes). Returns a new tensor."""
    lo = boxes.new_zeros(4)
    hi = torch.tensor([width, height, width, height], dtype=boxes.dtype, device=boxes.device)
    return torch.minimum(torch.maximum(boxes, lo), hi)


def warp_boxes(boxes: torch.Tensor, matrix: torch.Tensor, canvas_size: tuple[int, int] | None = None
               ) -> torch.Tensor:
    """Map ``XYXY`` boxes by ``matrix`` and return the boxes enclosing their four mapped corners.

    Args:
        boxes: ``(F, N, 4)`` floating boxes, ``F`` frames (1 for boxes that hold on every frame).
        matrix: ``(G, 3, 3)`` input-to-output maps, ``G`` in ``{1, F}`` or ``F == 1``: one map per frame, or one
            for all. Homogeneous: a perspective map divides by the third coordinate.
        canvas_size: ``(height, width)`` of the output frame to clamp to; ``None`` leaves boxes unclamped.

    Shape:
        ``(max(F, G), N, 4)``, float64.
    """
    x0, y0, x1, y1 = boxes.to(torch.float64).unbind(-1)
    corners = torch.stack([torch.stack([x0, y0], -1), torch.stack([x1, y0], -1),
                           torch.stack([x1, y1], -1), torch.stack([x0, y1], -1)], -2)  # (F, N, 4, 2)
    ones = torch.ones_like(corners[..., :1])
    pts = torch.cat([corners, ones], -1)  # (F, N, 4, 3)
    m = matrix.to(torch.float64)
    mapped = torch.matmul(pts, m.transpose(-1, -2)[:, None])  # (max(F, G), N, 4, 3)
    xy = mapped[..., :2] / mapped[..., 2:]
    out = torch.cat([xy.amin(-2), xy.amax(-2)], -1)
    if canvas_size is not None:
        out = clamp_boxes(out, *canvas_size)
    return out



def box_outline(boxes: torch.Tensor, per_side: int = 16) -> torch.Tensor:
    """``per_side`` points along each side of every ``XYXY`` box ``(..., N, 4)``: ``(..., N, 4 * per_side, 2)``
    (x, y), float64, for warps that bend straight sides (a box is then moved as its outline)."""
    x0, y0, x1, y1 = boxes.to(torch.float64).unbind(-1)
    a = torch.linspace(0.0, 1.0, per_side, dtype=torch.float64, device=boxes.device)

    def side(xa, ya, xb, yb):
        return torch.stack([xa[..., None] + a * (xb - xa)[..., None], ya[..., None] + a * (yb - ya)[..., None]], -1)
    return torch.cat([side(x0, y0, x1, y0), side(x1, y0, x1, y1), side(x1, y1, x0, y1), side(x0, y1, x0, y0)], -2)


def enclosing_boxes(points: torch.Tensor, canvas_size: tuple[int, int] | None = None) -> torch.Tensor:
    """``(..., P, 2)`` points -> the ``XYXY`` boxes ``(..., 4)`` enclosing them, clamped to ``canvas_size``."""
    out = torch.cat([points.amin(-2), points.amax(-2)], -1)
    return clamp_boxes(out, *canvas_size) if canvas_size is not None else out
