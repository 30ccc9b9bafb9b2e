"""RandomTubeErasing and its kernel, checked against torchvision's erase on every frame."""

import math

import pytest
import torch
from checks import check_kernel, check_transform, make_video
from torchvision import tv_tensors
from torchvision.transforms.v2 import functional as TF

from videoaug import functional as F
from videoaug.transforms import RandomTubeErasing


@pytest.mark.parametrize(
    "transform",
    [
        RandomTubeErasing(p=0.9),
        RandomTubeErasing(p=0.9, value="random"),
        RandomTubeErasing(p=0.9, value=(0.1, 0.5, 0.9), scale=(0.1, 0.4)),
    ],
    ids=repr,
)
def test_contract(transform):
    check_transform(transform)


def test_contract_one_channel():
    check_transform(RandomTubeErasing(p=0.9, value=0.5), C=1)


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_kernel(dtype, device):
    video = make_video(B=3, T=5, dtype=dtype, device=device)
    params = {
        "top": torch.tensor([0.0, 3.0, 8.0]),
        "left": torch.tensor([2.0, 0.0, 10.0]),
        "height": torch.tensor([4.0, 0.0, 7.0]),
        "width": torch.tensor([5.0, 3.0, 9.0]),
        "dy": torch.tensor([0.0, 2.0, -6.0]),
        "dx": torch.tensor([6.0, 0.0, -3.0]),
        "value": torch.rand(3, 3, 16, 20) * (255 if dtype == torch.uint8 else 1),
    }
    check_kernel(F.tube_erase, video, {k: v.to(device) for k, v in params.items()})


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_static_box_matches_torchvision_erase_on_every_frame(dtype):
    video = make_video(B=2, T=3, dtype=dtype)
    top, left, h, w = [3, 9], [5, 0], [6, 4], [7, 12]
    value = torch.tensor([[0.2, 0.4, 0.6], [1.0, 0.0, 0.5]]) * (255 if dtype == torch.uint8 else 1)
    ours = F.tube_erase(video, torch.tensor(top), torch.tensor(left), torch.tensor(h), torch.tensor(w), value)
    for b in range(2):
        v = value[b].view(3, 1, 1).round().to(dtype) if dtype == torch.uint8 else value[b].view(3, 1, 1)
        theirs = TF.erase(tv_tensors.Video(video[b]), top[b], left[b], h[b], w[b], v)
        assert torch.equal(ours[b], theirs)


def test_drifting_box_moves_linearly():
    video = torch.ones(1, 5, 1, 20, 30)
    out = F.tube_erase(
        video,
        torch.tensor([2.0]),
        torch.tensor([20.0]),
        torch.tensor([4.0]),
        torch.tensor([6.0]),
        dy=torch.tensor([12.0]),
        dx=torch.tensor([-18.0]),
    )
    for t in range(5):
        rows, cols = (out[0, t, 0] == 0).nonzero().unbind(1)
        assert rows.min() == 2 + 3 * t and rows.max() == 2 + 3 * t + 3
        assert cols.min() == 20 - round(4.5 * t) and cols.max() == 20 - round(4.5 * t) + 5
        assert (out[0, t] == 0).sum() == 24


def test_sampled_boxes_follow_scale_ratio_and_stay_inside():
    t = RandomTubeErasing(scale=(0.05, 0.2), ratio=(0.5, 2.0), drift=0.4, p=1.0)
    h, w, frames = 40, 60, 6
    params = t.make_params([torch.zeros(500, frames, 3, h, w)])
    bh, bw = params["height"], params["width"]
    assert (bh > 0).all()
    area = bh * bw / (h * w)
    assert (area > 0.05 * 0.7).all() and (area < 0.2 * 1.3).all()  # rounding of the sides
    log_ratio = (bh / bw).log()
    assert (log_ratio > math.log(0.5) - 0.35).all() and (log_ratio < math.log(2.0) + 0.35).all()
    assert (params["dy"].abs() <= 0.4 * h).all() and (params["dx"].abs() <= 0.4 * w).all()
    assert params["dy"].abs().max() > 0.3 * h * 0.5  # it does drift
    top_t, left_t = F.tube_boxes(frames, params["top"], params["left"], params["dy"], params["dx"])
    assert (top_t >= 0).all() and (top_t + bh.long().view(-1, 1) <= h).all()
    assert (left_t >= 0).all() and (left_t + bw.long().view(-1, 1) <= w).all()
    # start positions cover the frame, not just one corner
    assert params["top"].min() == 0 and params["top"].max() > h / 2


def test_no_drift_means_a_static_tube():
    t = RandomTubeErasing(p=1.0)
    video = make_video(B=8, T=5, static=True, dtype=torch.float32)
    out = t(video)
    assert (t.last_params["dy"] == 0).all() and (t.last_params["dx"] == 0).all()
    assert torch.equal(out, out[:, :1].expand_as(out))


def test_drift_changes_the_box_over_time():
    t = RandomTubeErasing(p=1.0, drift=0.5, scale=(0.1, 0.2))
    video = torch.ones(16, 4, 3, 32, 32)
    out = t(video)
    moved = (t.last_params["dy"] != 0) | (t.last_params["dx"] != 0)
    assert moved.any()
    differs = (out[:, 0] != out[:, -1]).flatten(1).any(1)
    assert torch.equal(differs, moved)


def test_values_in_unit_range_for_every_dtype():
    t = RandomTubeErasing(p=1.0, value=(0.5, 0.0, 1.0))
    out = t(torch.full((2, 3, 3, 16, 16), 7, dtype=torch.uint8))
    erased = out[:, :, 0] != 7
    assert (out[:, :, 0][erased] == 128).all() and (out[:, :, 2][erased] == 255).all()
    noisy = RandomTubeErasing(p=1.0, value="random", scale=(0.2, 0.3))
    out = noisy(torch.full((2, 3, 3, 16, 16), -1.0))
    vals = out[out >= 0]
    assert vals.numel() > 0 and vals.max() <= 1 and vals.std() > 0.1


def test_clip_where_no_box_fits_is_left_alone():
    # a ratio of 100 never fits a 16x20 frame at this area: torchvision's rule leaves the image as it is
    t = RandomTubeErasing(p=1.0, scale=(0.5, 0.5), ratio=(100.0, 100.0))
    video = make_video(B=3)
    assert torch.equal(t(video), video)
    assert (t.last_params["height"] == 0).all()


def test_per_clip_boxes():
    t = RandomTubeErasing(p=1.0)
    t(make_video(B=16))
    assert len(set(zip(t.last_params["top"].tolist(), t.last_params["height"].tolist(), strict=True))) > 4


@pytest.mark.parametrize(
    "kwargs",
    [
        {"scale": (0.5, 0.1)},
        {"ratio": (0.0, 1.0)},
        {"value": "noise"},
        {"value": (0.1, 0.2)},
        {"value": 2.0},
        {"drift": 1.5},
        {"p": 1.5},
    ],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        RandomTubeErasing(**kwargs)


def test_per_channel_value_needs_matching_channels():
    with pytest.raises(ValueError, match="C=1"):
        RandomTubeErasing(p=1.0, value=(0.1, 0.2, 0.3))(make_video(B=2, C=1))


@pytest.mark.parametrize(
    "video, error",
    [
        (torch.zeros(4, 2, 8, 8, dtype=torch.uint8), ValueError),
        (torch.zeros(0, 3, 8, 8, dtype=torch.uint8), ValueError),
        (torch.zeros(4, 3, 8, 8, dtype=torch.int32), TypeError),
    ],
    ids=["C=2", "T=0", "int32"],
)
def test_bad_input(video, error):
    with pytest.raises(error, match=r"expected"):
        RandomTubeErasing(p=1.0)(video)


@pytest.mark.parametrize("drift", [0.0, 0.5])
def test_chunked_cpu_path_equals_one_pass(monkeypatch, drift):
    from videoaug.functional import _erase

    video = make_video(B=5, T=4)
    t = RandomTubeErasing(p=0.8, drift=drift, value="random")
    whole = t(video)
    monkeypatch.setattr(_erase, "CHUNK_ELEMENTS", 1)  # one clip per chunk, on the worker pool
    torch.set_num_threads(2)
    assert torch.equal(t.replay(video, params=t.last_params), whole)
