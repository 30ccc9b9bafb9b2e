import pytest
import torch
from checks import check_kernel, check_rejects_bad_video, check_transform, make_video
from torchvision import tv_tensors

from videoaug.functional import _temporal as FT
from videoaug.transforms._temporal import (
    RandomFrameDrop,
    RandomSpeed,
    TemporalRandomCrop,
    TemporalReverse,
    UniformTemporalSubsample,
)


def indexed_batch(B=3, T=8, C=3, H=4, W=5, dtype=torch.float64):
    """Every frame painted with its own index, plus 1000 * the clip index so that clips differ (float64 holds
    these exactly; temporal ops never look at values). uint8 gets the frame index only."""
    t = torch.arange(T).view(1, T, 1, 1, 1)
    b = torch.arange(B).view(B, 1, 1, 1, 1) * (0 if dtype == torch.uint8 else 1000)
    return (t + b).expand(B, T, C, H, W).contiguous().to(dtype)


def frame_ids(out):
    """Read back the painted frame index of each output frame, (B, T_out)."""
    v = out.as_subclass(torch.Tensor)
    v = v if v.ndim == 5 else v.unsqueeze(0)
    vals = v[:, :, 0, 0, 0].double()
    if v.dtype != torch.uint8:
        vals = vals - 1000 * torch.arange(v.shape[0]).view(-1, 1)
    return vals.round().long()


# -- kernels -------------------------------------------------------------------------------------------------
class TestTemporalGather:
    def test_kernel_contract(self, device):
        video = make_video(B=3, T=6, device=device)
        idx = torch.tensor([[5, 0, 0, 2], [1, 1, 1, 1], [0, 1, 2, 3]], device=device)
        out = check_kernel(FT.temporal_gather, video, {"indices": idx})
        assert out.shape == (3, 4, 3, 16, 20)

    def test_exact_frames(self):
        video = indexed_batch(B=2, T=5)
        idx = torch.tensor([[4, 3, 0], [2, 2, 1]])
        assert frame_ids(FT.temporal_gather(video, idx)).tolist() == idx.tolist()

    def test_uint8_input(self):
        video = indexed_batch(B=2, T=5, dtype=torch.uint8)
        idx = torch.tensor([[4, 3, 0], [2, 2, 1]])
        out = FT.temporal_gather(video, idx)
        assert out.dtype == torch.uint8 and frame_ids(out).tolist() == idx.tolist()

    @pytest.mark.parametrize("idx", [torch.tensor([[0, 6]]), torch.tensor([[-1, 0]]),
                                     torch.tensor([[0.0, 1.0]]), torch.tensor([0, 1]),
                                     torch.zeros(1, 0, dtype=torch.long)])
    def test_bad_indices(self, idx):
        with pytest.raises((ValueError, TypeError), match="indices"):
            FT.temporal_gather(make_video(B=1, T=6), idx)

    def test_bad_video(self):
        with pytest.raises(ValueError, match="C in"):
            FT.temporal_gather(make_video(B=1, C=2), torch.zeros(1, 2, dtype=torch.long))
        with pytest.raises(ValueError, match="batch"):
            FT.temporal_gather(make_video(B=None), torch.zeros(1, 2, dtype=torch.long))


def test_index_builders_exact():
    assert FT.temporal_crop_indices(torch.tensor([0, 3]), 3).tolist() == [[0, 1, 2], [3, 4, 5]]
    # pytorchvideo: linspace(0, T - 1, n) truncated
    assert FT.uniform_subsample_indices(10, 4).tolist() == [0, 3, 6, 9]
    assert FT.uniform_subsample_indices(8, 5).tolist() == [0, 1, 3, 5, 7]
    assert FT.uniform_subsample_indices(3, 5).tolist() == [0, 0, 1, 1, 2]
    assert FT.reverse_indices(torch.tensor([True, False]), 4).tolist() == [[3, 2, 1, 0], [0, 1, 2, 3]]
    keep = torch.tensor([[True, False, False, True, False], [False, True, True, False, True]])
    assert FT.frame_drop_indices(keep).tolist() == [[0, 0, 0, 3, 3], [0, 1, 2, 2, 4]]


def test_speed_indices_exact():
    one = torch.tensor([1.0])
    assert FT.speed_indices(one, torch.tensor([0]), 6, 6).tolist() == [[0, 1, 2, 3, 4, 5]]
    assert FT.speed_indices(torch.tensor([2.0]), torch.tensor([1]), 3, 8).tolist() == [[1, 3, 5]]
    assert FT.speed_indices(torch.tensor([0.5]), torch.tensor([0]), 6, 8).tolist() == [[0, 0, 1, 1, 2, 2]]
    # float32 0.7 is 0.69999998: 10 * 0.7 still floors to 7
    assert FT.speed_indices(torch.tensor([0.7]), torch.tensor([0]), 11, 20)[0, 10].item() == 7
    # past the end: clamp holds the last frame, loop wraps around
    assert FT.speed_indices(torch.tensor([2.0]), torch.tensor([0]), 5, 6, "clamp").tolist() == [[0, 2, 4, 5, 5]]
    assert FT.speed_indices(torch.tensor([2.0]), torch.tensor([0]), 5, 6, "loop").tolist() == [[0, 2, 4, 0, 2]]
    with pytest.raises(ValueError, match="rate"):
        FT.speed_indices(torch.tensor([0.0]), torch.tensor([0]), 4, 4)
    with pytest.raises(ValueError, match="overflow"):
        FT.speed_indices(one, torch.tensor([0]), 4, 4, "wrap")


def test_uniform_temporal_subsample_kernel(device):
    video = make_video(B=2, T=10, device=device)
    out = check_kernel(FT.uniform_temporal_subsample, video, {"num_samples": 4})
    torch.testing.assert_close(out, video[:, [0, 3, 6, 9]])


# -- transforms: shared contract -----------------------------------------------------------------------------
@pytest.mark.parametrize("transform, shape_preserving, random", [
    (TemporalRandomCrop(3, p=0.9), False, True),
    (TemporalRandomCrop(4), True, False),  # size == T: every start is 0
    (UniformTemporalSubsample(3), False, False),
    (RandomSpeed((0.5, 2.0)), True, True),
    (RandomSpeed((0.5, 2.0), num_frames=3, overflow="loop"), False, True),
    (TemporalReverse(p=0.5), True, True),
    (RandomFrameDrop(0.4, p=0.9), True, True),
], ids=lambda x: type(x).__name__ if not isinstance(x, bool) else str(x))
def test_check_transform(transform, shape_preserving, random):
    check_transform(transform, T=4, shape_preserving=shape_preserving, random=random, temporal=True)


@pytest.mark.parametrize("transform, t_out", [
    (TemporalRandomCrop(5), 5), (UniformTemporalSubsample(6), 6), (RandomSpeed(num_frames=7), 7),
    (RandomSpeed(), 9), (TemporalReverse(), 9), (RandomFrameDrop(), 9),
])
@pytest.mark.parametrize("batched", [False, True])
def test_output_shapes(transform, t_out, batched):
    video = make_video(B=2 if batched else None, T=9, H=6, W=7)
    out = transform(tv_tensors.Video(video))
    assert isinstance(out, tv_tensors.Video)
    assert out.shape == video.shape[:-4] + (t_out,) + video.shape[-3:]


# -- transforms: exact frames --------------------------------------------------------------------------------
def test_temporal_random_crop_frames():
    video = indexed_batch(B=16, T=8)
    t = TemporalRandomCrop(3)
    ids = frame_ids(t(video))
    starts = ids[:, 0]
    assert (ids == starts.unsqueeze(1) + torch.arange(3)).all(), "frames are not consecutive"
    assert starts.min() >= 0 and starts.max() <= 5 and len(set(starts.tolist())) > 1
    assert torch.equal(t.last_params["indices"], ids)


def test_temporal_random_crop_p0_is_centre_crop():
    assert frame_ids(TemporalRandomCrop(4, p=0.0)(indexed_batch(B=2, T=9))).tolist() == [[2, 3, 4, 5]] * 2


def test_uniform_temporal_subsample_frames():
    assert frame_ids(UniformTemporalSubsample(4)(indexed_batch(B=2, T=10))).tolist() == [[0, 3, 6, 9]] * 2


def test_uniform_temporal_subsample_transform_is_its_kernel(monkeypatch):
    from videoaug.transforms import _temporal

    calls = []
    kernel = FT.uniform_temporal_subsample
    monkeypatch.setattr(_temporal, "uniform_temporal_subsample", lambda v, n: calls.append(n) or kernel(v, n))
    video = indexed_batch(B=3, T=7)
    assert torch.equal(UniformTemporalSubsample(5)(video), kernel(video, 5)) and calls == [5]


def test_random_speed_rate_one_is_identity():
    video = indexed_batch(B=4, T=8)
    torch.testing.assert_close(RandomSpeed(1.0)(video), video, rtol=0, atol=0)


def test_random_speed_rate_two_takes_every_other_frame():
    video = indexed_batch(B=8, T=12)
    ids = frame_ids(RandomSpeed(2.0, num_frames=6)(video))
    assert (ids[:, 1:] - ids[:, :-1] == 2).all()
    starts = set(ids[:, 0].tolist())
    assert starts == {0, 1}, "start not drawn over [0, 1]"


def test_random_speed_draws_rates_in_range_and_matches_them():
    t = RandomSpeed((0.5, 2.0), num_frames=4)
    video = indexed_batch(B=64, T=16)
    ids = frame_ids(t(video))
    rate = t.last_params["rate"]
    assert rate.min() >= 0.5 and rate.max() <= 2.0
    assert (rate < 0.8).any() and (rate > 1.4).any()
    # log-uniform: about as many clips slowed down as sped up
    assert 16 < int((rate < 1).sum()) < 48
    expected = ids[:, :1] + torch.floor(torch.arange(4) * rate.double().unsqueeze(1) + 1e-4).long()
    assert torch.equal(ids, expected.clamp(max=15))


def test_random_speed_p0_is_identity_and_overflow_rules():
    video = indexed_batch(B=2, T=6)
    torch.testing.assert_close(RandomSpeed((0.5, 2.0), p=0.0)(video), video)
    assert frame_ids(RandomSpeed(2.0)(video)).tolist() == [[0, 2, 4, 5, 5, 5]] * 2
    assert frame_ids(RandomSpeed(2.0, overflow="loop")(video)).tolist() == [[0, 2, 4, 0, 2, 4]] * 2


def test_temporal_reverse_frames():
    video = indexed_batch(B=32, T=5)
    t = TemporalReverse(p=0.5)
    ids = frame_ids(t(video))
    rev = (ids == torch.arange(4, -1, -1)).all(1)
    fwd = (ids == torch.arange(5)).all(1)
    assert (rev | fwd).all() and rev.any() and fwd.any()
    assert frame_ids(TemporalReverse(p=1.0)(video)).tolist() == [[4, 3, 2, 1, 0]] * 32


def test_random_frame_drop_keeps_order_and_length():
    video = indexed_batch(B=32, T=10)
    t = RandomFrameDrop(drop_prob=0.5, max_fraction=0.3)
    out = t(video)
    ids = frame_ids(out)
    assert out.shape == video.shape
    assert (ids[:, 0] == 0).all(), "first frame must be kept"
    assert (ids[:, 1:] >= ids[:, :-1]).all(), "order changed"
    # a frame either is itself or repeats the previous output frame
    same = ids == torch.arange(10)
    assert (same[:, 1:] | (ids[:, 1:] == ids[:, :-1])).all()
    dropped = (~same).sum(1)
    assert dropped.max() <= 3 and dropped.sum() > 0  # cap floor(0.3 * 10)
    assert torch.equal(RandomFrameDrop(drop_prob=0.0)(video), video)


def test_generator_reproducible():
    video = indexed_batch(B=8, T=10)
    a = RandomSpeed(generator=torch.Generator().manual_seed(3))(video)
    b = RandomSpeed(generator=torch.Generator().manual_seed(3))(video)
    assert torch.equal(a, b)


# -- bad input -----------------------------------------------------------------------------------------------
def test_size_larger_than_t():
    with pytest.raises(ValueError, match="size"):
        TemporalRandomCrop(5)(make_video(T=4))


@pytest.mark.parametrize("kwargs", [{"rate": 0.0}, {"rate": -1.0}, {"rate": (2.0, 1.0)}, {"rate": (0.0, 1.0)},
                                    {"num_frames": 0}, {"overflow": "wrap"}])
def test_bad_speed_args(kwargs):
    with pytest.raises(ValueError):
        RandomSpeed(**kwargs)


@pytest.mark.parametrize("factory", [lambda: TemporalRandomCrop(0), lambda: UniformTemporalSubsample(0),
                                     lambda: RandomFrameDrop(1.5),
                                     lambda: RandomFrameDrop(0.1, max_fraction=-0.1),
                                     lambda: TemporalReverse(p=2.0)])
def test_bad_constructor_args(factory):
    with pytest.raises(ValueError):
        factory()


@pytest.mark.parametrize("transform", [TemporalRandomCrop(1), UniformTemporalSubsample(2), RandomSpeed(),
                                       TemporalReverse(), RandomFrameDrop()])
def test_bad_video(transform):
    check_rejects_bad_video(transform, H=8, W=8)
