"""fuse / FusedTransforms / functional.fused_pipeline: the one-pass standard pipeline equals the unfused one."""

import pytest
import torch
from checks import check_kernel, check_transform
from torchvision import tv_tensors
from torchvision.transforms import v2

import videoaug as va
import videoaug.functional as F
from videoaug.transforms import FusedTransforms, fuse

MEAN, STD = [0.45, 0.4, 0.5], [0.225, 0.25, 0.2]


def standard(size=24, p=0.8):
    return [va.RandomResizedCrop(size, scale=(0.5, 1.0)), va.RandomHorizontalFlip(),
            va.ColorJitter(0.4, 0.4, 0.4, 0.1, p=p), va.ToDtype(torch.float32, scale=True), va.Normalize(MEAN, STD)]


def same_seed(a, b, x, seed=3):
    torch.manual_seed(seed)
    out_a = a(x)
    torch.manual_seed(seed)
    out_b = b(x)
    return out_a, out_b


@pytest.fixture
def spy(monkeypatch):
    """Counts the calls of the one-pass kernel."""
    calls = []
    real = F.fused_pipeline

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(F, "fused_pipeline", counting)
    return calls


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fused_standard_pipeline_equals_unfused(make_video, spy, dtype, batched, seed):
    x = make_video(B=6 if batched else None, T=8, H=30, W=40, dtype=dtype)
    fused = fuse(standard())
    assert [type(t) for t in fused.transforms] == [FusedTransforms]
    a, b = same_seed(v2.Compose(standard()), fused, x, seed)
    assert len(spy) == 1  # the one-pass kernel ran, not the fallback
    assert a.dtype == b.dtype == torch.float32 and a.shape == b.shape
    torch.testing.assert_close(b, a, atol=1e-6, rtol=1e-6)


def test_fused_pipeline_on_video_and_labels(make_video):
    x = tv_tensors.Video(make_video(B=3, T=4, H=30, W=40))
    label = torch.arange(3)
    a, b = same_seed(v2.Compose(standard()), fuse(standard()), (x, label))
    assert isinstance(b[0], tv_tensors.Video) and b[1] is label
    torch.testing.assert_close(b[0], a[0], atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("steps", [
    lambda: [va.RandomHorizontalFlip(), va.ColorJitter(0.4, 0.4, 0.4, 0.1), va.ToDtype(torch.float32, scale=True)],
    lambda: [va.ColorJitter(0.5, 0.5), va.RandomHorizontalFlip(p=1.0)],  # uint8 out, flip after the colour
    lambda: [va.ToDtype(torch.float32, scale=True), va.ColorJitter(0.4, 0.4), va.Normalize(MEAN, STD)],  # fallback
    lambda: [va.ColorJitter(0.4), va.ToDtype(torch.float64, scale=True), va.Normalize(MEAN, STD)],  # fallback
    lambda: [va.RandomHorizontalFlip(), va.RandomResizedCrop(20), va.ColorJitter(hue=0.2)],  # crop not first
    lambda: [va.RandomResizedCrop(20, p=0.5), va.ToDtype(torch.float32, scale=True)],
    lambda: [va.ColorJitter(contrast=0.8, p=0.5), va.ColorJitter(saturation=0.8), va.Normalize(0.5, 0.25)],
], ids=["flip-jitter-float", "jitter-flip-uint8", "float-first", "float64", "flip-before-crop", "crop-only",
        "two-jitters"])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_fused_equals_unfused_for_other_orders(make_video, steps, dtype):
    x = make_video(B=5, T=4, H=24, W=28, dtype=dtype)
    unfused = v2.Compose(steps())
    fused = fuse(steps())
    if dtype == torch.uint8 and isinstance(steps()[-1], va.Normalize) and not any(
            isinstance(t, va.ToDtype) for t in steps()):
        # Normalize on uint8 raises in both
        with pytest.raises(TypeError):
            unfused(x)
        with pytest.raises(TypeError):
            fused(x)
        return
    a, b = same_seed(unfused, fused, x)
    assert a.dtype == b.dtype
    torch.testing.assert_close(b, a, atol=1e-6, rtol=1e-6)


def test_fuse_groups_runs(spy):
    flip, jitter, jitter2 = va.RandomHorizontalFlip(), va.ColorJitter(0.4), va.ColorJitter(hue=0.1)
    to_float, norm, crop = va.ToDtype(torch.float32, scale=True), va.Normalize(MEAN, STD), va.RandomResizedCrop(16)
    tv_blur = v2.GaussianBlur(3)
    fused = fuse(v2.Compose([flip, jitter, jitter2, to_float, tv_blur, norm, crop, flip,
                             v2.Compose([jitter, to_float])]))
    kinds = [type(t) for t in fused.transforms]
    assert kinds == [FusedTransforms, FusedTransforms, v2.GaussianBlur, va.Normalize, FusedTransforms, v2.Compose]
    assert fused.transforms[0].transforms == [flip, jitter]  # the caller's objects, one jitter per run
    assert fused.transforms[1].transforms == [jitter2, to_float]
    assert fused.transforms[4].transforms == [crop, flip]  # a crop opens a run
    assert [type(t) for t in fused.transforms[5].transforms] == [FusedTransforms]  # nested Compose fused too
    assert fuse([crop]).transforms == [crop]  # a run of one stays as it is


def test_fused_transform_contract():
    steps = [va.RandomHorizontalFlip(), va.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8),
             va.ToDtype(torch.float32, scale=True), va.Normalize(MEAN, STD)]
    check_transform(FusedTransforms(steps), out_dtype=torch.float32)
    check_transform(FusedTransforms([va.RandomResizedCrop(12, scale=(0.5, 1.0)), *steps]), out_dtype=torch.float32,
                    shape_preserving=False)


def test_fused_kernel_contract(make_video):
    x = make_video(B=4, T=5, H=18, W=22)
    matrix, gain = F.color_jitter_params(x, torch.tensor([0.7, 1.0, 1.3, 1.1]), torch.tensor([1.2, 1.0, 0.6, 1.0]),
                                         torch.tensor([0.5, 1.0, 1.4, 1.0]), torch.tensor([0.1, 0.0, -0.2, 0.05]))
    flip = torch.tensor([True, False, True, False])
    box = torch.tensor([[0, 0, 18, 22], [2, 3, 10, 12], [5, 1, 13, 20], [1, 1, 16, 16]])
    # uint8 in, uint8 out: crop, flip and colour against the unfused kernels
    out = check_kernel(F.fused_pipeline, x, {"box": box, "size": (12, 14), "flip": flip, "matrix": matrix,
                                              "mean_gain": gain})
    ref = F.apply_color_affine(F.hflip(F.resized_crop(x, *box.unbind(1), (12, 14)), flip), matrix, mean_gain=gain)
    assert torch.equal(out, ref)
    # float in, float out, normalised
    xf = x.float() / 255
    out = check_kernel(F.fused_pipeline, xf, {"flip": flip, "matrix": matrix, "mean_gain": gain, "mean": MEAN,
                                               "std": STD})
    ref = F.normalize(F.apply_color_affine(F.hflip(xf, flip), matrix, mean_gain=gain), MEAN, STD)
    torch.testing.assert_close(out, ref, atol=1e-6, rtol=1e-6)


def test_fused_kernel_reads_any_strides(make_video):
    x = make_video(B=3, T=4, H=16, W=40)
    views = [x[..., ::2], x.movedim(2, -1).contiguous().movedim(-1, 2), x[:, 1:3]]
    for v in views:
        ref = F.fused_pipeline(v.contiguous(), flip=torch.tensor([True, False, True])[: v.shape[0]],
                               scale=True, mean=MEAN, std=STD)
        out = F.fused_pipeline(v, flip=torch.tensor([True, False, True])[: v.shape[0]], scale=True, mean=MEAN,
                               std=STD)
        assert torch.equal(out, ref)


@pytest.mark.parametrize("batched", [True, False])
def test_read_clip_layout_gives_the_same_values(make_video, batched):
    # frames stored (T, H, W, C), as read_clip returns them, take torch's channels-last resize path unconverted
    x = make_video(B=4 if batched else None, T=5, H=30, W=40)
    hwc = x.movedim(-3, -1).contiguous().movedim(-1, -3)
    assert hwc.stride(-3) == 1 and torch.equal(hwc, x)
    for pipeline in (v2.Compose(standard()), fuse(standard())):
        a, b = same_seed(pipeline, pipeline, x), same_seed(pipeline, pipeline, hwc)
        assert torch.equal(a[0], b[0])
    box = torch.tensor([[2, 3, 20, 31]] * (4 if batched else 1))
    ref = F.fused_pipeline(x, box=box, size=(12, 16), scale=True, mean=MEAN, std=STD)
    assert torch.equal(F.fused_pipeline(hwc, box=box, size=(12, 16), scale=True, mean=MEAN, std=STD), ref)


def test_fused_kernel_errors(make_video):
    x = make_video(B=2, T=3)
    with pytest.raises(TypeError, match="uint8 or float32"):
        F.fused_pipeline(x.double())
    with pytest.raises(ValueError, match="mean and std"):
        F.fused_pipeline(x, scale=True, mean=MEAN)
    with pytest.raises(TypeError, match="scale=True"):
        F.fused_pipeline(x, mean=MEAN, std=STD)
    with pytest.raises(ValueError, match=r"box: expected shape \(2, 4\)"):
        F.fused_pipeline(x, box=torch.zeros(2, 3, dtype=torch.long), size=8)
    with pytest.raises(ValueError, match="inside the 16x20 frame"):
        F.fused_pipeline(x, box=torch.tensor([[0, 0, 17, 20], [0, 0, 8, 8]]), size=8)
    with pytest.raises(ValueError, match=r"flip: expected shape \(2,\)"):
        F.fused_pipeline(x, flip=torch.ones(3, dtype=torch.bool))
    with pytest.raises(TypeError, match="RandomHorizontalFlip"):
        FusedTransforms([v2.RandomHorizontalFlip()])
    with pytest.raises(ValueError, match="at least one"):
        FusedTransforms([])
    with pytest.raises(TypeError, match="v2.Compose or a sequence"):
        fuse(va.ColorJitter(0.4))
