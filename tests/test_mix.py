"""Tests for videoaug.mix: MixUp, CutMix (spatial / temporal / spatio-temporal), RandomMix, collate_with.

The central check counts voxels: every clip of the batch is filled with its own index, so after mixing the
fraction of voxels holding value ``j`` in clip ``i`` is exactly how much of clip ``j`` ended up in clip ``i``,
and the soft labels must say the same.
"""

from __future__ import annotations

import argparse
import pickle

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset
from torchvision import tv_tensors
from torchvision.transforms import v2

from videoaug.mix import (
    CutMix,
    MixUp,
    RandomMix,
    collate_with,
    cut_mask,
    cutmix_videos,
    mix_targets,
    mixup_videos,
    one_hot,
    sample_beta,
)
from videoaug.transforms import RandomVideoTransform, VideoShape, default_labels_getter

KINDS = ("spatial", "temporal", "spatiotemporal")
MODES = ("batch", "pair", "elem")


def _shape(b: int, t: int, h: int, w: int) -> VideoShape:
    return VideoShape.of(torch.zeros(b, t, 3, h, w))


def coded_batch(B=6, T=8, H=10, W=12, dtype=torch.uint8, device="cpu"):
    """Clip i is the constant i (every channel, frame and pixel)."""
    return torch.arange(B, device=device).view(B, 1, 1, 1, 1).expand(B, T, 3, H, W).to(dtype).contiguous()


def measured_fractions(out: torch.Tensor, B: int) -> torch.Tensor:
    """(B, B): fraction of the voxels of output clip i that hold value j (i.e. came from clip j)."""
    values = out.round().long() if out.is_floating_point() else out.long()
    return torch.stack([(values == j).double().mean(dim=(1, 2, 3, 4)) for j in range(B)], dim=1)


# -- Beta sampling -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [0.2, 1.0, 3.0])
def test_sample_beta_matches_moments(alpha):
    lam = sample_beta(alpha, 20000, torch.Generator().manual_seed(0)).double()
    assert ((lam >= 0) & (lam <= 1)).all() and torch.isfinite(lam).all()
    var = 1.0 / (4.0 * (2.0 * alpha + 1.0))  # Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1))
    assert abs(lam.mean().item() - 0.5) < 0.01
    assert abs(lam.var().item() - var) < 0.1 * var


def test_sample_beta_small_alpha_is_finite_and_reproducible():
    a = sample_beta(0.01, 1000, torch.Generator().manual_seed(3))
    b = sample_beta(0.01, 1000, torch.Generator().manual_seed(3))
    assert torch.isfinite(a).all() and torch.equal(a, b)
    assert ((a < 0.01) | (a > 0.99)).float().mean() > 0.9  # tiny alpha: almost always near 0 or 1


# -- the central property: labels equal the counted proportions -------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("B", [6, 5])
def test_cutmix_labels_equal_counted_voxels(kind, mode, B, device):
    x = coded_batch(B=B, device=device)
    labels = torch.arange(B, device=device)
    mix = CutMix(alpha=1.0, num_classes=B, kind=kind, mode=mode)
    for _ in range(10):
        out, soft = mix(x, labels)
        frac = measured_fractions(out, B)
        torch.testing.assert_close(soft.double(), frac, atol=1e-6, rtol=0)
        torch.testing.assert_close(soft.sum(1), torch.ones(B, device=device))
        lam = mix.last_params["lam"].double()
        torch.testing.assert_close(frac.diagonal(), lam, atol=1e-6, rtol=0)
        assert (frac > 0).sum(1).max() <= 2  # each clip holds only itself and its partner B - 1 - i


@pytest.mark.parametrize("kind", KINDS)
def test_cutmix_box_is_clipped_and_lam_recomputed(kind):
    """The box stays inside the clip and lam is 1 - its volume, also when it was cut at a border; clipping at
    a border does happen, so the correction is exercised."""
    T, H, W = 8, 10, 12
    mix = CutMix(num_classes=4, kind=kind, mode="elem", generator=torch.Generator().manual_seed(0))
    clipped = 0
    for _ in range(50):
        params = mix.sample_params(_shape(4, T, H, W))
        t0, t1, y0, y1, x0, x1 = params["box"].unbind(1)
        assert (t0 >= 0).all() and (t1 <= T).all() and (y0 >= 0).all() and (y1 <= H).all()
        assert (x0 >= 0).all() and (x1 <= W).all()
        assert (t0 <= t1).all() and (y0 <= y1).all() and (x0 <= x1).all()
        volume = ((t1 - t0) * (y1 - y0) * (x1 - x0)).double()
        torch.testing.assert_close(params["lam"].double(), 1 - volume / (T * H * W), atol=1e-6, rtol=0)
        at_start = ((t0 == 0) & (t1 < T)) | ((y0 == 0) & (y1 < H)) | ((x0 == 0) & (x1 < W))
        clipped += int(at_start.sum())
    assert clipped > 0


def test_cutmix_kinds_cut_the_right_axes():
    T, H, W = 8, 10, 12
    for kind in KINDS:
        mix = CutMix(alpha=1.0, num_classes=8, kind=kind, mode="elem")
        box = mix.sample_params(_shape(8, T, H, W))["box"]
        full_t = (box[:, 0] == 0) & (box[:, 1] == T)
        full_hw = (box[:, 2] == 0) & (box[:, 3] == H) & (box[:, 4] == 0) & (box[:, 5] == W)
        if kind == "spatial":
            assert full_t.all()
        elif kind == "temporal":
            assert full_hw.all()
        else:
            assert not full_t.all() and not full_hw.all()


def test_cutmix_pair_swaps_the_same_box():
    B = 6
    x = coded_batch(B=B)
    mix = CutMix(num_classes=B, kind="spatiotemporal", mode="pair")
    out, _ = mix(x, torch.arange(B))
    box = mix.last_params["box"]
    assert torch.equal(box, box.flip(0))
    mask = cut_mask(box, 8, 10, 12).expand_as(x)
    for i in range(B):  # clip i holds clip B-1-i inside the box, itself outside
        assert (out[i][mask[i]] == B - 1 - i).all() and (out[i][~mask[i]] == i).all()


def test_mixup_values_and_labels_agree():
    """Constant clips: the mixed value is sum_j weight_j * j; the soft labels must give the same weights."""
    B = 6
    x = coded_batch(B=B, dtype=torch.float64)
    for mode in MODES:
        mix = MixUp(alpha=0.5, num_classes=B, mode=mode)
        out, soft = mix(x, torch.arange(B))
        expected = (soft.double() * torch.arange(B, dtype=torch.float64)).sum(1)
        torch.testing.assert_close(out[:, 0, 0, 0, 0], expected, atol=1e-5, rtol=0)
        assert (out == out[:, :1, :1, :1, :1]).all()
        torch.testing.assert_close(soft.sum(1), torch.ones(B))
        lam = mix.last_params["lam"]
        torch.testing.assert_close(soft.diagonal(), lam)
        torch.testing.assert_close(soft[torch.arange(B), torch.arange(B - 1, -1, -1)], 1 - lam)


def test_mixup_kernel_formula(make_video):
    x = make_video(B=4, dtype=torch.float32)
    index = torch.tensor([3, 2, 1, 0])
    lam = torch.tensor([0.1, 0.5, 0.7, 1.0])
    out = mixup_videos(x, index, lam)
    ref = lam.view(4, 1, 1, 1, 1) * x + (1 - lam.view(4, 1, 1, 1, 1)) * x[index]
    torch.testing.assert_close(out, ref)


BOXES = {
    "mixed": [[1, 4, 0, 3, 2, 9], [0, 5, 0, 7, 0, 9], [0, 0, 0, 0, 0, 0]],
    "spatial": [[0, 5, 1, 3, 2, 9], [0, 5, 0, 7, 0, 9], [0, 5, 0, 0, 0, 0]],  # every box spans all frames
    "temporal": [[1, 4, 0, 7, 0, 9], [0, 5, 0, 7, 0, 9], [2, 2, 0, 7, 0, 9]],  # every box spans whole frames
}


@pytest.mark.parametrize("boxes", list(BOXES))
def test_cut_mask_small_shapes_equal_the_full_mask(boxes):
    box = torch.tensor(BOXES[boxes])
    mask = cut_mask(box, 5, 7, 9)
    shape = {"mixed": (3, 5, 1, 7, 9), "spatial": (3, 1, 1, 7, 9), "temporal": (3, 5, 1, 1, 1)}[boxes]
    assert mask.shape == shape
    full = torch.zeros(3, 5, 1, 7, 9, dtype=torch.bool)
    for i, (t0, t1, y0, y1, x0, x1) in enumerate(box.tolist()):
        full[i, t0:t1, :, y0:y1, x0:x1] = True
    assert torch.equal(mask.expand_as(full), full)


@pytest.mark.parametrize("boxes", list(BOXES))
def test_cutmix_kernel_matches_slicing(boxes, make_video, device):
    x = make_video(B=3, T=5, H=7, W=9, device=device)
    index = torch.tensor([2, 1, 0], device=device)
    box = torch.tensor(BOXES[boxes], device=device)
    before = x.clone()
    out = cutmix_videos(x, index, box)
    assert torch.equal(x, before)
    ref = x.clone()
    for i, (t0, t1, y0, y1, x0, x1) in enumerate(box.tolist()):
        ref[i, t0:t1, :, y0:y1, x0:x1] = before[int(index[i]), t0:t1, :, y0:y1, x0:x1]
    assert torch.equal(out, ref)


# -- modes --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [MixUp, CutMix])
def test_modes_draw_lam_per_batch_pair_or_clip(cls):
    B = 8
    for mode in MODES:
        mix = cls(num_classes=B, mode=mode)
        lam = mix.sample_params(_shape(B, 8, 16, 16))["lam"]
        if mode == "batch":
            assert (lam == lam[0]).all()
        elif mode == "pair":
            assert torch.equal(lam, lam.flip(0)) and lam[: B // 2].unique().numel() > 1
        else:
            assert lam.unique().numel() > B // 2 and not torch.equal(lam, lam.flip(0))


def test_odd_batch_middle_clip_is_left_alone():
    B = 5
    x = coded_batch(B=B, dtype=torch.float32)
    for mix in (MixUp(num_classes=B, mode="elem"), CutMix(num_classes=B, mode="elem", kind="temporal")):
        out, soft = mix(x, torch.arange(B))
        assert torch.equal(out[2], x[2])
        assert mix.last_params["lam"][2] == 1 and soft[2, 2] == 1


@pytest.mark.parametrize("cls", [MixUp, CutMix])
def test_p_zero_is_identity_and_p_mixes_a_fraction(cls):
    B = 64
    x = coded_batch(B=B, T=4, H=8, W=8, dtype=torch.float32)
    labels = torch.arange(B)
    out, soft = cls(num_classes=B, p=0.0, mode="elem")(x, labels)
    assert torch.equal(out, x) and torch.equal(soft, one_hot(labels, B))
    mix = cls(num_classes=B, p=0.5, mode="elem")
    mix(x, labels)
    mixed = (mix.last_params["lam"] < 1).float().mean()
    assert 0.2 < mixed < 0.8


# -- labels ------------------------------------------------------------------------------------------------
def test_soft_label_input_is_mixed_and_checked():
    B, K = 4, 3
    x = torch.rand(B, 4, 3, 8, 8)
    soft_in = torch.softmax(torch.randn(B, K), dim=1)
    mix = MixUp(num_classes=K, mode="elem")
    _, soft = mix(x, soft_in)
    lam = mix.last_params["lam"].unsqueeze(1)
    torch.testing.assert_close(soft, lam * soft_in + (1 - lam) * soft_in.flip(0))
    torch.testing.assert_close(soft.sum(1), torch.ones(B))
    _, soft_none = MixUp(num_classes=None)(x, soft_in)  # num_classes may be omitted for soft labels
    assert soft_none.shape == (B, K)


def test_label_smoothing_applied_once():
    B, K, s = 4, 5, 0.1
    x = torch.rand(B, 2, 3, 4, 4)
    labels = torch.tensor([0, 1, 2, 3])
    _, soft = MixUp(num_classes=K, label_smoothing=s, p=0.0)(x, labels)
    torch.testing.assert_close(soft, one_hot(labels, K) * (1 - s) + s / K)
    mix = CutMix(num_classes=K, label_smoothing=s, kind="temporal", mode="elem")
    _, soft = mix(x, labels)
    plain = mix_targets(labels, mix.last_params["index"], mix.last_params["lam"], K)
    torch.testing.assert_close(soft, plain * (1 - s) + s / K)
    torch.testing.assert_close(soft.sum(1), torch.ones(B))
    both = RandomMix([MixUp(num_classes=K, label_smoothing=s, p=0.0),
                      CutMix(num_classes=K, label_smoothing=s, p=0.0)])
    _, soft = both(x, labels)
    torch.testing.assert_close(soft, one_hot(labels, K) * (1 - s) + s / K)


# -- types, dtypes, devices, purity, reproducibility -------------------------------------------------------
@pytest.mark.parametrize("cls,kw", [(MixUp, {}), (CutMix, {"kind": "spatial"}),
                                    (CutMix, {"kind": "temporal"}), (CutMix, {"kind": "spatiotemporal"})])
@pytest.mark.parametrize("wrap", [False, True])
def test_shape_dtype_device_type_kept_and_input_untouched(cls, kw, wrap, device, make_video):
    dtypes = (torch.float32, torch.float16) if cls is MixUp else (torch.uint8, torch.float32)
    for dtype in dtypes:
        x = make_video(B=4, T=4, H=8, W=10, dtype=dtype, device=device)
        x = tv_tensors.Video(x) if wrap else x
        labels = torch.tensor([0, 1, 2, 1], device=device)
        before, version = x.clone(), x._version
        out, soft = cls(num_classes=3, mode="elem", **kw)(x, labels)
        assert isinstance(out, tv_tensors.Video) == wrap
        assert out.shape == x.shape and out.dtype == dtype and out.device == x.device
        assert soft.shape == (4, 3) and soft.dtype == torch.float32 and soft.device == labels.device
        assert x._version == version and torch.equal(x, before) and labels.tolist() == [0, 1, 2, 1]
        assert not torch.equal(out, x)


@pytest.mark.parametrize("cls", [MixUp, CutMix])
def test_same_seed_same_output_and_generator(cls, make_video):
    x = make_video(B=4, dtype=torch.float32)
    labels = torch.tensor([0, 1, 2, 3])
    torch.manual_seed(5)
    a = cls(num_classes=4, mode="elem")(x, labels)
    torch.manual_seed(5)
    b = cls(num_classes=4, mode="elem")(x, labels)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    g1 = cls(num_classes=4, mode="elem", generator=torch.Generator().manual_seed(1))
    g2 = cls(num_classes=4, mode="elem", generator=torch.Generator().manual_seed(1))
    torch.manual_seed(7)
    c = g1(x, labels)
    torch.manual_seed(8)  # the global RNG does not matter when a generator is given
    d = g2(x, labels)
    assert torch.equal(c[0], d[0]) and torch.equal(c[1], d[1])


@pytest.mark.parametrize("mix", [MixUp(num_classes=4, mode="pair"),
                                 CutMix(num_classes=4, kind="spatiotemporal"),
                                 RandomMix([MixUp(num_classes=4), CutMix(num_classes=4, kind="temporal")])])
def test_replay_reproduces_last_call(mix, make_video):
    x = make_video(B=4, dtype=torch.float32)
    labels = torch.tensor([0, 1, 2, 3])
    out, soft = mix(x, labels)
    params = mix.last_params
    torch.manual_seed(99)
    out2, soft2 = mix.replay(x, labels, params=params)
    assert torch.equal(out, out2) and torch.equal(soft, soft2)


@pytest.mark.parametrize("mix", [MixUp(num_classes=4, mode="elem"),
                                 CutMix(num_classes=4, kind="spatiotemporal", mode="pair"),
                                 CutMix(num_classes=4, kind="temporal")])
def test_memory_layout_does_not_change_the_result(mix, make_video):
    # a DataLoader batch of read_clip clips keeps their (T, H, W, C) memory layout
    x = make_video(B=4, dtype=torch.float32)
    hwc = x.movedim(2, -1).contiguous().movedim(-1, 2)
    assert not hwc.is_contiguous()
    labels = torch.tensor([0, 1, 2, 3])
    out, soft = mix(x, labels)
    out2, soft2 = mix.replay(hwc, labels, params=mix.last_params)
    assert torch.equal(out, out2) and torch.equal(soft, soft2)


def test_uint8_mixup_is_refused_cutmix_keeps_uint8(make_video):
    x = make_video(B=4)
    labels = torch.tensor([0, 1, 2, 3])
    with pytest.raises(TypeError, match="floating.*uint8.*ToDtype"):
        MixUp(num_classes=4)(x, labels)
    out, _ = CutMix(num_classes=4)(x, labels)
    assert out.dtype == torch.uint8
    # RandomMix refuses uint8 on every call when it holds a MixUp, even if CutMix is the one picked
    with pytest.raises(TypeError, match="uint8"):
        RandomMix([MixUp(num_classes=4), CutMix(num_classes=4)], p=[0.0, 1.0])(x, labels)
    out, _ = RandomMix([CutMix(num_classes=4), CutMix(num_classes=4, kind="temporal")])(x, labels)
    assert out.dtype == torch.uint8


# -- integration: v2.Compose, dicts, DataLoader, pickle -----------------------------------------------------
def test_inside_v2_compose_and_with_dicts(make_video):
    x = make_video(B=4, dtype=torch.float32)
    labels = torch.tensor([0, 1, 2, 3])
    pipeline = v2.Compose([v2.RandomHorizontalFlip(p=0.0), CutMix(num_classes=4, kind="temporal")])
    out, soft = pipeline(tv_tensors.Video(x), labels)
    assert isinstance(out, tv_tensors.Video) and soft.shape == (4, 4)
    sample = {"video": x, "label": labels, "meta": "kept"}
    res = MixUp(num_classes=4)(sample)
    assert res["meta"] == "kept" and res["label"].shape == (4, 4) and res["video"].shape == x.shape
    out, soft = MixUp(num_classes=4)((x, labels))  # one tuple argument, as Compose passes it
    assert soft.shape == (4, 4)


@pytest.mark.parametrize("workers", [0, 1])
def test_collate_with_in_a_dataloader(workers):
    B, K = 4, 3
    videos = coded_batch(B=8, T=4, H=6, W=6)
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    loader = DataLoader(TensorDataset(videos, labels), batch_size=B, num_workers=workers,
                        collate_fn=collate_with(CutMix(num_classes=K, kind="spatiotemporal", mode="elem")),
                        timeout=60 if workers else 0)
    for xb, soft in loader:
        assert xb.shape == (B, 4, 3, 6, 6) and xb.dtype == torch.uint8 and soft.shape == (B, K)
        torch.testing.assert_close(soft.sum(1), torch.ones(B))


def test_pickle_round_trip(make_video):
    mix = RandomMix([MixUp(num_classes=3, mode="elem"), CutMix(num_classes=3, kind="temporal")], p=[0.3, 0.7])
    mix(make_video(B=2, dtype=torch.float32), torch.tensor([0, 2]))
    clone = pickle.loads(pickle.dumps(mix))
    assert clone.p == mix.p and clone.transforms[1].kind == "temporal" and clone.last_params is None
    torch.manual_seed(1)
    a = mix(make_video(B=2, dtype=torch.float32), torch.tensor([0, 2]))
    torch.manual_seed(1)
    b = clone(make_video(B=2, dtype=torch.float32), torch.tensor([0, 2]))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_random_mix_respects_weights():
    x = torch.rand(2, 2, 3, 4, 4)
    labels = torch.tensor([0, 1])
    mix = RandomMix([MixUp(num_classes=2), CutMix(num_classes=2)], switch_prob=0.25)
    assert mix.p == [0.75, 0.25]
    choices = []
    for _ in range(400):
        mix(x, labels)
        choices.append(mix.last_params["choice"])
    assert 0.18 < sum(choices) / len(choices) < 0.32
    only = RandomMix([MixUp(num_classes=2), CutMix(num_classes=2, kind="temporal")], p=[0, 1])
    for _ in range(5):
        only(x, labels)
        assert only.last_params["choice"] == 1 and "box" in only.last_params


# -- bad input ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [MixUp, CutMix])
def test_bad_input_raises_clear_errors(cls):
    x = torch.rand(4, 2, 3, 4, 4)
    mix = cls(num_classes=3)
    with pytest.raises(ValueError, match="expected 4 labels.*got 3"):
        mix(x, torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"class indices in \[0, 3\).*\[0, 3\]"):
        mix(x, torch.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"\[0, 3\).*\[-1, 2\]"):
        mix(x, torch.tensor([0, 1, 2, -1]))
    with pytest.raises(ValueError, match=r"batch \(B, T, C, H, W\).*got shape \(2, 3, 4, 4\)"):
        mix(x[0], torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"soft labels \(B, 3\), got shape \(4, 5\)"):
        mix(x, torch.rand(4, 5))
    with pytest.raises(TypeError, match="integer class indices"):
        mix(x, torch.tensor([0.0, 1.0, 2.0, 0.0]))
    with pytest.raises(TypeError, match="floating soft labels"):
        mix(x, torch.ones(4, 3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"got shape \(4, 3, 1\)"):
        mix(x, torch.rand(4, 3, 1))
    with pytest.raises(TypeError, match=r"\(videos, labels\)"):
        mix(x)
    with pytest.raises(ValueError, match="num_classes"):
        cls(num_classes=None)(x, torch.tensor([0, 1, 2, 0]))


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="alpha"):
        MixUp(alpha=0.0, num_classes=3)
    with pytest.raises(ValueError, match="mode"):
        MixUp(num_classes=3, mode="clip")
    with pytest.raises(ValueError, match="kind"):
        CutMix(num_classes=3, kind="space")
    with pytest.raises(ValueError, match="label_smoothing"):
        CutMix(num_classes=3, label_smoothing=1.0)
    with pytest.raises(ValueError, match="num_classes"):
        CutMix(num_classes=0)
    with pytest.raises(ValueError, match="p"):
        CutMix(num_classes=3, p=1.5)
    with pytest.raises(TypeError, match="generator"):
        CutMix(num_classes=3, generator=0)
    with pytest.raises(ValueError, match="num_classes"):
        RandomMix([MixUp(num_classes=3), CutMix(num_classes=4)])
    with pytest.raises(ValueError, match="p or switch_prob"):
        RandomMix([MixUp(num_classes=3), CutMix(num_classes=3)], p=[1, 1], switch_prob=0.5)
    with pytest.raises(ValueError, match="exactly 2"):
        RandomMix([MixUp(num_classes=3)], switch_prob=0.5)
    with pytest.raises(ValueError, match="weights"):
        RandomMix([MixUp(num_classes=3), CutMix(num_classes=3)], p=[1.0])
    with pytest.raises(TypeError, match="MixUp/CutMix"):
        RandomMix([v2.RandomHorizontalFlip()])
    with pytest.raises(TypeError, match="callable"):
        collate_with("mixup")


# -- benchmark suite -----------------------------------------------------------------------------------------
def test_bench_suite_quick_runs():
    from videoaug.cli._bench import mix as bench_mix

    args = argparse.Namespace(device="cpu", repeats=1, batch=4, quick=True, json=None)
    records = bench_mix.run(args, torch.device("cpu"))
    impls = {(r.pipeline, r.impl) for r in records}
    assert any("torchvision" in impl for _, impl in impls) and any("videoaug" in impl for _, impl in impls)
    assert all(r.clips_per_second > 0 and r.device == "cpu" for r in records)
    # the overhead rows: the standard pipeline of the transforms suite alone, then followed by each mix
    over = [r for r in records if "overhead_percent" in r.extra]
    assert {r.impl for r in over} == {
        bench_mix.PIPELINE_ONLY, "+ videoaug MixUp(batch)", "+ videoaug MixUp(elem)",
        "+ videoaug CutMix(temporal,elem)", "+ videoaug CutMix(spatiotemp,elem)",
        "+ torchvision v2.MixUp", "+ torchvision v2.CutMix",
        "+ videoaug CutMix(temporal,elem) on uint8", "+ videoaug CutMix(spatiotemp,elem) on uint8",
    }
    base = next(r for r in over if r.impl == bench_mix.PIPELINE_ONLY)
    assert base.extra["overhead_percent"] == 0 and base.extra["paired_overhead_percent"] == 0
    assert base.extra["shape"] == [4, 4, 3, 32, 43]  # the transforms suite's --quick uint8 batch
    for r in over:
        expected = 100 * (base.clips_per_second / r.clips_per_second - 1)
        assert r.extra["overhead_percent"] == pytest.approx(expected)
    # the mix-alone rows run on the pipeline's float output (cropped to 28)
    alone = [r for r in records if "overhead_percent" not in r.extra]
    assert alone and all(r.extra["shape"] == [4, 4, 3, 28, 28] for r in alone)


def test_mixes_share_the_random_transform_base_and_its_labels_getter():
    for mix in (MixUp(num_classes=3), CutMix(num_classes=3, kind="temporal")):
        assert isinstance(mix, RandomVideoTransform)
        assert not hasattr(mix, "_replay_params")  # replay passes the parameters along, nothing kept on self
    videos, labels = torch.rand(4, 2, 3, 8, 8), torch.tensor([0, 1, 2, 0])
    assert default_labels_getter((videos, labels)) is labels
    assert default_labels_getter({"video": videos, "Target": labels}) is labels
    assert default_labels_getter(videos) is None
    out = MixUp(num_classes=3)({"video": videos, "Target": labels})
    assert out["Target"].shape == (4, 3)


@pytest.mark.parametrize("name", ["MixUp", "CutMix", "CutMixTemporal", "RandomMix"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_batch_of_one_passes_through_unmixed(name, smoothing):
    """The last batch of an epoch can hold one clip (``drop_last=False``, ``len(dataset) % batch_size == 1``):
    it comes back as it is, with its one-hot (smoothed) label, through ``collate_with`` too (issue 12, item 4)."""
    make = {
        "MixUp": lambda: MixUp(num_classes=3, label_smoothing=smoothing, mode="elem"),
        "CutMix": lambda: CutMix(num_classes=3, label_smoothing=smoothing, mode="pair"),
        "CutMixTemporal": lambda: CutMix(num_classes=3, kind="spatiotemporal", label_smoothing=smoothing),
        "RandomMix": lambda: RandomMix([MixUp(num_classes=3, label_smoothing=smoothing),
                                        CutMix(num_classes=3, label_smoothing=smoothing)]),
    }[name]
    clip = torch.rand(4, 3, 8, 8)
    videos, soft = collate_with(make())([(clip, 2)])
    assert videos.shape == (1, 4, 3, 8, 8) and torch.equal(videos[0], clip)
    torch.testing.assert_close(soft, one_hot(torch.tensor([2]), 3, smoothing))
    # and called directly, with soft labels
    labels = torch.tensor([[0.2, 0.3, 0.5]])
    videos, soft = make()(clip[None], labels)
    assert torch.equal(videos[0], clip)
    torch.testing.assert_close(soft, labels * (1 - smoothing) + smoothing / 3)
