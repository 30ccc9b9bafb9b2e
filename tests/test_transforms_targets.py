"""Masks and boxes moving with their clip: the shared checker over every geometric and temporal transform,
results against torchvision's mask and box kernels clip by clip, the transforms that leave them alone, bad input.

Tolerances: masks equal torchvision's kernels exactly except for samples on a pixel border in the warps (the
last bit of the grid decides, as for uint8 video; at most 0.5 % of pixels); boxes to 1e-3 pixels (float64 here,
float32 in torchvision).
"""

from __future__ import annotations

import pytest
import torch
import torchvision.transforms.v2.functional as TF
from checks import check_targets, make_painted
from torchvision import tv_tensors
from torchvision.transforms import v2

import videoaug as va
import videoaug.functional as VF
import videoaug.transforms as T

GEOMETRIC = [
    pytest.param(lambda: T.RandomHorizontalFlip(), id="RandomHorizontalFlip"),
    pytest.param(lambda: T.RandomResizedCrop((24, 28), scale=(0.3, 1.0)), id="RandomResizedCrop"),
    pytest.param(lambda: T.RandomResizedCrop(48, scale=(0.3, 1.0), p=0.5), id="RandomResizedCrop-up-p"),
    pytest.param(lambda: T.RandomCrop((24, 30)), id="RandomCrop"),
    pytest.param(lambda: T.RandomCrop(36, padding=(2, 1), pad_if_needed=True, fill=0.5), id="RandomCrop-pad"),
    pytest.param(lambda: T.CenterCrop(24), id="CenterCrop"),
    pytest.param(lambda: T.Resize((20, 26)), id="Resize"),
    pytest.param(lambda: T.Resize(20, max_size=24), id="Resize-short-max"),
    pytest.param(lambda: T.RandomShortSideScale(20, 40), id="RandomShortSideScale"),
    pytest.param(lambda: T.RandomRotation(30), id="RandomRotation"),
    pytest.param(lambda: T.RandomRotation(40, interpolation="bilinear", center=(12, 10)), id="RandomRotation-c"),
    pytest.param(lambda: T.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=(-10, 10, -5, 5)),
                 id="RandomAffine"),
    pytest.param(lambda: T.RandomPerspective(0.5, p=1.0), id="RandomPerspective"),
    pytest.param(lambda: T.RandomSmoothWarp(), id="RandomSmoothWarp"),
    pytest.param(lambda: T.RandomSmoothWarp(translate=0.15, affine=0.1, displacement=0.05, drift=1.0, p=0.7),
                 id="RandomSmoothWarp-drift"),
]
TEMPORAL = [
    pytest.param(lambda: T.TemporalRandomCrop(3), id="TemporalRandomCrop"),
    pytest.param(lambda: T.UniformTemporalSubsample(6), id="UniformTemporalSubsample"),
    pytest.param(lambda: T.RandomSpeed((0.5, 2.0), num_frames=5), id="RandomSpeed"),
    pytest.param(lambda: T.TemporalReverse(), id="TemporalReverse"),
    pytest.param(lambda: T.RandomFrameDrop(0.4), id="RandomFrameDrop"),
]
# nearest resizing (torchvision's rule for masks, floor(i * in / out)) sits up to half a pixel off the bilinear
# resize of the paint; torchvision's own kernels disagree as much (test_resize_disagreement_as_torchvision)
MAX_DISAGREEMENT = 0.05


@pytest.mark.parametrize("factory", GEOMETRIC + TEMPORAL)
def test_contract_targets(factory):
    check_targets(factory(), max_disagreement=MAX_DISAGREEMENT)


def test_contract_targets_smooth_warp_reflection_masks():
    # reflected borders paint mirrored copies of objects near the edge: the mask has them too, no box does
    check_targets(T.RandomSmoothWarp(translate=0.2, padding_mode="reflection"), max_disagreement=MAX_DISAGREEMENT,
                  boxes=False)


def test_smooth_warp_points_invert_the_sampling_grid():
    torch.manual_seed(3)
    n, h, w = 3, 24, 32
    shift, affine = 0.2 * torch.rand(n, 2) - 0.1, 0.1 * torch.rand(n, 2, 2) - 0.05
    warp = 0.1 * torch.rand(n, 2, 4, 5) - 0.05
    x = torch.rand(n, 50, 2, dtype=torch.float64) * torch.tensor([w, h]) * 0.8 + 3  # output points, pixels
    u = x * torch.tensor([2.0 / w, 2.0 / h]) - 1
    d = torch.nn.functional.grid_sample(warp.double(), u[:, :, None], mode="bilinear", padding_mode="border",
                                        align_corners=False)[..., 0].transpose(1, 2)
    grid = u @ (torch.eye(2) + affine).double().transpose(1, 2) + shift.double()[:, None] + d  # input points
    p = (grid + 1) / torch.tensor([2.0 / w, 2.0 / h])
    back = VF.smooth_warp_points(p, (h, w), shift, affine, warp)
    torch.testing.assert_close(back, x, atol=1e-6, rtol=0)


def test_contract_targets_randaugment_geometric_ops():
    # photometric ops repaint the objects, so the paint check replays draws of the geometric ops only
    aug = T.VideoRandAugment(num_ops=2, magnitude=12)
    video = make_painted()[0]
    aug(video)
    ops = torch.randint(1, 6, (4, 2))  # ShearX, ShearY, TranslateX, TranslateY, Rotate
    sign = torch.where(torch.rand(4, 2) < 0.5, -1.0, 1.0)
    table = torch.tensor([0.0, 0.3, 0.3, 6.0, 6.0, 30.0])
    params = {"ops": ops, "magnitudes": sign * table[ops]}
    aug.sample_params = lambda shape: {k: v[: shape.batch] for k, v in params.items()}  # type: ignore[method-assign]
    check_targets(aug, max_disagreement=MAX_DISAGREEMENT)


def test_randaugment_mask_is_the_nearest_warp_of_the_video():
    """The mask path of VideoRandAugment is its video path with nearest interpolation: a mask painted as a
    uint8 video comes out as the mask does, whatever ops were drawn (photometric ones leave the mask)."""
    aug = T.VideoRandAugment(num_ops=3, magnitude=15, interpolation="nearest", fill=0)
    _, mask, _ = make_painted(B=6)
    out, m = aug(torch.zeros(6, 4, 3, 32, 40), tv_tensors.Mask(mask))
    ops = aug.last_params["ops"]
    geometric = torch.isin(ops, torch.tensor([1, 2, 3, 4, 5]))
    only_geometric = {"ops": torch.where(geometric, ops, torch.zeros_like(ops)),
                      "magnitudes": aug.last_params["magnitudes"]}
    as_video = mask.unsqueeze(2).expand(-1, -1, 3, -1, -1).contiguous()
    warped = VF.augment_ops(as_video, only_geometric["ops"], only_geometric["magnitudes"], fill=0)
    torch.testing.assert_close(m.as_subclass(torch.Tensor), warped[:, :, 0], rtol=0, atol=0)


def test_resize_disagreement_as_torchvision():
    video, mask, _ = make_painted()
    ours, m = T.Resize((20, 26))(video, tv_tensors.Mask(mask))
    tv_video = TF.resize(video.flatten(0, 1), [20, 26])
    tv_mask = TF.resize(tv_tensors.Mask(mask.flatten(0, 1)), [20, 26])
    for label in (1, 2):
        tv_wrong = ((tv_video[:, label - 1] > 0.5) != (tv_mask == label)).float().mean()
        our_wrong = ((ours[:, :, label - 1] > 0.5) != (m == label)).float().mean()
        assert float(our_wrong) <= float(tv_wrong) + 1e-6 < MAX_DISAGREEMENT


# ----------------------------------------------------------------------------------------------------
# against torchvision's mask and box kernels, clip by clip with the clip's parameters
# ----------------------------------------------------------------------------------------------------
def _row(params: dict, b: int) -> dict:
    return {k: v[b] if isinstance(v, torch.Tensor) and v.ndim > 0 else v for k, v in params.items()}


def _tv_crop_pad(t: T.RandomCrop, x, p, h, w):
    left, top, right, bottom = t._full_padding(h, w)
    if any((left, top, right, bottom)):
        x = TF.pad(x, [left, top, right, bottom], fill=0, padding_mode=t.padding_mode)
    return TF.crop(x, int(p["top"]), int(p["left"]), *t.size)


TV_EQUIVALENT = [
    pytest.param(lambda: T.RandomHorizontalFlip(),
                 lambda t, x, p, h, w: TF.horizontal_flip(x) if bool(p["flip"]) else x, id="RandomHorizontalFlip"),
    pytest.param(lambda: T.RandomResizedCrop((24, 28), scale=(0.2, 1.0)),
                 lambda t, x, p, h, w: TF.resized_crop(x, int(p["top"]), int(p["left"]), int(p["height"]),
                                                       int(p["width"]), list(t.size)), id="RandomResizedCrop"),
    pytest.param(lambda: T.RandomResizedCrop(50, scale=(0.2, 1.0)),
                 lambda t, x, p, h, w: TF.resized_crop(x, int(p["top"]), int(p["left"]), int(p["height"]),
                                                       int(p["width"]), list(t.size)), id="RandomResizedCrop-up"),
    pytest.param(lambda: T.RandomCrop((24, 30)), _tv_crop_pad, id="RandomCrop"),
    pytest.param(lambda: T.RandomCrop(36, padding=(2, 1), pad_if_needed=True), _tv_crop_pad, id="RandomCrop-pad"),
    pytest.param(lambda: T.CenterCrop((24, 25)), lambda t, x, p, h, w: TF.center_crop(x, list(t.size)),
                 id="CenterCrop"),
    pytest.param(lambda: T.Resize((20, 26)), lambda t, x, p, h, w: TF.resize(x, list(t.size)), id="Resize"),
    pytest.param(lambda: T.Resize(21, max_size=24), lambda t, x, p, h, w: TF.resize(x, 21, max_size=24),
                 id="Resize-short-max"),
    pytest.param(lambda: T.RandomShortSideScale(20, 40), lambda t, x, p, h, w: TF.resize(x, int(p["short_side"])),
                 id="RandomShortSideScale"),
    pytest.param(lambda: T.RandomRotation(35, center=(12, 10)),
                 lambda t, x, p, h, w: TF.rotate(x, float(p["angle"]), center=t.center), id="RandomRotation"),
    pytest.param(lambda: T.RandomAffine(25, translate=(0.1, 0.2), scale=(0.7, 1.3), shear=(-10, 10, -5, 5)),
                 lambda t, x, p, h, w: TF.affine(x, float(p["angle"]), p["translate"].tolist(), float(p["scale"]),
                                                 p["shear"].tolist()), id="RandomAffine"),
    pytest.param(lambda: T.RandomPerspective(0.6, p=1.0),
                 lambda t, x, p, h, w: TF.perspective(x, p["startpoints"].tolist(), p["endpoints"].tolist()),
                 id="RandomPerspective"),
]


@pytest.mark.parametrize(("factory", "tv_op"), TV_EQUIVALENT)
def test_matches_torchvision_kernels(factory, tv_op):
    t = factory()
    B, H, W = 6, 32, 40
    video, mask, rects = make_painted(B=B, H=H, W=W)
    grown = rects[:, 0] + torch.tensor([-3.0, -2.0, 2.5, 1.5])  # boxes inside the frame, not on pixel borders
    grown = torch.minimum(grown.clamp(min=0), torch.tensor([W, H, W, H]))
    boxes = [tv_tensors.BoundingBoxes(grown[b], format="XYXY", canvas_size=(H, W)) for b in range(B)]
    _, m, out_boxes = t(video, tv_tensors.Mask(mask), boxes)
    for b in range(B):
        p = _row(t.last_params, b)
        tv_mask = tv_op(t, tv_tensors.Mask(mask[b]), p, H, W)
        tv_box = tv_op(t, boxes[b], p, H, W)
        assert isinstance(tv_mask, tv_tensors.Mask) and tv_mask.shape == m[b].shape
        wrong = (tv_mask.as_subclass(torch.Tensor) != m[b].as_subclass(torch.Tensor)).float().mean()
        assert float(wrong) <= 0.005, f"clip {b}: {float(wrong):.4f} of the mask differs from torchvision's"
        assert out_boxes[b].canvas_size == tv_box.canvas_size
        torch.testing.assert_close(out_boxes[b].as_subclass(torch.Tensor), tv_box.as_subclass(torch.Tensor),
                                   atol=1e-3, rtol=0)


def test_integer_boxes_keep_dtype_as_torchvision():
    t = T.RandomAffine(20, translate=(0.1, 0.1))
    bb = tv_tensors.BoundingBoxes(torch.tensor([[3, 4, 20, 25], [0, 0, 40, 32]]), format="XYWH",
                                  canvas_size=(32, 40))
    _, out = t(torch.rand(4, 3, 32, 40), bb)
    p = _row(t.last_params, 0)
    tv = TF.affine(bb, float(p["angle"]), p["translate"].tolist(), float(p["scale"]), p["shear"].tolist())
    assert out.dtype == torch.int64 and out.format == tv_tensors.BoundingBoxFormat.XYWH
    assert (out.as_subclass(torch.Tensor) - tv.as_subclass(torch.Tensor)).abs().max() <= 1  # truncation


# ----------------------------------------------------------------------------------------------------
# boxes that leave the frame, per clip in a batch, temporal selection
# ----------------------------------------------------------------------------------------------------
def test_boxes_leaving_the_frame_are_removed_by_sanitize():
    video = torch.rand(2, 4, 3, 32, 40)
    boxes = [tv_tensors.BoundingBoxes([[0, 0, 8, 8], [30, 20, 40, 32]], format="XYXY", canvas_size=(32, 40))
             for _ in range(2)]
    labels = [torch.tensor([1, 2]), torch.tensor([3, 4])]
    crop = T.RandomCrop((16, 20))
    targets = [{"boxes": bb, "labels": lab} for bb, lab in zip(boxes, labels, strict=True)]
    _, out = crop.replay(video, targets, params={"top": torch.tensor([0, 16]), "left": torch.tensor([0, 20])})
    torch.testing.assert_close(out[0]["boxes"].as_subclass(torch.Tensor),
                               torch.tensor([[0, 0, 8, 8], [20, 16, 20, 16]]))  # second box: zero area
    assert out[1]["boxes"].tolist() == [[0, 0, 0, 0], [10, 4, 20, 16]]
    kept = [v2.SanitizeBoundingBoxes()(o) for o in out]
    assert kept[0]["labels"].tolist() == [1] and kept[1]["labels"].tolist() == [4]


def test_batch_boxes_each_clip_its_own_parameters():
    flip = T.RandomHorizontalFlip()
    boxes = [tv_tensors.BoundingBoxes([[2, 3, 10, 12]], format="XYXY", canvas_size=(16, 20)) for _ in range(3)]
    _, out = flip.replay(torch.rand(3, 2, 3, 16, 20), boxes, params={"flip": torch.tensor([True, False, True])})
    assert [o.tolist() for o in out] == [[[10, 3, 18, 12]], [[2, 3, 10, 12]], [[10, 3, 18, 12]]]


def test_temporal_selects_the_same_frames_of_masks_and_tracks():
    video = torch.arange(6.0).view(1, 6, 1, 1, 1).expand(2, 6, 1, 4, 4).contiguous()
    mask = tv_tensors.Mask(torch.arange(6).view(1, 6, 1, 1).expand(2, 6, 4, 4).contiguous())
    track = [va.box_track(torch.arange(6.0).view(6, 1, 1).expand(6, 1, 4), format="XYXY", canvas_size=(4, 4))
             for _ in range(2)]
    still = [tv_tensors.BoundingBoxes([[0, 0, 2, 2]], format="XYXY", canvas_size=(4, 4)) for _ in range(2)]
    drop = T.RandomSpeed((0.5, 2.0), num_frames=4)
    out, m, tr, st = drop(video, mask, track, still)
    idx = drop.last_params["indices"]
    assert torch.equal(out[:, :, 0, 0, 0].long(), idx)
    assert torch.equal(m[:, :, 0, 0].long(), idx)
    for b in range(2):
        assert torch.equal(tr[b][:, 0, 0].long(), idx[b])
        assert st[b] is still[b] or torch.equal(st[b], still[b])  # boxes on every frame stay


# ----------------------------------------------------------------------------------------------------
# transforms that leave masks and boxes alone, and those that refuse them
# ----------------------------------------------------------------------------------------------------
UNCHANGED = [
    lambda: T.ColorJitter(0.4, 0.4, 0.4, 0.1), lambda: T.RandomGrayscale(p=1.0), lambda: T.Grayscale(),
    lambda: T.GaussianBlur(3), lambda: T.Normalize(0.5, 0.25), lambda: T.ToDtype(torch.float32),
    lambda: T.RandomTubeErasing(p=1.0), lambda: T.ToCTHW(),
]


@pytest.mark.parametrize("factory", UNCHANGED)
def test_photometric_and_erasing_leave_targets_alone(factory):
    video, mask, rects = make_painted(B=2)
    m = tv_tensors.Mask(mask)
    boxes = [tv_tensors.BoundingBoxes(rects[b, 0], format="XYXY", canvas_size=(32, 40)) for b in range(2)]
    out = factory()(video, m, boxes)
    assert out[1] is m and out[2][0] is boxes[0] and out[2][1] is boxes[1]


def test_unsupported_transform_refuses_masks():
    class Shift(T.RandomVideoTransform):
        def apply(self, video, params):
            return video.roll(1, -1)

    with pytest.raises(TypeError, match="Shift: masks"):
        Shift()(torch.rand(2, 3, 8, 8), tv_tensors.Mask(torch.zeros(2, 8, 8, dtype=torch.uint8)))


def test_video_path_unchanged_without_targets():
    t = T.RandomAffine(20, translate=(0.1, 0.1))
    video = torch.rand(3, 4, 3, 16, 20)
    out = t(video)
    with_mask, _ = t.replay(video, tv_tensors.Mask(torch.zeros(3, 4, 16, 20)), params=t.last_params)
    torch.testing.assert_close(with_mask, out, rtol=0, atol=0)
    assert t._targets is None or t._targets.batch == 3


# ----------------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------------
def test_bad_targets():
    t = T.RandomHorizontalFlip()
    video = torch.rand(2, 4, 3, 16, 20)
    with pytest.raises(ValueError, match=r"mask: expected \(B, T, H, W\) or \(B, T, K, H, W\) with B=2, T=4, "
                                         r"H=16, W=20 \(the video's\), got shape \(4, 16, 20\)"):
        t(video, tv_tensors.Mask(torch.zeros(4, 16, 20)))
    with pytest.raises(ValueError, match=r"mask: expected \(T, H, W\)"):
        t(video[0], tv_tensors.Mask(torch.zeros(4, 16, 21)))
    bb = tv_tensors.BoundingBoxes([[0, 0, 4, 4]], format="XYXY", canvas_size=(16, 20))
    with pytest.raises(ValueError, match=r"one BoundingBoxes per clip of the batch \(B=2"):
        t(video, bb)
    with pytest.raises(ValueError, match=r"canvas_size \(16, 20\).*got \(32, 40\)"):
        t(video[0], tv_tensors.BoundingBoxes([[0, 0, 4, 4]], format="XYXY", canvas_size=(32, 40)))
    with pytest.raises(ValueError, match=r"\(T, N, 4\) track with T=4, got shape \(3, 1, 4\)"):
        t(video[0], va.box_track(torch.zeros(3, 1, 4), format="XYXY", canvas_size=(16, 20)))
    with pytest.raises(TypeError, match="unrotated format"):
        t(video[0], tv_tensors.BoundingBoxes([[0.0, 0.0, 4.0, 4.0, 0.0]], format="XYWHR", canvas_size=(16, 20)))
    with pytest.raises(ValueError, match=r"box_track: expected a \(T, N, 4\) tensor"):
        va.box_track(torch.zeros(3, 4), format="XYXY", canvas_size=(16, 20))


def test_docs_example_runs():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "transforms.md").read_text()
    section = text[text.index("## Masks and boxes"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "docs/transforms.md", "exec"), namespace)
    assert namespace["video"].shape == (4, 8, 3, 112, 112) and namespace["masks"].shape == (4, 8, 112, 112)
    assert all(t["boxes"].canvas_size == (112, 112) for t in namespace["targets"])
