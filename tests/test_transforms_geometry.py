"""Spatial transforms: the shared contract, kernels, maths against torchvision's kernels clip by clip, bad
input.

Tolerances against torchvision, stated once:
- float input: 1e-5 (same formulas in float32; only summation order differs);
- uint8 crop/resize: 1 level (torch's uint8 resize kernel rounds its filter weights to fixed point, ours are
  float32 and rounded once);
- uint8 warps (rotate/affine/perspective): identical grid and rounding, so 1 level at most and no more than
  0.5% of pixels off (a sample exactly on a pixel border can fall either way with the last bit of the grid).
"""

from __future__ import annotations

import json
import math

import pytest
import torch
import torchvision.transforms.v2.functional as TF
from checks import check_kernel, check_rejects_bad_video, check_transform, make_video
from torchvision import tv_tensors
from torchvision.transforms import InterpolationMode

import videoaug.functional as VF
import videoaug.transforms as T

# ----------------------------------------------------------------------------------------------------
# the shared contract
# ----------------------------------------------------------------------------------------------------
SHAPE_CHANGING = [
    pytest.param(lambda: T.RandomResizedCrop((8, 10), scale=(0.3, 1.0)), True, id="RandomResizedCrop"),
    pytest.param(lambda: T.RandomResizedCrop(24, scale=(0.3, 1.0), p=0.5), True, id="RandomResizedCrop-up-p"),
    pytest.param(lambda: T.RandomCrop((10, 12)), True, id="RandomCrop"),
    pytest.param(lambda: T.RandomCrop(18, padding=2, pad_if_needed=True, padding_mode="reflect"), True,
                 id="RandomCrop-pad"),
    pytest.param(lambda: T.CenterCrop(10), False, id="CenterCrop"),
    pytest.param(lambda: T.Resize((8, 12)), False, id="Resize"),
    pytest.param(lambda: T.Resize(10), False, id="Resize-short"),
    # one size per call for a batch: clips of a batch share it by design (tested below)
    pytest.param(lambda: T.RandomShortSideScale(8, 12), False, id="RandomShortSideScale"),
]
SHAPE_KEEPING = [
    pytest.param(lambda: T.RandomHorizontalFlip(), id="RandomHorizontalFlip"),
    pytest.param(lambda: T.RandomRotation(30), id="RandomRotation"),
    pytest.param(lambda: T.RandomRotation((-40, 40), interpolation="bilinear", fill=[0.2, 0.5, 1.0], p=0.7),
                 id="RandomRotation-bilinear-fill"),
    pytest.param(lambda: T.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=(-10, 10, -5, 5)),
                 id="RandomAffine"),
    pytest.param(lambda: T.RandomPerspective(0.5, p=1.0), id="RandomPerspective"),
    pytest.param(lambda: T.RandomPerspective(0.6, p=0.5, interpolation="nearest", fill=None),
                 id="RandomPerspective-nearest"),
]


@pytest.mark.parametrize(("factory", "random"), SHAPE_CHANGING)
def test_contract_shape_changing(factory, random, device):
    check_transform(factory(), shape_preserving=False, random=random, device=device)


@pytest.mark.parametrize("factory", SHAPE_KEEPING)
def test_contract_shape_keeping(factory, device):
    check_transform(factory(), device=device)


def test_contract_one_channel(device):
    for t in (T.RandomResizedCrop(8), T.RandomAffine(10, fill=0.5), T.RandomPerspective(p=1.0)):
        check_transform(t, C=1, shape_preserving=False, device=device)


def test_output_sizes():
    x = make_video(B=3, H=16, W=20)
    assert T.RandomResizedCrop((8, 10))(x).shape == (3, 4, 3, 8, 10)
    assert T.RandomCrop(18, pad_if_needed=True)(x).shape == (3, 4, 3, 18, 18)
    assert T.CenterCrop((7, 9))(x).shape == (3, 4, 3, 7, 9)
    assert T.Resize(8)(x).shape == (3, 4, 3, 8, 10)  # shorter side 8, aspect kept (torchvision's rule)
    assert T.Resize(8, max_size=9)(x).shape == (3, 4, 3, 7, 9)
    assert T.Resize((5, 6))(tv_tensors.Video(x[0])).shape == (4, 3, 5, 6)


# ----------------------------------------------------------------------------------------------------
# kernels: no in-place edit, dtype/device kept, batch == clips one by one, CPU == CUDA
# ----------------------------------------------------------------------------------------------------
BOXES = {"top": torch.tensor([0, 3, 5, 1]), "left": torch.tensor([0, 7, 2, 10]),
         "height": torch.tensor([16, 12, 11, 6]), "width": torch.tensor([20, 13, 18, 8])}


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_kernels(dtype, device):
    x = make_video(B=4, dtype=dtype, device=device)
    b = 4
    angle = torch.tensor([10.0, -33.0, 0.0, 125.0], device=device)
    for batched in (True, False):
        check_kernel(VF.resized_crop, x, {**{k: v.to(device) for k, v in BOXES.items()}, "size": (9, 11),
                                          "batched": batched})
    check_kernel(VF.crop, x, {"top": torch.tensor([0, 3, 5, 1], device=device),
                              "left": torch.tensor([0, 7, 2, 10], device=device), "height": 8, "width": 9})
    check_kernel(VF.center_crop, x, {"size": (9, 7)})
    check_kernel(VF.resize, x, {"size": (7, 13)})
    check_kernel(VF.pad, x, {"padding": (1, 2, 3, 4), "padding_mode": "symmetric"})
    check_kernel(VF.hflip, x, {"flip": torch.tensor([True, False, True, False], device=device)})
    check_kernel(VF.rotate, x, {"angle": angle, "interpolation": "bilinear"})
    check_kernel(VF.affine, x, {"angle": angle, "translate": torch.randn(b, 2, device=device) * 3,
                                "scale": torch.tensor([1.0, 0.8, 1.2, 0.9], device=device),
                                "shear": torch.randn(b, 2, device=device) * 10, "interpolation": "nearest"})
    start = torch.tensor([[0, 0], [19, 0], [19, 15], [0, 15]], device=device).expand(b, 4, 2)
    end = start + torch.tensor([[2, 1], [-3, 2], [-1, -2], [1, -3]], device=device) * torch.arange(
        b, device=device).view(b, 1, 1)
    check_kernel(VF.perspective, x, {"startpoints": start, "endpoints": end})


# ----------------------------------------------------------------------------------------------------
# maths against torchvision's kernels, clip by clip
# ----------------------------------------------------------------------------------------------------
def _close(ours: torch.Tensor, ref: torch.Tensor, dtype: torch.dtype) -> None:
    if dtype == torch.uint8:
        torch.testing.assert_close(ours.float(), ref.float(), atol=1, rtol=0)
    else:
        torch.testing.assert_close(ours, ref, atol=1e-5, rtol=0)


def _warp_close(ours: torch.Tensor, ref: torch.Tensor, dtype: torch.dtype) -> None:
    diff = (ours.double() - ref.double()).abs()
    if dtype == torch.uint8:
        frac = (diff > 0).double().mean()
        assert diff.max() <= 1 and frac <= 0.005, (diff.max(), frac)
    else:
        assert (diff > 1e-5).double().mean() <= 0.005, (diff > 1e-5).double().mean()


class TestResizedCrop:
    @pytest.mark.parametrize("dtype", [torch.uint8, torch.float32, torch.float64])
    @pytest.mark.parametrize("antialias", [True, False])
    @pytest.mark.parametrize("size", [(9, 11), (37, 23), (16, 20)])  # shrink, enlarge (3 tiles), mixed
    @pytest.mark.parametrize("batched", [True, False])  # banded batched kernel / torch's kernel per clip
    def test_per_clip_boxes_match_torchvision(self, dtype, antialias, size, batched):
        x = make_video(B=4, H=16, W=20, dtype=dtype)
        out = VF.resized_crop(x, **BOXES, size=size, antialias=antialias, batched=batched)
        keys = ("top", "left", "height", "width")
        ref = torch.stack([TF.resized_crop(x[i], *(int(BOXES[k][i]) for k in keys), list(size),
                                           antialias=antialias) for i in range(4)])
        assert out.dtype == dtype and out.shape == (4, 4, 3, *size)
        _close(out, ref, dtype)

    @pytest.mark.parametrize("one_box", [True, False])
    def test_frames_stored_hwc_give_the_same_values(self, one_box):
        # read_clip's layout: the uint8 CPU resize runs channels-last on it; the values are the same
        x = make_video(B=4, H=16, W=20)
        hwc = x.movedim(-3, -1).contiguous().movedim(-1, -3)
        boxes = {k: v[:1].expand(4) for k, v in BOXES.items()} if one_box else BOXES
        out = VF.resized_crop(hwc, **boxes, size=(9, 11), batched=False)
        assert torch.equal(out, VF.resized_crop(x, **boxes, size=(9, 11), batched=False))
        resized = VF.resize(hwc, (9, 11))
        assert torch.equal(resized, VF.resize(x, (9, 11)))
        # what follows a crop (flip, colour, ToDtype, Normalize) runs on contiguous frames, whatever came in
        assert out.is_contiguous() and resized.is_contiguous()
        # the speed comes from handing torch's kernel the channels-last tensor it works in, not a converted one
        from videoaug.functional._geometry import _interpolate

        assert _interpolate(hwc[0, :, :, 2:12, 3:15], (9, 11), True).is_contiguous(memory_format=torch.channels_last)
        assert _interpolate(x[0, :, :, 2:12, 3:15], (9, 11), True).is_contiguous()

    def test_large_frames_many_tiles(self):
        x = make_video(B=3, T=2, H=70, W=93)
        boxes = dict(top=torch.tensor([0, 10, 33]), left=torch.tensor([5, 0, 40]),
                     height=torch.tensor([70, 41, 37]), width=torch.tensor([80, 93, 53]))
        out = VF.resized_crop(x, **boxes, size=(50, 45), batched=True)
        ref = torch.stack([TF.resized_crop(x[i], *(int(boxes[k][i]) for k in boxes), [50, 45])
                           for i in range(3)])
        _close(out, ref, torch.uint8)

    def test_one_box_for_all_clips_is_torchvision(self):
        x = make_video(B=3)
        out = VF.resized_crop(x, 2, 3, 12, 15, (8, 8))
        ref = TF.resized_crop(x.flatten(0, 1), 2, 3, 12, 15, [8, 8]).view(3, 4, 3, 8, 8)
        assert torch.equal(out, ref)

    def test_box_outside_frame_raises(self):
        with pytest.raises(ValueError, match="inside the 16x20 frame"):
            VF.resized_crop(make_video(B=2), torch.tensor([0, 5]), 0, torch.tensor([16, 16]), 20, 8)

    def test_transform_replays_with_torchvision(self):
        x = make_video(B=6, H=24, W=30)
        t = T.RandomResizedCrop((12, 14), scale=(0.2, 1.0), ratio=(0.5, 2.0))
        out = t(x)
        p = t.last_params
        for i in range(6):
            ref = TF.resized_crop(x[i], int(p["top"][i]), int(p["left"][i]), int(p["height"][i]),
                                  int(p["width"][i]), [12, 14])
            _close(out[i], ref, torch.uint8)

    def test_sampling_follows_torchvision_ranges(self):
        t = T.RandomResizedCrop(8, scale=(0.3, 0.6), ratio=(0.5, 2.0))
        torch.manual_seed(3)
        x = make_video(B=256, T=1, H=40, W=50)
        t(x)
        p = {k: v.double() for k, v in t.last_params.items()}
        assert ((p["top"] >= 0) & (p["top"] + p["height"] <= 40)).all()
        assert ((p["left"] >= 0) & (p["left"] + p["width"] <= 50)).all()
        area = p["height"] * p["width"] / 2000
        assert area.min() > 0.25 and area.max() < 0.66  # rounding of the sides widens the range slightly
        ratio = p["width"] / p["height"]
        assert ratio.min() > 0.45 and ratio.max() < 2.2
        assert len(set(p["top"].tolist())) > 10, "boxes are not drawn per clip"

    def test_not_augmented_clips_get_the_whole_frame(self):
        t = T.RandomResizedCrop(8, scale=(0.1, 0.2), p=0.0)
        x = make_video(B=3)
        out = t(x)
        assert (t.last_params["height"] == 16).all() and (t.last_params["width"] == 20).all()
        assert torch.equal(out, TF.resize(x.flatten(0, 1), [8, 8]).view(3, 4, 3, 8, 8))

    def test_fallback_is_a_centred_ratio_clamped_crop(self):
        # no try can fit: area 1.0 with ratio 3..4 on a 16x20 frame -> torchvision's fallback,
        # w=20, h=round(20/3)
        t = T.RandomResizedCrop(8, scale=(1.0, 1.0), ratio=(3.0, 4.0))
        t(make_video(B=2))
        p = t.last_params
        assert p["width"].tolist() == [20, 20] and p["height"].tolist() == [7, 7]
        assert p["top"].tolist() == [4, 4] and p["left"].tolist() == [0, 0]


class TestCropResize:
    def test_crop_matches_torchvision(self):
        x = make_video(B=4)
        top, left = torch.tensor([0, 3, 8, 1]), torch.tensor([0, 7, 2, 11])
        out = VF.crop(x, top, left, 8, 9)
        for i in range(4):
            assert torch.equal(out[i], TF.crop(x[i], int(top[i]), int(left[i]), 8, 9))

    @pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
    def test_random_crop_with_padding_matches_torchvision(self, mode):
        x = make_video(B=4, dtype=torch.float32)
        t = T.RandomCrop((14, 24), padding=(1, 2, 3, 0), pad_if_needed=True, fill=0.5, padding_mode=mode)
        out = t(x)
        p = t.last_params
        # padding (1, 2, 3, 0), then width 20+4=24 fits, height 16+2=18 fits
        for i in range(4):
            padded = TF.pad(x[i], [1, 2, 3, 0], fill=0.5, padding_mode=mode)
            ref = TF.crop(padded, int(p["top"][i]), int(p["left"][i]), 14, 24)
            assert torch.equal(out[i], ref)

    def test_pad_if_needed_pads_both_sides_by_the_difference(self):
        x = make_video(B=2, H=16, W=20)
        t = T.RandomCrop((20, 22), pad_if_needed=True)
        out = t(x)
        assert out.shape == (2, 4, 3, 20, 22)
        assert t._full_padding(16, 20) == (2, 4, 2, 4)

    def test_center_crop_and_resize_match_torchvision(self):
        x = make_video(B=2, dtype=torch.float32)
        assert torch.equal(T.CenterCrop((9, 7))(x)[1], TF.center_crop(x[1], [9, 7]))
        for size in ([7, 13], [10]):
            out = T.Resize(size[0] if len(size) == 1 else size)(x)
            _close(out[1], TF.resize(x[1], size), torch.float32)
        xu = make_video(B=2)
        assert torch.equal(T.Resize((7, 13))(xu)[0], TF.resize(xu[0], [7, 13]))

    def test_short_side_scale(self):
        x = make_video(B=5, H=16, W=20)
        t = T.RandomShortSideScale(8, 12)
        sizes = set()
        for seed in range(12):
            torch.manual_seed(seed)
            out = t(x)
            h, w = out.shape[-2:]
            assert 8 <= h <= 12 and w == int(h * 20 / 16)
            assert (t.last_params["short_side"] == h).all()  # one size for the whole batch
            sizes.add(h)
            _close(out[2], TF.resize(x[2], [h]), torch.uint8)
        assert len(sizes) > 2, "sizes are not random"
        torch.manual_seed(1)
        a = t(x)
        torch.manual_seed(1)
        assert torch.equal(a, t(x))
        assert torch.equal(T.RandomShortSideScale(8, 12, p=0.0)(x), x)


class TestFlip:
    def test_flips_exactly_the_drawn_clips(self):
        x = make_video(B=16)
        t = T.RandomHorizontalFlip(p=0.5)
        out = t(x)
        flip = t.last_params["flip"]
        assert 0 < int(flip.sum()) < 16
        for i in range(16):
            assert torch.equal(out[i], TF.horizontal_flip(x[i]) if flip[i] else x[i])


class TestWarps:
    ANGLES = torch.tensor([10.0, -33.0, 0.0, 125.0, 271.5])

    @pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
    @pytest.mark.parametrize("mode", ["nearest", "bilinear"])
    @pytest.mark.parametrize("fill", [0, None, [10, 200, 30]])
    def test_rotate(self, dtype, mode, fill):
        x = make_video(B=5, H=15, W=22, dtype=dtype)
        fill = [f / 255 for f in fill] if (isinstance(fill, list) and dtype != torch.uint8) else fill
        out = VF.rotate(x, self.ANGLES, mode, fill)
        ref = torch.stack([TF.rotate(x[i], float(self.ANGLES[i]), InterpolationMode(mode), fill=fill)
                           for i in range(5)])
        _warp_close(out, ref, dtype)

    def test_rotate_about_a_center(self):
        x = make_video(B=2, H=15, W=22)
        out = VF.rotate(x, torch.tensor([20.0, -45.0]), "bilinear", 0, center=[3, 4])
        for i, a in enumerate((20.0, -45.0)):
            ref = TF.rotate(x[i], a, InterpolationMode.BILINEAR, center=[3, 4], fill=0)
            _warp_close(out[i], ref, torch.uint8)

    @pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
    @pytest.mark.parametrize("mode", ["nearest", "bilinear"])
    def test_affine(self, dtype, mode):
        x = make_video(B=5, H=15, W=22, dtype=dtype)
        tr = torch.tensor([[1.0, 2.0], [-3, 0], [0, 0], [4, 4], [2, -1]])
        sc = torch.tensor([1.0, 0.8, 1.2, 1.0, 0.9])
        sh = torch.tensor([[5.0, 0], [0, 10], [-5, -5], [0, 0], [20, 3]])
        out = VF.affine(x, self.ANGLES, tr, sc, sh, mode, 0)
        ref = torch.stack([TF.affine(x[i], float(self.ANGLES[i]), tr[i].tolist(), float(sc[i]),
                                     sh[i].tolist(), InterpolationMode(mode), fill=0) for i in range(5)])
        _warp_close(out, ref, dtype)

    def test_random_affine_replays_with_torchvision(self):
        x = make_video(B=6, H=15, W=22)
        t = T.RandomAffine(30, translate=(0.2, 0.2), scale=(0.7, 1.3), shear=(-10, 10, -10, 10),
                           interpolation="bilinear")
        out = t(x)
        p = t.last_params
        assert (p["translate"] == p["translate"].round()).all()  # whole pixels, as torchvision
        assert (p["translate"][:, 0].abs() <= 0.2 * 22).all()
        assert (p["translate"][:, 1].abs() <= 0.2 * 15).all()
        for i in range(6):
            ref = TF.affine(x[i], float(p["angle"][i]), p["translate"][i].tolist(), float(p["scale"][i]),
                            p["shear"][i].tolist(), InterpolationMode.BILINEAR, fill=0)
            _warp_close(out[i], ref, torch.uint8)

    @pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
    def test_random_perspective_replays_with_torchvision(self, dtype):
        x = make_video(B=6, H=15, W=22, dtype=dtype)
        t = T.RandomPerspective(0.7, p=1.0)
        out = t(x)
        p = t.last_params
        s, e = p["startpoints"], p["endpoints"]
        # torchvision's integer corner draws: each corner moves inwards by at most distortion * half side
        moved = (e - s).abs()
        assert (moved[..., 0] <= int(0.7 * 11)).all() and (moved[..., 1] <= int(0.7 * 7)).all()
        assert (e == e.round()).all()
        for i in range(6):
            ref = TF.perspective(x[i], s[i].long().tolist(), e[i].long().tolist(), InterpolationMode.BILINEAR,
                                 fill=0)
            _warp_close(out[i], ref, dtype)

    def test_rotation_angles_are_per_clip_within_range(self):
        t = T.RandomRotation((10, 20), p=0.5)
        t(make_video(B=64, T=1, H=6, W=6))
        a = t.last_params["angle"]
        rotated = a != 0
        assert 10 < rotated.sum() < 54
        assert ((a[rotated] >= 10) & (a[rotated] <= 20)).all() and len(set(a.tolist())) > 10

    def test_fill_colours_the_outside(self):
        x = torch.zeros(1, 1, 3, 9, 9, dtype=torch.uint8)
        out = VF.affine(x, 0.0, [5.0, 0.0], 1.0, [0.0, 0.0], "nearest", [255, 0, 128])
        assert out[0, 0, :, 4, 5:].eq(0).all()  # content moved 5 pixels right
        assert out[0, 0, 0, 4, :5].eq(255).all() and out[0, 0, 2, 4, :5].eq(128).all()  # filled from outside


# ----------------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------------
ALL = [T.RandomResizedCrop(8), T.RandomCrop(8), T.CenterCrop(8), T.Resize(8), T.RandomShortSideScale(8, 10),
       T.RandomHorizontalFlip(), T.RandomRotation(10), T.RandomAffine(10), T.RandomPerspective()]


@pytest.mark.parametrize("t", ALL, ids=lambda t: type(t).__name__)
def test_bad_input(t):
    check_rejects_bad_video(t)


def test_crop_larger_than_frame_raises_naming_sizes():
    x = make_video(B=2, H=16, W=20)
    with pytest.raises(ValueError, match=r"crop 18x18 for a 16x20 frame"):
        T.RandomCrop(18)(x)
    with pytest.raises(ValueError, match=r"16x20 frame, got 17x10"):
        T.CenterCrop((17, 10))(x)
    with pytest.raises(ValueError, match=r"16x20 frame, got 8x21"):
        VF.crop(x, 0, 0, 8, 21)
    assert T.RandomCrop(18, padding=1)(x).shape[-2:] == (18, 18)  # padding makes it fit


def test_bad_arguments():
    with pytest.raises(ValueError, match="expand"):
        T.RandomRotation(10, expand=True)
    with pytest.raises(ValueError, match="interpolation"):
        T.RandomRotation(10, interpolation="bicubic")
    with pytest.raises(ValueError, match="scale"):
        T.RandomResizedCrop(8, scale=(0.9, 0.1))
    with pytest.raises(ValueError, match="size"):
        T.RandomResizedCrop((8, 0))
    with pytest.raises(ValueError, match="distortion_scale"):
        T.RandomPerspective(1.5)
    with pytest.raises(ValueError, match="p:"):
        T.RandomHorizontalFlip(p=1.5)
    with pytest.raises(ValueError, match="padding_mode"):
        T.RandomCrop(8, padding_mode="wrap")
    with pytest.raises(ValueError, match="fill"):
        VF.rotate(make_video(B=1), 10.0, fill=[1, 2])


def test_generator_makes_draws_reproducible():
    x = make_video(B=4)
    a = T.RandomAffine(20, generator=torch.Generator().manual_seed(5))(x)
    b = T.RandomAffine(20, generator=torch.Generator().manual_seed(5))(x)
    assert torch.equal(a, b)
    c = T.RandomAffine(20, generator=torch.Generator().manual_seed(6))(x)
    assert not math.isclose(float(a.float().mean()), float(c.float().mean()), rel_tol=1e-9)


# ----------------------------------------------------------------------------------------------------
# benchmark suite (not timed: checks the records only)
# ----------------------------------------------------------------------------------------------------
def test_bench_suite_quick(tmp_path, capsys):
    from videoaug.cli import main
    from videoaug.cli._bench import transforms as suite

    path = tmp_path / "bench.json"
    assert main(["bench", "--quick", "--repeats", "1", "--batch", "2", "--json", str(path)]) == 0
    data = json.loads(path.read_text())
    records = [r for r in data["records"]
               if r["pipeline"].startswith("standard pipeline") and "+ mix" not in r["pipeline"]]
    assert data["environment"]["threads"] >= 1
    impls = {(r["pipeline"].endswith("one clip"), r["impl"]) for r in records}
    assert impls == {(False, suite.TORCHVISION), (False, suite.KORNIA), (False, suite.VIDEOAUG),
                     (False, suite.VIDEOAUG_FUSED), (False, suite.FLOOR), (True, suite.TORCHVISION_ONE),
                     (True, suite.VIDEOAUG_ONE), (True, suite.VIDEOAUG_FUSED_ONE), (True, suite.FLOOR)}
    for r in records:
        assert r["clips_per_second"] > 0 and r["device"] == "cpu"
        assert r["batch"] == (1 if r["pipeline"].endswith("one clip") else 2)
    out = capsys.readouterr().out
    assert "videoaug (batch)" in out and "videoaug fuse() (batch)" in out
    # the per-stage breakdown: one row per transform of the unfused pipeline, and the floor
    stages = [r["impl"] for r in data["records"] if r["pipeline"].startswith("stages of the standard")]
    assert stages == ["RandomResizedCrop", "RandomHorizontalFlip", "ColorJitter", "ToDtype", "Normalize",
                      suite.FLOOR]
    # the same pipelines on read_clip's memory layout, with their own floor
    hwc = {(r["pipeline"].endswith("one clip"), r["impl"]) for r in data["records"]
           if r["pipeline"].startswith(suite.HWC_PREFIX)}
    assert hwc == {(False, suite.VIDEOAUG), (False, suite.VIDEOAUG_FUSED), (False, suite.FLOOR),
                   (True, suite.TORCHVISION_ONE), (True, suite.VIDEOAUG_ONE), (True, suite.VIDEOAUG_FUSED_ONE)}
    assert all("thp_mem_alloc" in r["extra"] for r in records)
