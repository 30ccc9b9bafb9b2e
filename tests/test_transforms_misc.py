"""GaussianBlur, Normalize, ToDtype, ToCTHW and their kernels, checked against torchvision's."""

import pytest
import torch
from checks import check_kernel, check_transform, make_video
from torchvision import tv_tensors
from torchvision.transforms.v2 import functional as TF

from videoaug import functional as F
from videoaug.transforms import ColorJitter, GaussianBlur, Normalize, ToCTHW, ToDtype

MEAN, STD = (0.45, 0.45, 0.45), (0.225, 0.225, 0.225)


# -- the shared contract -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "transform", [GaussianBlur(3, p=0.7), GaussianBlur((5, 3), sigma=(0.5, 1.5))], ids=repr
)
def test_blur_contract(transform):
    check_transform(transform)


def test_normalize_contract():
    check_transform(Normalize(MEAN, STD), random=False, dtypes=(torch.float32,))
    check_transform(Normalize(0.5, 0.25), random=False, dtypes=(torch.float32,), C=1)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_to_dtype_contract(dtype):
    check_transform(ToDtype(dtype, scale=True), random=False, out_dtype=dtype)
    check_transform(ToDtype(torch.uint8, scale=True), random=False, dtypes=(dtype,), out_dtype=torch.uint8)


def test_to_cthw_contract():
    check_transform(ToCTHW(), random=False, shape_preserving=False, time_dim=-3)


# -- kernels -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_kernels(dtype, device):
    video = make_video(B=3, dtype=dtype, device=device)
    check_kernel(
        F.gaussian_blur,
        video,
        {"kernel_size": (5, 3), "sigma": torch.tensor([[0.5, 1.0], [2.0, 0.3], [0.0, 0.0]], device=device)},
    )
    check_kernel(F.to_cthw, video, {})
    if dtype == torch.float32:
        check_kernel(F.normalize, video, {"mean": MEAN, "std": STD})


# -- maths against torchvision -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.float32, torch.uint8])
def test_blur_matches_torchvision_per_clip(dtype):
    video = make_video(B=3, T=3, dtype=dtype)
    sigma = torch.tensor([[0.4, 0.4], [1.7, 0.8], [3.0, 2.5]])
    ours = F.gaussian_blur(video, (5, 7), sigma)
    for b in range(3):
        theirs = TF.gaussian_blur(tv_tensors.Video(video[b]), [5, 7], sigma[b].tolist())
        tol = 1 if dtype == torch.uint8 else 1e-5
        assert (ours[b].float() - theirs.float()).abs().max() <= tol


def test_blur_sigma_zero_is_exact_identity():
    video = make_video(B=2)
    assert torch.equal(F.gaussian_blur(video, 5, torch.tensor([0.0, 0.0])), video)
    t = GaussianBlur(5, p=0.5)
    out = t(make_video(B=16))
    kept = t.last_params["sigma"] == 0
    assert 0 < kept.sum() < 16
    assert torch.equal(out[kept], make_video(B=16)[kept])


def test_blur_sigma_drawn_per_clip_in_range():
    params = GaussianBlur(3, sigma=(0.5, 1.5)).make_params([make_video(B=200)])
    s = params["sigma"]
    assert ((s >= 0.5) & (s <= 1.5)).all() and s.std() > 0.2


def test_normalize_matches_torchvision():
    video = make_video(B=2, dtype=torch.float32)
    torch.testing.assert_close(
        Normalize(MEAN, (0.2, 0.3, 0.4))(video),
        TF.normalize(video, MEAN, [0.2, 0.3, 0.4]),
        atol=1e-6,
        rtol=1e-6,
    )


def test_normalize_inplace():
    video = make_video(B=2, dtype=torch.float32)
    expected = TF.normalize(video, MEAN, STD)
    out = Normalize(MEAN, STD, inplace=True)(video)
    torch.testing.assert_close(video, expected, atol=1e-6, rtol=1e-6)
    assert out.data_ptr() == video.data_ptr()


@pytest.mark.parametrize("src", [torch.uint8, torch.float32, torch.float64])
@pytest.mark.parametrize("dst", [torch.uint8, torch.float32, torch.float64, torch.float16])
@pytest.mark.parametrize("scale", [True, False])
def test_to_dtype_matches_torchvision(src, dst, scale):
    video = make_video(B=2, dtype=src)
    ours = ToDtype(dst, scale=scale)(video)
    theirs = TF.to_dtype(video, dst, scale=scale)
    assert ours.dtype == dst
    assert torch.equal(ours, theirs)


def test_to_cthw_layout_and_labels():
    batch = make_video(B=2, T=5)
    label = torch.tensor([1, 0])
    out, out_label = ToCTHW()(batch, label)
    assert out_label is label
    assert out.shape == (2, 3, 5, 16, 20) and out.is_contiguous()
    assert torch.equal(out, batch.permute(0, 2, 1, 3, 4))
    clip = tv_tensors.Video(make_video(T=5))
    out = ToCTHW()(clip)
    assert isinstance(out, tv_tensors.Video) and out.shape == (3, 5, 16, 20)
    assert torch.equal(out[:, 2], clip[2])


def test_standard_pipeline_composes_with_v2():
    from torchvision.transforms import v2

    pipe = v2.Compose(
        [
            ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8),
            ToDtype(torch.float32, scale=True),
            Normalize(MEAN, STD),
            ToCTHW(),
        ]
    )
    out = pipe(make_video(B=2))
    assert out.shape == (2, 3, 4, 16, 20) and out.dtype == torch.float32


# -- bad input -----------------------------------------------------------------------------------------------
def test_normalize_needs_float():
    with pytest.raises(TypeError, match="ToDtype"):
        Normalize(MEAN, STD)(make_video(B=2))


def test_normalize_bad_mean_std():
    with pytest.raises(ValueError, match="mean"):
        Normalize((0.5, 0.5), (0.2, 0.2))
    with pytest.raises(ValueError, match="std"):
        Normalize(0.5, (0.2, 0.0, 0.1))
    with pytest.raises(ValueError, match=r"C=1"):
        Normalize(MEAN, STD)(make_video(B=2, C=1, dtype=torch.float32))


def test_bad_arguments():
    with pytest.raises(TypeError, match="dtype"):
        ToDtype(torch.int32)
    with pytest.raises(ValueError, match="kernel_size"):
        GaussianBlur(4)
    with pytest.raises(ValueError, match="sigma"):
        GaussianBlur(3, sigma=(2.0, 1.0))
    with pytest.raises(ValueError, match="kernel_size"):
        GaussianBlur(41)(make_video(B=1))  # reflect padding needs k // 2 < frame size


@pytest.mark.parametrize(
    "transform", [GaussianBlur(3), ToDtype(torch.float32, scale=True), ToCTHW()], ids=repr
)
@pytest.mark.parametrize(
    "video, error",
    [
        (torch.zeros(4, 2, 8, 8, dtype=torch.uint8), ValueError),
        (torch.zeros(0, 3, 8, 8, dtype=torch.uint8), ValueError),
        (torch.zeros(2, 3, 8, 8, 8, 8, dtype=torch.uint8), ValueError),
        (torch.zeros(4, 3, 8, 8, dtype=torch.int32), TypeError),
    ],
    ids=["C=2", "T=0", "6-D", "int32"],
)
def test_bad_input(transform, video, error):
    with pytest.raises(error, match=r"expected"):
        transform(video)
