"""dynamic=True (DynaAugment's smooth per-frame parameters): the shared contract with its smoothness check, masks
and boxes following the per-frame parameters, each frame equal to the static transform with that frame's
parameters, the Fourier curves themselves, bad input."""

from __future__ import annotations

import pytest
import torch
from checks import check_targets, check_transform, make_video
from torchvision import tv_tensors

import videoaug.transforms as T
from videoaug.transforms import _dynamic

GEOMETRIC = [
    pytest.param(lambda: T.RandomResizedCrop((12, 14), scale=(0.3, 0.6), dynamic=True), False,
                 id="RandomResizedCrop"),
    pytest.param(lambda: T.RandomCrop((10, 12), dynamic=True), False, id="RandomCrop"),
    pytest.param(lambda: T.RandomRotation(30, dynamic=True), True, id="RandomRotation"),
    pytest.param(lambda: T.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=(-10, 10, -5, 5), p=0.7,
                                        dynamic=True), True, id="RandomAffine"),
    pytest.param(lambda: T.RandomPerspective(0.5, p=1.0, dynamic=True), True, id="RandomPerspective"),
    pytest.param(lambda: T.RandomSmoothWarp(0.15, 0.1, 0.05, p=0.8, dynamic=True), True, id="RandomSmoothWarp"),
]
PHOTOMETRIC = [
    pytest.param(lambda: T.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8, dynamic=True), True, id="ColorJitter"),
    pytest.param(lambda: T.GaussianBlur(5, sigma=(0.1, 2.0), dynamic=True), True, id="GaussianBlur"),
    pytest.param(lambda: T.VideoRandAugment(num_ops=2, magnitude=12, dynamic=True), True, id="VideoRandAugment"),
    pytest.param(lambda: T.VideoTrivialAugment(dynamic=True), True, id="VideoTrivialAugment"),
]


@pytest.mark.parametrize(("factory", "shape_preserving"), GEOMETRIC + PHOTOMETRIC)
def test_contract_dynamic(factory, shape_preserving):
    check_transform(factory(), shape_preserving=shape_preserving)


@pytest.mark.parametrize(("factory", "shape_preserving"), GEOMETRIC)
def test_targets_follow_per_frame_parameters(factory, shape_preserving):
    t = factory()
    if isinstance(t, T.RandomResizedCrop):
        t.size = (24, 28)
    elif isinstance(t, T.RandomCrop):
        t.size = (24, 30)
    check_targets(t, max_disagreement=0.05)


STATIC_OF = {
    T.RandomResizedCrop: lambda t: T.RandomResizedCrop(t.size, t.scale, t.ratio),
    T.RandomCrop: lambda t: T.RandomCrop(t.size),
    T.RandomRotation: lambda t: T.RandomRotation(t.degrees),
    T.RandomAffine: lambda t: T.RandomAffine(t.degrees),
    T.RandomPerspective: lambda t: T.RandomPerspective(t.distortion_scale),
    T.RandomSmoothWarp: lambda t: T.RandomSmoothWarp(t.translate, t.affine, t.displacement),
    T.ColorJitter: lambda t: T.ColorJitter(0.4, 0.4, 0.4, 0.1),
    T.GaussianBlur: lambda t: T.GaussianBlur(t.kernel_size),
    T.VideoRandAugment: lambda t: T.VideoRandAugment(stats="frame"),
    T.VideoTrivialAugment: lambda t: T.VideoTrivialAugment(stats="frame"),
}


@pytest.mark.parametrize(("factory", "shape_preserving"), GEOMETRIC + PHOTOMETRIC)
def test_each_frame_is_the_static_transform_with_its_parameters(factory, shape_preserving):
    t = factory()
    if isinstance(t, (T.VideoRandAugment, T.VideoTrivialAugment)):
        t.stats = "frame"  # clip statistics (the default) span frames; per frame, frames are independent
    video = make_video(B=3, T=5, H=16, W=20, dtype=torch.float32)
    out = t(video)
    params = t.last_params
    static = STATIC_OF[type(t)](t)
    for f in range(video.shape[1]):
        row = {k: (v[:, f] if k in params["per_frame"] else v) for k, v in params.items() if k != "per_frame"}
        one = static.replay(video[:, f:f + 1], params=row)
        torch.testing.assert_close(out[:, f:f + 1], one, atol=1e-5, rtol=0)


def test_fourier_curves_bounded_smooth_and_independent():
    g = torch.Generator().manual_seed(0)
    s = _dynamic.fourier_curves(64, 16, (2,), generator=g)
    assert s.shape == (64, 16, 2) and float(s.abs().max()) <= 1.0 + 1e-6
    step = (s[:, 1:] - s[:, :-1]).abs().max()
    assert float(step) <= _dynamic.max_step(-1.0, 1.0, 16) / (2 * _dynamic.AMPLITUDE) + 1e-6
    assert float(s.std(dim=0).min()) > 0.2  # clips (and elements) draw their own curves
    v = _dynamic.vary(torch.full((64,), 10.0), 0.0, 30.0, 16, generator=g)
    assert v.shape == (64, 16) and float(v.min()) >= 0.0 and float(v.max()) <= 30.0
    assert float(v.std()) > 1.0


def test_dynamic_off_draws_as_before():
    torch.manual_seed(5)
    a = T.RandomAffine(20, translate=(0.1, 0.1))(make_video(B=4))
    torch.manual_seed(5)
    b = T.RandomAffine(20, translate=(0.1, 0.1), dynamic=False)(make_video(B=4))
    torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_dynamic_boxes_on_every_frame_become_a_track():
    t = T.RandomRotation(30, dynamic=True)
    bb = tv_tensors.BoundingBoxes([[4, 4, 12, 10]], format="XYXY", canvas_size=(16, 20))
    _, out = t(make_video(T=6), bb)
    assert isinstance(out, tv_tensors.BoundingBoxes) and out.shape == (6, 1, 4)
    assert float((out[1:] - out[:-1]).abs().max()) > 0  # the box moves with the per-frame angle


def test_dynamic_bad_input():
    with pytest.raises(TypeError, match="dynamic: expected a bool"):
        T.RandomRotation(10, dynamic="yes")
    with pytest.raises(ValueError, match="drift: expected 0 with dynamic=True"):
        T.RandomSmoothWarp(drift=0.5, dynamic=True)


def test_bench_rows_for_the_dynamic_pipeline():
    import argparse

    from videoaug.cli._bench import transforms as suite

    records = suite.run(argparse.Namespace(quick=True, repeats=1, batch=2, device="cpu"), torch.device("cpu"))
    dynamic = [r for r in records if r.pipeline.startswith(suite.DYNAMIC)]
    assert {(r.impl, r.batch) for r in dynamic} == {(suite.VIDEOAUG, 2), (suite.VIDEOAUG_ONE, 1)}
    assert all(r.clips_per_second > 0 for r in dynamic)
