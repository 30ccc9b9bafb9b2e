"""RCGANAugment on RGB video: the border rule (no black bands on natural frames), brightness kept, the
generator's padding override, and the shipped 1-channel checkpoint on a bright RGB scene."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from videoaug.gan.augment import GPUAugment, RCGANAugment, load_cached, resolve_checkpoint
from videoaug.gan.checkpoint import save_generator
from videoaug.gan.networks import Generator, GeneratorConfig


def _tiny(channels: int, padding_mode: str, seed: int = 0) -> Generator:
    """A tiny generator with randomised heads (not the identity), shifting by up to 0.3 of half the side."""
    torch.manual_seed(seed)
    g = Generator(GeneratorConfig(channels=channels, num_classes=10, resolution=(16, 16), width=4, hidden=8,
                                  embed_dim=4, z_dim=4, frame_noise_dim=2, padding_mode=padding_mode))
    with torch.no_grad():
        for layer in (g.affine_head, g.field_head[-1], g.film):
            layer.weight.normal_(0, 0.5)
            layer.bias.normal_(0, 0.2)
        g.affine_head.bias[4:6] = 3.0  # a shift near its bound: pixels come from outside the frame
    return g.eval()


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory):
    root = tmp_path_factory.mktemp("rcgan_rgb")
    info = {"num_frames": 4, "steps": 0, "command": "tests/test_gan_augment_rgb.py", "data": {"kind": "none"}}
    return {(c, mode): save_generator(root / f"c{c}_{mode}", _tiny(c, mode, seed=c), info)
            for c in (1, 3) for mode in ("zeros", "border")}


def _scene(b: int = 2, t: int = 8, h: int = 64, w: int = 64, seed: int = 0) -> torch.Tensor:
    """A bright, textured RGB scene panning to the right: float ``(B, T, 3, H, W)`` in [0.35, 0.95]."""
    g = torch.Generator().manual_seed(seed)
    phase = 2 * math.pi * torch.rand(b, 1, 3, 1, 1, generator=g)
    freq = 2 + 4 * torch.rand(b, 1, 3, 1, 1, generator=g)
    ys = torch.linspace(0, 1, h).view(1, 1, 1, h, 1)
    xs = torch.linspace(0, 1, w).view(1, 1, 1, 1, w) + torch.arange(t).view(1, t, 1, 1, 1) * 0.02
    texture = torch.sin(freq * 2 * math.pi * xs + phase) * torch.cos(freq * math.pi * ys + 2 * phase)
    return 0.65 + 0.3 * texture


def _black_from_bright(out: torch.Tensor, inp: torch.Tensor) -> float:
    """Fraction of pixels that are black (every channel < 0.05) in ``out`` where ``inp`` was not."""
    return float(((out.amax(2) < 0.05) & (inp.amax(2) >= 0.05)).float().mean())


def test_border_rule(ckpts):
    grey_zeros = RCGANAugment(ckpts[1, "zeros"])
    assert grey_zeros.padding_for(1) == "zeros" and grey_zeros.padding_for(3) == "reflection"
    assert not grey_zeros.keeps_brightness_for(1) and grey_zeros.keeps_brightness_for(3)
    rgb_zeros = RCGANAugment(ckpts[3, "zeros"])
    assert rgb_zeros.padding_for(3) == "reflection" and rgb_zeros.padding_for(1) == "reflection"
    assert not rgb_zeros.keeps_brightness_for(3) and rgb_zeros.keeps_brightness_for(1)
    for c in (1, 3):  # a checkpoint trained with border padding keeps it
        assert RCGANAugment(ckpts[c, "border"]).padding_for(1) == "border"
        assert RCGANAugment(ckpts[c, "border"]).padding_for(3) == "border"
    forced = RCGANAugment(ckpts[1, "zeros"], padding_mode="border", keep_brightness=False)
    assert forced.padding_for(3) == "border" and not forced.keeps_brightness_for(3)
    assert "padding_mode=None" in repr(grey_zeros)


@pytest.mark.parametrize("c", [1, 3])
def test_rgb_clip_gets_no_black_bands_and_keeps_its_brightness(ckpts, c):
    clips = _scene()
    aug = RCGANAugment(ckpts[c, "zeros"], p=1.0)
    out = aug(clips)
    assert not torch.allclose(out, clips, atol=1e-2)  # it did warp
    assert _black_from_bright(out, clips) == 0.0
    if c == 1:  # out of the checkpoint's domain: the brightness fields are re-centred
        assert (out.mean((1, 2, 3, 4)) - clips.mean((1, 2, 3, 4))).abs().max() < 0.02
    # the checkpoint's own zeros padding makes the black bands this rule removes
    zeros = RCGANAugment(ckpts[c, "zeros"], p=1.0, padding_mode="zeros")
    assert _black_from_bright(zeros.replay(clips, params=aug.last_params), clips) > 0.05


def test_recentred_brightness_is_a_frame_wide_offset_of_the_gain(ckpts):
    # on a flat frame with border padding the warp changes nothing: only the brightness fields act
    flat = torch.full((2, 4, 3, 32, 32), 0.6)
    keep = RCGANAugment(ckpts[1, "zeros"], p=1.0, padding_mode="border")(flat)
    assert (keep.mean((2, 3, 4)) - 0.6).abs().max() < 2e-3
    raw = RCGANAugment(ckpts[1, "zeros"], p=1.0, padding_mode="border", keep_brightness=False)(flat)
    assert (raw.mean((2, 3, 4)) - 0.6).abs().max() > 0.01  # the tiny generator's gain does move the mean
    assert (keep - 0.6).abs().max() > 1e-3  # and the local variation stays


def test_apply_fields_padding_override_leaves_the_config_alone():
    g = _tiny(3, "zeros")
    x = _scene(b=1, t=2).reshape(2, 3, 64, 64)
    lin, shift = torch.zeros(2, 2, 2), torch.tensor([[0.4, 0.0], [-0.3, 0.2]])
    warp, gain = torch.zeros(2, 2, 8, 8), torch.zeros(2, 3, 8, 8)
    out = g.apply_fields(x, lin, shift, warp, gain, gain, padding_mode="reflection")
    assert g.config.padding_mode == "zeros"
    ref = _tiny(3, "reflection").apply_fields(x, lin, shift, warp, gain, gain)
    torch.testing.assert_close(out, ref)
    assert not torch.allclose(out, g.apply_fields(x, lin, shift, warp, gain, gain))


def test_gpu_augment_passes_the_rule_on(ckpts):
    gpu = GPUAugment(ckpts[1, "zeros"], p=1.0, device="cpu", padding_mode="border", keep_brightness=False)
    assert gpu.augment.padding_for(3) == "border" and not gpu.augment.keeps_brightness_for(3)


def test_bad_arguments(ckpts):
    with pytest.raises(ValueError, match="padding_mode: expected one of"):
        RCGANAugment(ckpts[1, "zeros"], padding_mode="wrap")
    with pytest.raises(ValueError, match="keep_brightness"):
        RCGANAugment(ckpts[1, "zeros"], keep_brightness="yes")


def _shipped() -> Path | None:
    try:
        return resolve_checkpoint("moving_mnist")
    except FileNotFoundError:
        return None


@pytest.mark.skipif(_shipped() is None, reason="the shipped moving_mnist checkpoint is not present")
def test_shipped_checkpoint_on_a_bright_rgb_scene():
    # the finding: 10-14 px shifts padded with zeros gave 18-20 % black pixels and a 25 % darker frame
    clips = _scene(b=2, t=8, h=112, w=112, seed=3)
    aug = RCGANAugment("moving_mnist", p=1.0, generator=torch.Generator().manual_seed(0))
    out = aug(clips)
    model, _ = load_cached(aug.checkpoint, torch.device("cpu"))
    assert model.config.channels == 1 and model.config.padding_mode == "zeros"
    assert _black_from_bright(out, clips) < 1e-3
    assert (out.mean((1, 2, 3, 4)) - clips.mean((1, 2, 3, 4))).abs().max() < 0.02
    old = RCGANAugment("moving_mnist", p=1.0, padding_mode="zeros", keep_brightness=False)
    before = old.replay(clips, params=aug.last_params)
    assert _black_from_bright(before, clips) > 0.05
    assert float(clips.mean() - before.mean()) > 0.05
