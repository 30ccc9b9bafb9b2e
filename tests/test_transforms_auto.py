import pytest
import torch
from checks import check_kernel, check_transform, make_video
from torchvision.transforms import v2

import videoaug.functional as F
from videoaug.functional import adjust_sharpness, autocontrast, equalize, posterize, solarize
from videoaug.functional._auto import AUGMENT_OPS, augment_ops
from videoaug.transforms._auto import VideoRandAugment, VideoTrivialAugment, magnitude_table

OP = {name: i for i, name in enumerate(AUGMENT_OPS)}
# three magnitudes per op (one per clip), spanning both policies' ranges and signs
MAGNITUDES = {
    "Identity": [0.0, 0.0, 0.0], "ShearX": [0.3, -0.2, 0.99], "ShearY": [0.3, -0.1, -0.99],
    "TranslateX": [7.2, -3.9, 0.0], "TranslateY": [2.0, -5.5, 9.0], "Rotate": [30.0, -12.0, 90.0],
    "Brightness": [0.9, -0.5, 0.3], "Color": [0.9, -0.7, 0.2], "Contrast": [0.9, -0.6, 0.1],
    "Sharpness": [0.9, -0.9, 0.5], "Posterize": [4.0, 8.0, 0.0], "Solarize": [0.5, 1.0, 0.0],
    "AutoContrast": [0.0, 0.0, 0.0], "Equalize": [0.0, 0.0, 0.0],
}
_TV = v2.RandAugment()


def reference(clip, name, magnitude, stats="clip", interpolation="nearest", fill=None):
    """torchvision's own op for ``name`` at ``magnitude`` on one clip (T, C, H, W): the very conversion from
    magnitude to op arguments that torchvision's RandAugment uses. With ``stats="clip"``, the clip-statistics
    ops see the clip as one tall image (C, T*H, W), i.e. statistics over all its frames."""
    fill_arg = v2.RandAugment(fill=fill)._fill
    if stats == "clip" and name in ("Contrast", "AutoContrast", "Equalize"):
        t, c, h, w = clip.shape
        tall = clip.transpose(0, 1).reshape(c, t * h, w)
        out = _TV._apply_image_or_video_transform(tall, name, magnitude, interpolation, fill_arg)
        return out.reshape(c, t, h, w).transpose(0, 1)
    return _TV._apply_image_or_video_transform(clip, name, magnitude, interpolation, fill_arg)


def assert_matches(out, ref, dtype):
    if dtype == torch.uint8:  # blends truncate to uint8 as torchvision does; allow 1 for float rounding paths
        torch.testing.assert_close(out.int(), ref.int(), atol=1, rtol=0)
        assert (out != ref).float().mean() < 0.02
    else:
        torch.testing.assert_close(out, ref, atol=1e-5, rtol=0)


# -- per-op agreement with torchvision -----------------------------------------------------------------------
@pytest.mark.parametrize("name", AUGMENT_OPS)
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
@pytest.mark.parametrize("C", [1, 3])
def test_op_matches_torchvision(name, dtype, C):
    video = make_video(B=3, T=3, C=C, H=12, W=14, dtype=dtype)
    ops = torch.full((3, 1), OP[name])
    mags = torch.tensor(MAGNITUDES[name]).view(3, 1)
    for stats in ("clip", "frame") if name in ("Contrast", "AutoContrast", "Equalize") else ("clip",):
        out = augment_ops(video, ops, mags, stats=stats)
        for b in range(3):
            assert_matches(out[b], reference(video[b], name, float(mags[b, 0]), stats), dtype)


@pytest.mark.parametrize("policy", [VideoRandAugment, VideoTrivialAugment])
def test_every_table_magnitude_bit_exact_with_torchvision(policy):
    """Every op at every magnitude bin and sign of the policy's table, uint8, on an odd x even frame (where
    90-degree rotations sample pixel borders): bit-identical to torchvision (Contrast within 1)."""
    h, w = 15, 22
    table, signed = magnitude_table(policy._SPACE, 31, h, w)
    video = make_video(B=31, T=1, H=h, W=w)
    for i, name in enumerate(AUGMENT_OPS):
        for sign in (1.0, -1.0) if signed[i] else (1.0,):
            mags = (sign * table[i]).view(31, 1)
            out = augment_ops(video, torch.full((31, 1), i), mags)
            for b in range(31):
                ref = reference(video[b], name, float(mags[b, 0]))
                if name == "Contrast":  # a float mean: the summation order over a batch may differ by an ulp
                    assert_matches(out[b], ref, torch.uint8)
                else:
                    assert torch.equal(out[b], ref), (name, float(mags[b]))


@pytest.mark.parametrize("name", ["ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate"])
@pytest.mark.parametrize("interpolation, fill", [("bilinear", None), ("nearest", [0.5, 0.2, 0.9]),
                                                 ("bilinear", [0.25])])
def test_geometric_interpolation_and_fill_match_torchvision(name, interpolation, fill):
    video = make_video(B=3, T=2, H=12, W=14, dtype=torch.float32)
    mags = torch.tensor(MAGNITUDES[name]).view(3, 1)
    out = augment_ops(video, torch.full((3, 1), OP[name]), mags, interpolation=interpolation, fill=fill)
    for b in range(3):
        ref = reference(video[b], name, float(mags[b, 0]), interpolation=interpolation, fill=fill)
        torch.testing.assert_close(out[b], ref, atol=1e-5, rtol=0)


def test_mixed_batch_and_sequence_match_torchvision():
    """Every clip a different op sequence: selection, write-back and sequence order all checked at once."""
    b = len(AUGMENT_OPS)
    video = make_video(B=b, T=2, H=10, W=12, dtype=torch.uint8)
    ops = torch.stack([torch.arange(b), torch.arange(b).roll(5)], dim=1)
    mags = torch.tensor([[MAGNITUDES[AUGMENT_OPS[int(o)]][i % 3] for i, o in enumerate(col)]
                         for col in ops.T]).T.contiguous()
    out = augment_ops(video, ops, mags)
    for i in range(b):
        ref = video[i]
        for k in range(2):
            ref = reference(ref, AUGMENT_OPS[int(ops[i, k])], float(mags[i, k]))
        assert_matches(out[i], ref, torch.uint8)


@pytest.mark.parametrize("dtype", [torch.float16, torch.float64])
def test_other_float_dtypes_kept(dtype):
    video = make_video(B=len(AUGMENT_OPS), T=2, H=8, W=9, dtype=dtype)
    ops = torch.arange(len(AUGMENT_OPS)).view(-1, 1)
    mags = torch.tensor([MAGNITUDES[name][0] for name in AUGMENT_OPS]).view(-1, 1)
    out = augment_ops(video, ops, mags)
    assert out.dtype == dtype
    ref = augment_ops(video.float(), ops, mags)
    atol = 1e-2 if dtype == torch.float16 else 1e-5
    close = (out.float() - ref).abs() <= atol
    assert close.float().mean() > 0.99  # float16 may round a value across a posterize/solarize step


def test_cpu_chunking_gives_the_batch_result(monkeypatch):
    from videoaug.functional import _chunks

    video = make_video(B=7, T=2, H=10, W=12)
    ops = torch.tensor([[1, 6], [5, 13], [10, 3], [0, 12], [8, 8], [9, 2], [11, 7]])
    mags = torch.tensor([[0.2, 0.5], [20.0, 0.0], [3.0, -4.0], [0.0, 0.0], [0.5, -0.5], [0.9, 0.3],
                         [0.4, -0.6]])
    whole = augment_ops(video, ops, mags)
    monkeypatch.setattr(_chunks, "AUGMENT_CHUNK_ELEMENTS", 2 * video[0].numel())  # chunks of 2 clips
    # within 1: Contrast's float mean may be summed in another order
    assert_matches(augment_ops(video, ops, mags), whole, torch.uint8)


def test_known_geometry():
    video = make_video(B=2, T=2, H=8, W=8, dtype=torch.uint8)
    ops = torch.tensor([[OP["Rotate"]], [OP["TranslateX"]]])
    out = augment_ops(video, ops, torch.tensor([[90.0], [3.7]]))
    torch.testing.assert_close(out[0], torch.rot90(video[0], 1, dims=(-2, -1)))  # counter-clockwise
    assert torch.equal(out[1, ..., 3:], video[1, ..., :-3]) and (out[1, ..., :3] == 0).all()  # int(3.7) = 3


def test_clip_stats_differ_from_frame_stats():
    """A clip that brightens over time: per-clip autocontrast keeps the brightening, per-frame removes it."""
    base = make_video(B=1, T=1, H=32, W=32, dtype=torch.float32) * 0.5  # >= 256 pixels or PIL skips equalize
    video = torch.cat([base, base + 0.4], dim=1)  # frame 1 brighter
    clip = autocontrast(video, "clip")
    frame = autocontrast(video, "frame")
    assert clip[0, 1].mean() - clip[0, 0].mean() > 0.3
    torch.testing.assert_close(frame[0, 0], frame[0, 1])
    video = (video * 255).round().to(torch.uint8)  # frame 1 = frame 0 + 102: the same histogram, shifted
    eq_clip, eq_frame = equalize(video, "clip"), equalize(video, "frame")
    assert eq_clip[0, 1].float().mean() > eq_clip[0, 0].float().mean() + 50
    torch.testing.assert_close(eq_frame[0, 0], eq_frame[0, 1])


# -- kernels -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_kernel_contracts(dtype, device):
    video = make_video(B=4, T=3, H=12, W=14, dtype=dtype, device=device)
    ops = torch.tensor([[1, 6], [5, 13], [10, 3], [0, 12]], device=device)
    mags = torch.tensor([[0.2, 0.5], [20.0, 0.0], [3.0, -4.0], [0.0, 0.0]], device=device)
    check_kernel(augment_ops, video, {"ops": ops, "magnitudes": mags})
    check_kernel(augment_ops, video, {"ops": ops, "magnitudes": mags, "interpolation": "bilinear",
                                      "fill": 0.5, "stats": "frame"})
    for same in (OP["Identity"], OP["Rotate"], OP["Solarize"]):  # whole-batch paths (no selection)
        same_ops = torch.full_like(ops, same)
        out = check_kernel(augment_ops, video, {"ops": same_ops, "magnitudes": mags.abs() / 40})
        assert out.data_ptr() != video.data_ptr()
    per_clip = torch.tensor([0.0, 0.5, 1.0, 2.0], device=device)
    check_kernel(adjust_sharpness, video, {"factor": per_clip})
    check_kernel(posterize, video, {"bits": torch.tensor([0, 3, 6, 8], device=device)})
    check_kernel(solarize, video, {"threshold": per_clip * (64 if dtype == torch.uint8 else 0.25)})
    for stats in ("clip", "frame"):
        check_kernel(autocontrast, video, {"stats": stats})
        check_kernel(equalize, video, {"stats": stats})


def test_colour_ops_live_in_the_colour_module_and_keep_their_old_import_path():
    import videoaug.functional._auto as auto
    import videoaug.functional._color as color

    names = ("adjust_sharpness", "posterize", "solarize", "autocontrast", "equalize")
    for name in names:
        assert getattr(auto, name) is getattr(color, name) is getattr(F, name), name
        assert name in color.__all__ and name not in auto.__all__, name  # _auto holds the policy only
    assert set(auto.__all__) == {"AUGMENT_OPS", "augment_ops", "augment_mask", "augment_box_maps"}


def test_posterize_solarize_exact():
    x = torch.tensor([0, 37, 128, 200, 255], dtype=torch.uint8).view(1, 1, 1, 1, 5).expand(2, 1, 1, 1, 5)
    unchanged = [0, 37, 128, 200, 255]
    assert posterize(x, torch.tensor([2, 8]))[:, 0, 0, 0].tolist() == [[0, 0, 128, 192, 192], unchanged]
    assert solarize(x, torch.tensor([128, 256]))[:, 0, 0, 0].tolist() == [[0, 37, 127, 55, 0], unchanged]
    xf = torch.tensor([0.1, 0.5, 0.99]).view(1, 1, 1, 1, 3)
    torch.testing.assert_close(posterize(xf, 1)[0, 0, 0, 0], torch.tensor([0.0, 0.5, 0.5]))


def test_num_ops_zero_is_identity():
    video = make_video(B=3, T=2)
    torch.testing.assert_close(VideoRandAugment(num_ops=0)(video), video)


# -- transforms ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("transform", [
    VideoRandAugment(),
    VideoRandAugment(num_ops=3, magnitude=20, interpolation="bilinear", fill=[0.5], stats="frame", p=0.8),
    VideoTrivialAugment(),
    VideoTrivialAugment(num_magnitude_bins=5, interpolation=v2.InterpolationMode.BILINEAR, p=0.7),
], ids=["rand", "rand-options", "trivial", "trivial-options"])
@pytest.mark.parametrize("C", [1, 3])
def test_check_transform(transform, C):
    check_transform(transform, C=C, T=3, H=12, W=14)


def test_clips_of_a_batch_draw_different_ops():
    video = make_video(B=64, T=2, H=8, W=8)
    for t, n in ((VideoRandAugment(num_ops=2), 2), (VideoTrivialAugment(), 1)):
        out = t(video)
        ops, mags = t.last_params["ops"], t.last_params["magnitudes"]
        assert ops.shape == mags.shape == (64, n)
        assert len(torch.unique(ops[:, 0])) >= 10, "clips did not draw their own ops"
        assert len({tuple(r) for r in ops.tolist()}) > 10
        # the output follows each clip's own draw
        torch.testing.assert_close(out, augment_ops(video, ops, mags))


def test_rand_augment_magnitudes_and_signs():
    t = VideoRandAugment(num_ops=2, magnitude=9)
    t(make_video(B=256, T=1, H=8, W=8))
    ops, mags = t.last_params["ops"], t.last_params["magnitudes"]
    table, signed = magnitude_table(VideoRandAugment._SPACE, 31, 8, 8)
    assert torch.equal(mags.abs(), table[ops, 9].abs())
    assert (mags[signed[ops]] < 0).any() and (mags[signed[ops]] > 0).any()
    assert (mags[~signed[ops]] >= 0).all()
    assert set(ops.flatten().tolist()) == set(range(len(AUGMENT_OPS)))
    # torchvision's tables: rotate bin 9 of 31 is 9 degrees, posterize bin 9 is round(8 - 9 / 7.5) = 7 bits
    assert table[OP["Rotate"], 9] == pytest.approx(9.0) and table[OP["Posterize"], 9] == 7
    assert table[OP["TranslateX"], 30] == pytest.approx(150 / 331 * 8)


def test_trivial_augment_draws_bins_per_clip():
    t = VideoTrivialAugment()
    t(make_video(B=256, T=1, H=8, W=8))
    ops, mags = t.last_params["ops"][:, 0], t.last_params["magnitudes"][:, 0]
    rot = mags[ops == OP["Rotate"]].abs()
    assert len(torch.unique(rot)) > 3 and rot.max() <= 135.0
    table, _ = magnitude_table(VideoTrivialAugment._SPACE, 31, 8, 8)
    assert all(bool((table[int(o)] == m.abs()).any()) for o, m in zip(ops, mags, strict=True))


def test_generator_reproducible():
    video = make_video(B=8, T=2)
    a = VideoRandAugment(generator=torch.Generator().manual_seed(5))(video)
    b = VideoRandAugment(generator=torch.Generator().manual_seed(5))(video)
    assert torch.equal(a, b)


# -- bad input -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{"num_ops": -1}, {"num_ops": 1.5}, {"magnitude": 31}, {"magnitude": -1},
                                    {"num_magnitude_bins": 1}, {"interpolation": "bicubic"},
                                    {"stats": "batch"}])
def test_bad_args(kwargs):
    with pytest.raises(ValueError):
        VideoRandAugment(**kwargs)


def test_bad_fill():
    with pytest.raises(TypeError, match="fill"):
        VideoTrivialAugment(fill="white")
    with pytest.raises(ValueError, match="fill"):
        VideoRandAugment(fill=[1, 2])(make_video(B=2))


@pytest.mark.parametrize("transform", [VideoRandAugment(), VideoTrivialAugment()])
def test_bad_video(transform):
    with pytest.raises(ValueError, match="C="):
        transform(torch.zeros(2, 2, 8, 8, dtype=torch.uint8))
    with pytest.raises(ValueError, match="empty"):
        transform(torch.zeros(0, 3, 8, 8, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"\(T, C, H, W\)"):
        transform(torch.zeros(3, 8, 8, dtype=torch.uint8))
    with pytest.raises(TypeError, match="uint8"):
        transform(torch.zeros(2, 3, 8, 8, dtype=torch.int16))


def test_bad_kernel_params():
    video = make_video(B=2)
    with pytest.raises(ValueError, match="ops"):
        augment_ops(video, torch.tensor([[14], [0]]), torch.zeros(2, 1))
    with pytest.raises(ValueError, match="magnitudes"):
        augment_ops(video, torch.zeros(2, 1, dtype=torch.long), torch.zeros(2, 2))
    with pytest.raises(ValueError, match="bits"):
        posterize(video, 9)
    with pytest.raises(ValueError, match="factor"):
        adjust_sharpness(video, torch.tensor([1.0, -0.5]))
