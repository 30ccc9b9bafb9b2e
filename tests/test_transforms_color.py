"""ColorJitter, RandomGrayscale, Grayscale and their kernels, checked against torchvision's colour kernels."""

import itertools

import pytest
import torch
from checks import check_kernel, check_transform, make_video
from torchvision import tv_tensors
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF
from torchvision.transforms.v2.functional._color import _rgb_to_hsv

from videoaug import functional as F
from videoaug.transforms import ColorJitter, Grayscale, RandomGrayscale

TV_OPS = [TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation, TF.adjust_hue]
OUR_OPS = [F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue]


def _mid_range_video(B=3, T=4, C=3, H=12, W=14, dtype=torch.float32, seed=0):
    """Values in [0.3, 0.7] with different means per frame, so no factor used below clips anything."""
    g = torch.Generator().manual_seed(seed)
    x = 0.3 + 0.4 * torch.rand(B, T, C, H, W, generator=g)
    x = x * torch.linspace(0.8, 1.0, T).view(1, T, 1, 1, 1)
    return (x * 255).round().to(torch.uint8) if dtype == torch.uint8 else x


# -- the shared contract -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "transform",
    [
        ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8),
        ColorJitter(brightness=(0.5, 1.5)),
        ColorJitter(hue=0.2),
        ColorJitter(contrast=0.5, saturation=0.9, p=0.5),
        RandomGrayscale(p=0.5),
    ],
    ids=repr,
)
def test_contract(transform):
    check_transform(transform)


def test_contract_one_channel():
    check_transform(ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8), C=1)


@pytest.mark.parametrize("channels", [1, 3])
def test_grayscale_contract(channels):
    check_transform(Grayscale(channels), random=False, shape_preserving=channels == 3)


def test_p_zero_is_identity_for_grayscale():
    video = make_video(B=4)
    assert torch.equal(RandomGrayscale(p=0.0)(video), video)


# -- kernels -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_color_jitter_kernel(dtype, device):
    video = make_video(B=3, T=3, dtype=dtype, device=device)
    params = dict(
        brightness=torch.tensor([0.7, 1.0, 1.3]),
        contrast=torch.tensor([1.2, 0.6, 1.0]),
        saturation=torch.tensor([0.0, 1.5, 0.8]),
        hue=torch.tensor([0.1, -0.2, 0.0]),
        order=torch.tensor([[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]]),
    )
    params = {k: v.to(device) for k, v in params.items()}
    check_kernel(F.color_jitter, video, params)


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_color_affine_kernel(dtype, device):
    video = make_video(B=2, T=3, dtype=dtype, device=device)
    scale = 255 if dtype == torch.uint8 else 1
    matrix = torch.tensor(
        [[[1.0, 0.2, 0.0], [0.0, 0.9, 0.1], [0.3, 0.0, 0.7]], [[0.5, 0, 0], [0, 1.5, 0], [0, 0, 1]]]
    )
    params = {
        "matrix": matrix.to(device),
        "offset": (0.1 * scale * torch.randn(2, 3, 3)).to(device),
        "mean_gain": (0.2 * torch.randn(2, 3, 3)).to(device),
    }
    out = check_kernel(F.apply_color_affine, video, params)
    x = video.float()
    means = x.mean(dim=(-2, -1))  # (B, T, C)
    expected = torch.einsum("bij,btjhw->btihw", params["matrix"], x)
    expected += (params["offset"] + torch.einsum("bij,btj->bti", params["mean_gain"], means))[..., None, None]
    expected = expected.clamp(0, scale)
    tol = 0.5 + 1e-3 if dtype == torch.uint8 else 1e-5
    assert (out.float() - expected).abs().max() <= tol


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_grayscale_kernels(dtype, device):
    video = make_video(B=3, dtype=dtype, device=device)
    check_kernel(F.grayscale_where, video, {"apply": torch.tensor([True, False, True], device=device)})
    check_kernel(F.rgb_to_grayscale, video, {"num_output_channels": 3})


# -- maths against torchvision -------------------------------------------------------------------------------
@pytest.mark.parametrize("op", [0, 1, 2], ids=["brightness", "contrast", "saturation"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.uint8])
def test_single_op_matches_torchvision(op, dtype):
    video = make_video(B=3, T=4, dtype=dtype)
    factors = torch.tensor([0.5, 1.0, 1.7])
    ours = OUR_OPS[op](video, factors)
    for b in range(3):
        theirs = TV_OPS[op](tv_tensors.Video(video[b]), float(factors[b]))
        if dtype == torch.uint8:  # torchvision truncates, we round: at most one level apart
            assert (ours[b].int() - theirs.int()).abs().max() <= 1
        else:
            torch.testing.assert_close(ours[b], theirs.as_subclass(torch.Tensor), atol=1e-5, rtol=0)


def test_contrast_uses_each_frames_own_mean():
    # frames with very different brightness: torchvision (on a Video) centres each frame on its own mean
    video = _mid_range_video(B=1, T=3)
    video[0, 0] *= 0.3
    ours = F.adjust_contrast(video, 0.5)
    theirs = TF.adjust_contrast(tv_tensors.Video(video[0]), 0.5)
    torch.testing.assert_close(ours[0], theirs.as_subclass(torch.Tensor), atol=1e-5, rtol=0)
    gray_mean = F.rgb_to_grayscale(ours).mean(dim=(2, 3, 4))
    # preserved up to the luma weights summing to 0.9999 (torchvision's, kept for exact agreement)
    torch.testing.assert_close(gray_mean, F.rgb_to_grayscale(video).mean(dim=(2, 3, 4)), atol=1e-4, rtol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.uint8])
def test_fused_jitter_matches_torchvision_in_every_order(dtype):
    """Without clipping or hue, the fused map equals torchvision's four ops applied in the same order."""
    perms = torch.tensor(list(itertools.permutations(range(3))) * 2)  # 12 clips; hue (op 3) last, at 0
    n = perms.shape[0]
    order = torch.cat([perms, torch.full((n, 1), 3)], dim=1)
    video = _mid_range_video(B=n, dtype=dtype)
    g = torch.Generator().manual_seed(1)
    b, c, s = (0.8 + 0.4 * torch.rand(3, n, generator=g)).unbind(0)
    ours = F.color_jitter(video, b, c, s, 0.0, order=order)
    for i in range(n):
        theirs = tv_tensors.Video(video[i])
        for op in order[i].tolist():
            if op < 3:
                theirs = TV_OPS[op](theirs, float((b, c, s)[op][i]))
        if dtype == torch.uint8:  # up to three truncations in torchvision against one rounding here
            assert (ours[i].int() - theirs.int()).abs().max() <= 3
        else:
            torch.testing.assert_close(ours[i], theirs.as_subclass(torch.Tensor), atol=1e-5, rtol=0)


def test_fused_jitter_with_hue_equals_our_ops_in_sequence():
    video = _mid_range_video(B=4)
    order = torch.tensor([[3, 0, 1, 2], [1, 3, 2, 0], [2, 1, 3, 0], [0, 2, 1, 3]])
    factors = [
        torch.tensor([0.9, 1.1, 1.0, 0.95]),
        torch.tensor([1.1, 0.8, 0.9, 1.05]),
        torch.tensor([0.7, 1.2, 1.1, 0.9]),
        torch.tensor([0.05, -0.1, 0.08, -0.03]),
    ]
    ours = F.color_jitter(video, *factors, order=order)
    expected = video.clone()
    for k in range(4):
        for i in range(4):
            op = int(order[i, k])
            expected[i] = OUR_OPS[op](expected[i : i + 1], factors[op][i : i + 1])[0]
    torch.testing.assert_close(ours, expected, atol=1e-5, rtol=0)


def test_clamp_once_at_the_end():
    # brightness 2 then contrast 0.25: torchvision clips the bright pixels after brightness, we do not
    video = _mid_range_video(B=1, T=1)
    order = torch.tensor([[0, 1, 2, 3]])
    ours = F.color_jitter(video, 2.0, 0.25, order=order)
    unclipped = video * 2.0
    mean = F.rgb_to_grayscale(unclipped).mean(dim=(-3, -2, -1), keepdim=True)
    torch.testing.assert_close(ours, (0.25 * unclipped + 0.75 * mean).clamp(0, 1), atol=1e-5, rtol=0)
    theirs = TF.adjust_contrast(TF.adjust_brightness(video[0], 2.0), 0.25)
    assert not torch.allclose(ours[0], theirs, atol=1e-3)


class TestHue:
    def test_keeps_luma_and_grays(self):
        video = _mid_range_video(B=2)
        out = F.adjust_hue(video, torch.tensor([0.13, -0.31]))
        y = torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)
        torch.testing.assert_close((out * y).sum(-3), (video * y).sum(-3), atol=1e-5, rtol=0)
        gray = video[:, :, :1].expand_as(video)
        torch.testing.assert_close(F.adjust_hue(gray, 0.3), gray, atol=1e-5, rtol=0)

    def test_rotation_composes_and_inverts(self):
        video = _mid_range_video(B=1)
        back = F.adjust_hue(F.adjust_hue(video, 0.12), -0.12)
        torch.testing.assert_close(back, video, atol=1e-5, rtol=0)
        torch.testing.assert_close(
            F.adjust_hue(F.adjust_hue(video, 0.05), 0.07), F.adjust_hue(video, 0.12), atol=1e-5, rtol=0
        )

    def test_direction_matches_torchvision(self):
        red = torch.tensor([0.75, 0.25, 0.25]).view(1, 1, 3, 1, 1)
        assert F.adjust_hue(red, 1 / 3).flatten().argmax() == 1  # red -> green
        assert F.adjust_hue(red, -1 / 3).flatten().argmax() == 2  # red -> blue
        assert TF.adjust_hue(red[0], 1 / 3).flatten().argmax() == 1

    @pytest.mark.parametrize("h", [0.05, 0.1, -0.1])
    def test_hue_angle_close_to_torchvision(self, h):
        """The documented tolerance: on saturated, unclipped pixels the HSV hue lands within 0.35|h| of
        torchvision's on average and within 0.6|h| at worst."""
        g = torch.Generator().manual_seed(0)
        x = 0.2 + 0.6 * torch.rand(3, 64, 64, generator=g)
        ours = F.adjust_hue(x[None, None], h)[0, 0]
        theirs = TF.adjust_hue(x, h)
        hue_ours, hue_tv, hsv_x = _rgb_to_hsv(ours)[0], _rgb_to_hsv(theirs)[0], _rgb_to_hsv(x)
        keep = (hsv_x[1] > 0.2) & ((ours > 0) & (ours < 1)).all(0)
        err = ((hue_ours - hue_tv + 0.5) % 1 - 0.5)[keep].abs()
        assert err.mean() < 0.35 * abs(h) and err.max() < 0.6 * abs(h)
        assert (hue_ours - hsv_x[0] - h + 0.5)[keep].remainder(1).sub(0.5).abs().mean() < 0.35 * abs(h)


def test_one_channel_only_brightness_and_contrast():
    video = _mid_range_video(B=2, C=1)
    assert torch.equal(F.color_jitter(video, saturation=0.2, hue=0.3), video)
    ours = F.color_jitter(video, brightness=torch.tensor([1.2, 0.8]), contrast=torch.tensor([0.5, 1.5]))
    for i, (bf, cf) in enumerate([(1.2, 0.5), (0.8, 1.5)]):
        theirs = TF.adjust_contrast(TF.adjust_brightness(video[i], bf), cf)
        torch.testing.assert_close(ours[i], theirs, atol=1e-5, rtol=0)


def test_transform_draws_in_range_and_identity_when_not_applied():
    t = ColorJitter(0.4, (0.5, 0.9), 0.2, 0.1, p=0.5)
    params = t.make_params([make_video(B=400)])
    applied = params["brightness"] != 1
    assert 100 < applied.sum() < 300
    assert ((params["brightness"] >= 0.6) & (params["brightness"] <= 1.4)).all()
    assert ((params["contrast"][applied] >= 0.5) & (params["contrast"][applied] <= 0.9)).all()
    assert (params["contrast"][~applied] == 1).all() and (params["hue"][~applied] == 0).all()
    assert (params["hue"].abs() <= 0.1).all()
    assert torch.equal(params["order"].sort(dim=1).values, torch.arange(4).expand(400, 4))
    assert len({tuple(o) for o in params["order"].tolist()}) > 12  # the order is drawn per clip


def test_generator_reproducible():
    video = make_video(B=4)
    a = ColorJitter(0.4, 0.4, 0.4, 0.1, generator=torch.Generator().manual_seed(5))(video)
    b = ColorJitter(0.4, 0.4, 0.4, 0.1, generator=torch.Generator().manual_seed(5))(video)
    assert torch.equal(a, b)


# -- grayscale -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.float32, torch.uint8])
def test_grayscale_matches_torchvision(dtype):
    video = make_video(B=2, dtype=dtype)
    ours = RandomGrayscale(p=1.0)(video)
    theirs = TF.rgb_to_grayscale(video, num_output_channels=3)
    assert (ours.float() - theirs.float()).abs().max() <= (1 if dtype == torch.uint8 else 1e-6)
    assert Grayscale()(video).shape == (2, 4, 1, 16, 20)


def test_random_grayscale_acts_on_videos_unlike_torchvision():
    video = tv_tensors.Video(make_video(B=2))
    assert torch.equal(v2.RandomGrayscale(p=1.0)(video), video)  # torchvision: silently unchanged
    out = RandomGrayscale(p=1.0)(video)
    assert torch.equal(out[:, :, 0], out[:, :, 1]) and not torch.equal(out, video)


def test_random_grayscale_per_clip():
    t = RandomGrayscale(p=0.5)
    video = make_video(B=32, dtype=torch.float32)
    out = t(video)
    apply = t.last_params["apply"]
    assert 0 < apply.sum() < 32
    is_gray = (out[:, :, 0] == out[:, :, 1]).flatten(1).all(1)
    assert torch.equal(is_gray, apply)
    assert torch.equal(out[~apply], video[~apply])


# -- bad input -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("transform", [ColorJitter(0.4, 0.4, 0.4, 0.1), RandomGrayscale(p=1.0)], ids=repr)
@pytest.mark.parametrize(
    "video, error",
    [
        (torch.zeros(4, 2, 8, 8, dtype=torch.uint8), ValueError),
        (torch.zeros(0, 3, 8, 8, dtype=torch.uint8), ValueError),
        (torch.zeros(3, 8, 8, dtype=torch.uint8), ValueError),
        (torch.zeros(4, 3, 8, 8, dtype=torch.int32), TypeError),
    ],
    ids=["C=2", "T=0", "3-D", "int32"],
)
def test_bad_input(transform, video, error):
    with pytest.raises(error, match=r"expected"):
        transform(video)


def test_bad_arguments():
    with pytest.raises(ValueError, match="brightness"):
        ColorJitter(brightness=-0.1)
    with pytest.raises(ValueError, match="hue"):
        ColorJitter(hue=0.6)
    with pytest.raises(TypeError, match="contrast"):
        ColorJitter(contrast="a lot")
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        F.color_jitter(make_video(B=2), brightness=torch.ones(3))
    with pytest.raises(ValueError, match="non-negative"):
        F.color_jitter(make_video(B=2), saturation=-1.0)
    with pytest.raises(ValueError, match=r"hue: expected shifts in \[-0.5, 0.5\]"):
        F.color_jitter(make_video(B=2), hue=torch.tensor([0.1, 0.7]))
    with pytest.raises(ValueError, match="num_output_channels"):
        Grayscale(2)


# -- CPU chunking ------------------------------------------------------------------------------------------
def test_chunked_cpu_path_equals_one_pass(monkeypatch):
    """Many small chunks on the worker pool give exactly the one-chunk result (colour, ToDtype, Normalize)."""
    from videoaug.functional import _chunks

    video = make_video(B=3, T=5, H=12, W=10)
    params = dict(
        brightness=torch.tensor([0.7, 1.2, 1.0]),
        contrast=torch.tensor([1.3, 0.6, 1.0]),
        saturation=torch.tensor([0.5, 1.5, 1.0]),
        hue=torch.tensor([0.1, -0.2, 0.0]),
    )
    whole = F.color_jitter(video, **params)
    as_float = F.to_dtype(video, torch.float32, scale=True)
    normalized = F.normalize(as_float, 0.5, 0.25)
    monkeypatch.setattr(_chunks, "CHUNK_ELEMENTS", 700)  # 2 frames per chunk
    torch.set_num_threads(2)
    assert torch.equal(F.color_jitter(video, **params), whole)
    assert torch.equal(F.to_dtype(video, torch.float32, scale=True), as_float)
    assert torch.equal(F.normalize(as_float, 0.5, 0.25), normalized)


class _JitteredClips(torch.utils.data.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return ColorJitter(0.4, 0.4, 0.4, 0.1)(make_video(T=8, H=32, W=32, seed=i)), i


def test_dataloader_workers_after_the_parent_used_the_pool(monkeypatch):
    from videoaug.functional import _chunks

    monkeypatch.setattr(_chunks, "CHUNK_ELEMENTS", 3000)
    torch.set_num_threads(2)
    ColorJitter(0.4)(make_video(B=2, T=8, H=32, W=32))  # the parent creates its pool before the fork
    loader = torch.utils.data.DataLoader(
        _JitteredClips(), batch_size=2, num_workers=2, timeout=60, multiprocessing_context="fork"
    )
    assert [b[0].shape for b in loader] == [(2, 8, 3, 32, 32)] * 2


def _chunks_in_child(queue):
    from videoaug.functional import _chunks

    # torch itself must stay on one thread in a forked child (OpenMP is not fork-safe); pretend otherwise
    # for the pool only, whose threads run no parallel regions
    _chunks.torch.get_num_threads = lambda: 2
    out = [0] * 10
    _chunks.run_chunked(lambda s, e: out.__setitem__(slice(s, e), [1] * (e - s)), 10, 3)
    queue.put(sum(out))


def test_chunk_pool_is_rebuilt_in_a_forked_process():
    import multiprocessing

    from videoaug.functional import _chunks

    torch.set_num_threads(2)
    _chunks.run_chunked(lambda s, e: None, 10, 3)  # the parent's pool exists with its threads
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_chunks_in_child, args=(queue,))
    child.start()
    child.join(60)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive, "the forked process hung on the inherited pool"
    assert queue.get(timeout=5) == 10


def test_chunked_kernels_work_under_inference_mode():
    # The chunked CPU path runs on worker threads, which do not inherit inference mode by themselves.
    import videoaug as va

    x = torch.randint(0, 256, (8, 16, 3, 64, 64), dtype=torch.uint8)
    with torch.inference_mode():
        y = va.ColorJitter(0.4, 0.4, 0.4, 0.1)(x)
        z = va.Normalize([0.5] * 3, [0.25] * 3)(va.ToDtype(torch.float32, scale=True)(y))
    assert y.dtype == torch.uint8 and z.dtype == torch.float32 and z.shape == x.shape


def test_color_jitter_checks_its_input_once_per_call(monkeypatch):
    """One call, one check of the video (issue 13: it was checked four times), on replay too; a bad input is
    still refused."""
    import videoaug._video as video_module
    import videoaug.transforms._base as base_module

    calls = []
    original = video_module.check_video

    def counting(*args, **kwargs):
        calls.append(args[0].shape)
        return original(*args, **kwargs)

    monkeypatch.setattr(video_module, "check_video", counting)
    monkeypatch.setattr(base_module, "check_video", counting)
    jitter = ColorJitter(0.4, 0.4, 0.4, 0.1)
    video = torch.rand(2, 4, 3, 8, 8)
    jitter(video, torch.tensor([0, 1]))
    assert len(calls) == 1
    jitter.replay(video, params=jitter.last_params)
    assert len(calls) == 2
    with pytest.raises(ValueError, match="C=2"):
        jitter(torch.rand(4, 2, 8, 8))
    with pytest.raises(ValueError, match="C=2"):
        jitter.replay(torch.rand(1, 4, 2, 8, 8), params=jitter.last_params)
