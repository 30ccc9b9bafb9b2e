"""Frames too small for an argument get the package's own error naming the argument and the size (issue 12,
item 12): no ``_LinAlgError`` from a perspective on a 1-pixel frame, no bare ``RuntimeError`` from reflect
padding wider than the frame."""

from __future__ import annotations

import pytest
import torch

import videoaug as va
from videoaug import functional as F


@pytest.mark.parametrize("hw", [(1, 1), (1, 8), (8, 1)])
def test_perspective_on_a_one_pixel_frame(hw):
    with pytest.raises(ValueError, match=rf"at least 2x2 pixels.*got {hw[0]}x{hw[1]}"):
        va.RandomPerspective(p=1.0)(torch.rand(4, 3, *hw))


def test_perspective_kernel_refuses_degenerate_corners():
    start = torch.tensor([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="startpoints, endpoints: expected four corners"):
        F.perspective(torch.rand(1, 2, 3, 1, 1), start, start)


def test_perspective_on_a_two_pixel_frame_works():
    out = va.RandomPerspective(p=1.0)(torch.rand(4, 3, 2, 2))
    assert out.shape == (4, 3, 2, 2) and torch.isfinite(out).all()


def test_reflect_padding_wider_than_the_frame():
    crop = va.RandomCrop(16, padding=20, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"RandomCrop: padding_mode='reflect'.*\(20, 20, 20, 20\) for a 16x16"):
        crop(torch.rand(4, 3, 16, 16))
    with pytest.raises(ValueError, match=r"padding: padding_mode='reflect'.*for a 16x16 frame"):
        F.pad(torch.rand(1, 4, 3, 16, 16), (20, 20, 20, 20), padding_mode="reflect")


def test_reflect_padding_up_to_the_frame_and_symmetric_beyond_it_work():
    x = torch.rand(4, 3, 16, 16)
    assert va.RandomCrop(16, padding=15, padding_mode="reflect")(x).shape == (4, 3, 16, 16)
    assert va.RandomCrop(16, padding=20, padding_mode="symmetric")(x).shape == (4, 3, 16, 16)
