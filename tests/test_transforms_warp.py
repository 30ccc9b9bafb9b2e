"""RandomSmoothWarp and its kernel: the shared contract, the maths (pixel translations, control points, the affine
part against torchvision's affine, the RCGAN generator's own warp), drift over frames, padding, bad input."""

from __future__ import annotations

import pytest
import torch
from checks import check_kernel, check_rejects_bad_video, check_transform, make_video

import videoaug as va
import videoaug.functional as VF
import videoaug.transforms as T
from videoaug.functional._warp import smooth_warp_grid


# ----------------------------------------------------------------------------------------------------
# the shared contract
# ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("factory", [
    pytest.param(lambda: T.RandomSmoothWarp(), id="default"),
    pytest.param(lambda: T.RandomSmoothWarp(0.2, 0.1, 0.08, grid_size=(3, 5), padding_mode="reflection", p=0.6),
                 id="reflection-p"),
    pytest.param(lambda: T.RandomSmoothWarp(0.1, 0.0, 0.0, padding_mode="border"), id="translation-border"),
    pytest.param(lambda: T.RandomSmoothWarp(interpolation="nearest", fill=[0.1, 0.5, 1.0]), id="nearest-fill"),
])
def test_contract(factory, device):
    check_transform(factory(), device=device)


def test_contract_with_drift(device):
    # frames of a clip differ by design; everything else holds
    check_transform(T.RandomSmoothWarp(0.2, 0.05, 0.05, drift=0.7, padding_mode="reflection"), device=device,
                    frame_consistent=False)


def test_exported():
    assert va.RandomSmoothWarp is T.RandomSmoothWarp and "RandomSmoothWarp" in va.__all__
    assert VF.smooth_warp is not None


def _params(b=3, t=4, gh=4, gw=5, per_frame=False, scale=0.1, seed=0):
    g = torch.Generator().manual_seed(seed)
    lead = (b, t) if per_frame else (b,)
    return {"shift": scale * (2 * torch.rand(*lead, 2, generator=g) - 1),
            "affine": scale * (2 * torch.rand(*lead, 2, 2, generator=g) - 1),
            "warp": scale * (2 * torch.rand(*lead, 2, gh, gw, generator=g) - 1)}


@pytest.mark.parametrize("per_frame", [False, True])
@pytest.mark.parametrize(("dtype", "padding_mode"), [(torch.uint8, "zeros"), (torch.float32, "border"),
                                                     (torch.float64, "reflection")])
def test_kernel_contract(per_frame, dtype, padding_mode, device):
    x = make_video(B=3, T=4, H=12, W=15, dtype=dtype, device=device)
    params = {k: v.to(device) for k, v in _params(per_frame=per_frame).items()}
    check_kernel(VF.smooth_warp, x, {**params, "padding_mode": padding_mode})


# ----------------------------------------------------------------------------------------------------
# the maths
# ----------------------------------------------------------------------------------------------------
def test_zero_fields_are_the_identity():
    x = make_video(B=2, T=3, H=9, W=11, dtype=torch.float32)
    zeros = {"shift": torch.zeros(2, 2), "affine": torch.zeros(2, 2, 2), "warp": torch.zeros(2, 2, 4, 4)}
    assert torch.equal(VF.smooth_warp(x, **zeros), x)
    # and the grid itself samples every pixel at its centre (not only the short cut for zero fields)
    grid = smooth_warp_grid((9, 11), zeros["shift"], zeros["affine"], zeros["warp"])
    out = torch.nn.functional.grid_sample(x.reshape(2, 9, 9, 11), grid, align_corners=False)
    torch.testing.assert_close(out, x.reshape(2, 9, 9, 11), atol=1e-6, rtol=0)


@pytest.mark.parametrize(("kx", "ky"), [(3, 0), (-2, 1), (1, -4)])
def test_translation_by_whole_pixels_is_a_shift_of_the_image(kx, ky):
    h, w = 14, 18
    x = make_video(B=1, T=2, H=h, W=w, dtype=torch.float32)
    shift = torch.tensor([[2.0 * kx / w, 2.0 * ky / h]])  # normalised: one pixel is 2 / side
    out = VF.smooth_warp(x, shift)
    # out(y, x) = in(y + ky, x + kx): content moves by -shift, as the generator's fields do
    rolled = torch.roll(x, shifts=(-ky, -kx), dims=(-2, -1))
    ys = slice(max(0, -ky), h - max(0, ky))
    xs = slice(max(0, -kx), w - max(0, kx))
    torch.testing.assert_close(out[..., ys, xs], rolled[..., ys, xs], atol=1e-5, rtol=0)
    # what came from outside the frame is zero with padding "zeros"
    outside = torch.ones(h, w, dtype=torch.bool)
    outside[ys, xs] = False
    assert out[..., outside].abs().max() < 1e-5


@pytest.mark.parametrize(("padding_mode", "pad_mode"), [("border", "edge"), ("reflection", "symmetric")])
def test_padding_modes_fill_from_the_frame(padding_mode, pad_mode):
    # a whole-pixel translation with border / reflection padding equals padding the frame, then cropping
    h, w, kx, ky = 10, 12, 3, -2
    x = make_video(B=2, T=2, H=h, W=w, dtype=torch.float32)
    out = VF.smooth_warp(x, torch.tensor([[2.0 * kx / w, 2.0 * ky / h]]).expand(2, 2), padding_mode=padding_mode)
    padded = VF.pad(x, (0, 2, 3, 0), padding_mode=pad_mode)  # (left, top, right, bottom)
    torch.testing.assert_close(out, padded[..., 0:h, kx:kx + w], atol=1e-5, rtol=0)


def test_fill_is_exact_outside_and_leaves_the_inside_alone():
    x = make_video(B=1, T=1, H=8, W=10)
    out = VF.smooth_warp(x, torch.tensor([[2.0 * 3 / 10, 0.0]]), fill=[255, 0, 128])
    assert torch.equal(out[..., :7], x[..., 3:10])
    assert out[0, 0, 0, :, 7:].eq(255).all() and out[0, 0, 1, :, 7:].eq(0).all()
    assert out[0, 0, 2, :, 7:].eq(128).all()


def test_field_values_sit_at_the_cell_centres():
    # H = 3 gh: the centre of coarse cell i is pixel 3 i + 1; a control value of k pixels moves that pixel by k
    gh, gw, h, w = 4, 5, 12, 15
    g = torch.Generator().manual_seed(3)
    kx = torch.randint(-1, 2, (gh, gw), generator=g).float()
    ky = torch.randint(-1, 2, (gh, gw), generator=g).float()
    warp = torch.stack([2 * kx / w, 2 * ky / h])[None]  # (1, 2, gh, gw)
    grid = smooth_warp_grid((h, w), None, None, warp)
    base = smooth_warp_grid((h, w), torch.zeros(1, 2))
    rows, cols = torch.arange(gh) * 3 + 1, torch.arange(gw) * 3 + 1
    disp = (grid - base)[0][rows][:, cols]  # (gh, gw, 2)
    torch.testing.assert_close(disp, warp[0].permute(1, 2, 0), atol=1e-6, rtol=0)
    # between centres the field is interpolated, never larger than its largest control value
    assert (grid - base).abs().max() <= warp.abs().max() + 1e-6
    # and the image moves accordingly at the control points
    x = make_video(B=1, T=1, C=1, H=h, W=w, dtype=torch.float32)
    out = VF.smooth_warp(x, warp=warp, padding_mode="border")
    for i, r in enumerate(rows.tolist()):
        for j, c in enumerate(cols.tolist()):
            src_r = min(max(r + int(ky[i, j]), 0), h - 1)
            src_c = min(max(c + int(kx[i, j]), 0), w - 1)
            assert abs(float(out[0, 0, 0, r, c]) - float(x[0, 0, 0, src_r, src_c])) < 1e-5


def test_affine_part_matches_torchvision_affine_on_a_non_square_frame():
    # torchvision's inverse matrix (pixels, centre origin) in normalised units is S^-1 M S with S = diag(W/2, H/2)
    h, w = 14, 20
    x = make_video(B=3, T=2, H=h, W=w, dtype=torch.float32)
    angle, scale = torch.tensor([10.0, -25.0, 40.0]), torch.tensor([0.9, 1.1, 1.0])
    translate = torch.tensor([[2.0, -1.0], [0.0, 3.0], [-4.0, 0.0]])
    shear = torch.tensor([[5.0, 0.0], [0.0, -7.0], [3.0, 2.0]])
    m = VF.affine_inverse_matrix(angle, translate, scale, shear, torch.zeros(3, 2)).float()
    s = torch.tensor([w / 2, h / 2])
    lin = m[:, :, :2] * s.view(1, 1, 2) / s.view(1, 2, 1) - torch.eye(2)
    shift = m[:, :, 2] / s
    ours = VF.smooth_warp(x, shift, lin)
    ref = VF.affine(x, angle, translate, scale, shear, "bilinear", fill=None)
    torch.testing.assert_close(ours, ref, atol=1e-4, rtol=0)


def test_same_warp_as_the_rcgan_generator():
    from videoaug.gan.networks import Generator, GeneratorConfig

    gen = Generator(GeneratorConfig(channels=3, num_classes=2))
    b, t, h, w = 2, 3, 24, 32
    x = make_video(B=b, T=t, H=h, W=w, dtype=torch.float32)
    p = _params(b=b, t=t, gh=3, gw=4, per_frame=True, scale=0.2)
    zeros = torch.zeros(b * t, 3, 3, 4)
    for mode in ("zeros", "border", "reflection"):
        gen.config.padding_mode = mode
        ref = gen.apply_fields(x.reshape(b * t, 3, h, w), p["affine"].reshape(-1, 2, 2), p["shift"].reshape(-1, 2),
                               p["warp"].reshape(-1, 2, 3, 4), zeros, zeros).reshape(b, t, 3, h, w)
        ours = VF.smooth_warp(x, p["shift"], p["affine"], p["warp"], padding_mode=mode)
        torch.testing.assert_close(ours, ref, atol=1e-5, rtol=0)


def test_nearest_mode_warps_integer_masks_to_their_own_values():
    mask = torch.randint(0, 5, (2, 1, 1, 12, 12))
    p = _params(b=2, gh=3, gw=3, scale=0.2)
    out = VF.smooth_warp(mask, **p, interpolation="nearest", padding_mode="border")
    assert out.dtype == torch.int64 and set(out.unique().tolist()) <= set(mask.unique().tolist())
    # the same pixels move as in the image: a mask of pixel indices warps to the indices nearest sampling takes
    idx = torch.arange(144, dtype=torch.float32).view(1, 1, 1, 12, 12).expand(2, 1, 1, 12, 12)
    moved = VF.smooth_warp(idx, **p, interpolation="nearest", padding_mode="border").long()
    torch.testing.assert_close(out, mask.flatten(-2).gather(-1, moved.flatten(-2)).view_as(out))


# ----------------------------------------------------------------------------------------------------
# drawing
# ----------------------------------------------------------------------------------------------------
def test_draws_are_uniform_within_the_bounds_and_per_clip():
    t = T.RandomSmoothWarp(translate=(0.2, 0.05), affine=0.1, displacement=0.03, grid_size=(3, 6))
    t(torch.zeros(400, 1, 1, 8, 8))
    p = t.last_params
    assert p["shift"].shape == (400, 2) and p["affine"].shape == (400, 2, 2) and p["warp"].shape == (400, 2, 3, 6)
    for v, bound in ((p["shift"][:, 0], 0.2), (p["shift"][:, 1], 0.05), (p["affine"], 0.1), (p["warp"], 0.03)):
        assert v.abs().max() <= bound and v.abs().max() > 0.95 * bound
        assert abs(float(v.abs().mean()) - bound / 2) < 0.1 * bound  # uniform: mean |v| is half the bound
    assert len(set(p["shift"][:, 0].tolist())) == 400


def test_makeups_translation_only_and_field_only():
    x = make_video(B=6, T=2, H=16, W=16, dtype=torch.float32)
    trans = T.RandomSmoothWarp(translate=0.2, affine=0, displacement=0)
    out = trans(x)
    p = trans.last_params
    assert p["affine"].eq(0).all() and p["warp"].eq(0).all() and p["shift"].ne(0).all()
    torch.testing.assert_close(out, VF.smooth_warp(x, p["shift"]))
    field = T.RandomSmoothWarp(translate=0, affine=0, displacement=0.1)
    field(x)
    p = field.last_params
    assert p["shift"].eq(0).all() and p["affine"].eq(0).all() and p["warp"].ne(0).all()


def test_p_gives_identity_fields_to_the_clips_it_skips():
    t = T.RandomSmoothWarp(p=0.5, drift=0.5)
    x = make_video(B=64, T=3, H=8, W=8)
    out = t(x)
    p = t.last_params
    skipped = p["shift"].flatten(1).eq(0).all(1)
    assert 10 < int(skipped.sum()) < 54
    assert all(p[k][skipped].eq(0).all() for k in p)
    assert torch.equal(out[skipped], x[skipped]) and not torch.equal(out[~skipped], x[~skipped])


def test_no_drift_means_one_warp_per_clip():
    t = T.RandomSmoothWarp(0.2, 0.1, 0.05)
    static = make_video(B=3, T=5, H=12, W=12, static=True, dtype=torch.float32)
    out = t(static)
    assert t.last_params["shift"].shape == (3, 2)  # one set per clip
    assert torch.equal(out, out[:, :1].expand_as(out))


def test_drift_moves_the_warp_along_a_straight_path_over_the_frames():
    n_frames = 6
    t = T.RandomSmoothWarp(0.2, 0.1, 0.05, drift=1.0, generator=torch.Generator().manual_seed(0))
    static = make_video(B=4, T=n_frames, H=16, W=16, static=True, dtype=torch.float32)
    out = t(static)
    p = t.last_params
    # the first frame has the first draw; compare with a drift-free transform from the same seed
    first = T.RandomSmoothWarp(0.2, 0.1, 0.05, generator=torch.Generator().manual_seed(0))
    first(static)
    for k in ("shift", "affine", "warp"):
        v = p[k]
        assert v.shape[:2] == (4, n_frames)
        torch.testing.assert_close(v[:, 0], first.last_params[k])
        steps = v[:, 1:] - v[:, :-1]
        torch.testing.assert_close(steps, steps[:, :1].expand_as(steps), atol=1e-6, rtol=0)  # equal steps
        assert steps.abs().amax() > 0
    assert p["shift"].abs().max() <= 0.2 and p["warp"].abs().max() <= 0.05  # stays within the bounds
    # the picture changes smoothly: each step between frames is a fraction of the change over the clip
    frame_step = (out[:, 1:] - out[:, :-1]).abs().mean(dim=(2, 3, 4))
    whole = (out[:, -1] - out[:, 0]).abs().mean(dim=(1, 2, 3))
    assert (frame_step < 0.5 * whole[:, None]).all()
    # half the drift goes half the way
    half = T.RandomSmoothWarp(0.2, 0.1, 0.05, drift=0.5, generator=torch.Generator().manual_seed(0))
    half(static)
    torch.testing.assert_close(half.last_params["shift"][:, -1] - p["shift"][:, 0],
                               0.5 * (p["shift"][:, -1] - p["shift"][:, 0]))


def test_one_frame_clip_with_drift_gets_the_first_draw():
    t = T.RandomSmoothWarp(drift=1.0)
    out = t(make_video(B=2, T=1, H=8, W=8))
    assert out.shape == (2, 1, 3, 8, 8) and t.last_params["shift"].shape == (2, 1, 2)


def test_generator_makes_draws_reproducible():
    x = make_video(B=4, dtype=torch.float32)
    a = T.RandomSmoothWarp(generator=torch.Generator().manual_seed(5))(x)
    b = T.RandomSmoothWarp(generator=torch.Generator().manual_seed(5))(x)
    c = T.RandomSmoothWarp(generator=torch.Generator().manual_seed(6))(x)
    assert torch.equal(a, b) and not torch.equal(a, c)


# ----------------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------------
def test_bad_arguments():
    with pytest.raises(ValueError, match="translate"):
        T.RandomSmoothWarp(translate=-0.1)
    with pytest.raises(ValueError, match="translate"):
        T.RandomSmoothWarp(translate=(0.1, 0.2, 0.3))
    with pytest.raises(ValueError, match="affine"):
        T.RandomSmoothWarp(affine=float("nan"))
    with pytest.raises(ValueError, match="displacement"):
        T.RandomSmoothWarp(displacement="0.1")
    with pytest.raises(ValueError, match="grid_size"):
        T.RandomSmoothWarp(grid_size=0)
    with pytest.raises(ValueError, match="drift"):
        T.RandomSmoothWarp(drift=1.5)
    with pytest.raises(ValueError, match="padding_mode"):
        T.RandomSmoothWarp(padding_mode="wrap")
    with pytest.raises(ValueError, match="interpolation"):
        T.RandomSmoothWarp(interpolation="bicubic")
    with pytest.raises(TypeError, match="fill"):
        T.RandomSmoothWarp(fill="black")


def test_bad_input():
    check_rejects_bad_video(T.RandomSmoothWarp())


def test_kernel_names_wrong_field_shapes():
    x = make_video(B=2, T=3)
    with pytest.raises(ValueError, match=r"shift: expected \(B, 2\) per clip \(B=2\).*got shape \(3, 2\)"):
        VF.smooth_warp(x, torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"affine.*got shape \(2, 3, 3\)"):
        VF.smooth_warp(x, affine=torch.zeros(2, 3, 3))
    with pytest.raises(ValueError, match=r"warp.*T=3.*got shape \(2, 4, 2, 3, 3\)"):
        VF.smooth_warp(x, warp=torch.zeros(2, 4, 2, 3, 3))
    with pytest.raises(ValueError, match="padding_mode"):
        VF.smooth_warp(x, torch.zeros(2, 2), padding_mode="wrap")
    # replaying drifting parameters on a clip of another length names the mismatch
    t = T.RandomSmoothWarp(drift=0.5)
    t(make_video(B=2, T=4))
    with pytest.raises(ValueError, match="T=3"):
        t.replay(x, params=t.last_params)
