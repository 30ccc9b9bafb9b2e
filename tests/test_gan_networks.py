import pytest
import torch
from torch import nn

from videoaug.gan.networks import (
    ClipDiscriminator,
    FrameDiscriminator,
    Generator,
    GeneratorConfig,
    count_parameters,
)

SMALL = dict(width=4, hidden=8, embed_dim=4, z_dim=6, frame_noise_dim=3, resolution=(16, 16))


def _randomised(gen: Generator, std: float = 0.3) -> Generator:
    """The zero-initialised heads make a fresh generator the identity; give every weight a value."""
    torch.manual_seed(1)
    with torch.no_grad():
        for p in gen.parameters():
            p.normal_(0, std)
    return gen


@pytest.mark.parametrize("shape", [(2, 3, 1, 16, 16), (1, 4, 1, 37, 51), (3, 2, 1, 64, 40)])
@pytest.mark.parametrize("labels", [None, "tensor", 2])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_generator_shape_dtype_any_size(shape, labels, dtype, make_video):
    g = _randomised(Generator(GeneratorConfig(channels=1, num_classes=5, **SMALL)))
    B, T, C, H, W = shape
    x = make_video(B=B, T=T, C=C, H=H, W=W, dtype=dtype)
    lab = torch.arange(B) % 5 - (1 if B > 1 else 0) if labels == "tensor" else labels
    y = g(x, lab)
    assert y.shape == x.shape and y.dtype == dtype
    if dtype == torch.float32:
        assert y.min() >= 0 and y.max() <= 1
    assert not torch.equal(y, x)  # a randomised generator changes the clip


@pytest.mark.parametrize("core, module", [("gru", nn.GRU), ("lstm", nn.LSTM)])
def test_recurrent_core_choice(core, module, make_video):
    g = Generator(channels=1, num_classes=3, core=core, **SMALL)
    assert isinstance(g.rnn, module) and g.rnn.bidirectional
    x = make_video(B=2, T=4, C=1, H=16, W=16, dtype=torch.float32)
    assert torch.allclose(g(x, torch.tensor([0, -1])), x, atol=1e-5)  # untrained: the identity, either core
    _randomised(g)
    y = g(x, torch.tensor([0, 2]))
    y.sum().backward()
    assert g.rnn.weight_ih_l0.grad is not None and g.rnn.weight_ih_l0.grad.abs().sum() > 0
    # the core sees the whole clip in both directions: changing the last frame changes the first output frame
    x2 = x.clone()
    x2[:, -1] = 1 - x2[:, -1]
    n = g.sample_noise(2, 4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert not torch.allclose(g(x, torch.tensor([0, 2]), n)[:, 0], g(x2, torch.tensor([0, 2]), n)[:, 0])


def test_unknown_core_is_refused():
    with pytest.raises(ValueError, match="core must be one of 'gru', 'lstm', got 'transformer'"):
        Generator(channels=1, num_classes=3, core="transformer", **SMALL)


def test_clip_input_and_rgb():
    g = _randomised(Generator(channels=3, num_classes=2, **SMALL))
    clip = torch.rand(3, 3, 20, 24)
    y = g(clip, 1)
    assert y.shape == clip.shape


def test_untrained_generator_is_identity_and_strength_zero_is_identity(make_video):
    x = make_video(B=2, T=3, C=1, H=16, W=16, dtype=torch.float32)
    g = Generator(channels=1, num_classes=3, **SMALL)
    assert torch.allclose(g(x), x, atol=1e-5)
    _randomised(g)
    assert torch.allclose(g(x, strength=0.0), x, atol=1e-5)
    assert not torch.allclose(g(x, strength=1.0), x, atol=1e-3)
    xu = make_video(B=2, T=3, C=1, H=16, W=16)
    assert torch.equal(g(xu, strength=0.0), xu)


def test_noise_controls_the_output(make_video):
    g = _randomised(Generator(channels=1, num_classes=3, **SMALL))
    x = make_video(B=2, T=3, C=1, H=16, W=16, dtype=torch.float32)
    n1 = g.sample_noise(2, 3, generator=torch.Generator().manual_seed(0))
    n2 = g.sample_noise(2, 3, generator=torch.Generator().manual_seed(1))
    assert torch.equal(g(x, noise=n1), g(x, noise=n1))
    assert not torch.allclose(g(x, noise=n1), g(x, noise=n2))
    # the generator argument makes the draw reproducible
    a = g(x, generator=torch.Generator().manual_seed(5))
    b = g(x, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b)
    # a z alone: the per-frame noise is drawn
    assert g(x, noise=n1[0]).shape == x.shape
    # labels change the output (class embedding)
    assert not torch.allclose(g(x, 0, noise=n1), g(x, 1, noise=n1))
    assert not torch.allclose(g(x, None, noise=n1), g(x, 1, noise=n1))


def test_fields_are_bounded_and_returned(make_video):
    cfg = GeneratorConfig(channels=1, num_classes=3, **SMALL)
    g = _randomised(Generator(cfg), std=3.0)
    x = make_video(B=2, T=3, C=1, H=16, W=16, dtype=torch.float32)
    y, f = g(x, return_fields=True)
    assert set(f) == {"affine", "shift", "warp", "gain", "bias"}
    assert f["affine"].shape == (2, 3, 2, 2) and f["shift"].shape == (2, 3, 2)
    assert f["warp"].shape[:3] == (2, 3, 2) and f["gain"].shape[:3] == (2, 3, 1)
    assert f["affine"].abs().max() <= cfg.max_affine + 1e-6
    assert f["shift"].abs().max() <= cfg.max_shift + 1e-6
    assert f["warp"].abs().max() <= cfg.max_warp + 1e-6
    assert f["gain"].abs().max() <= cfg.max_gain + 1e-6
    assert f["bias"].abs().max() <= cfg.max_bias + 1e-6


def test_apply_fields_translation_moves_pixels():
    g = Generator(channels=1, num_classes=2, **SMALL)
    H, W = 8, 10
    frames = torch.zeros(1, 1, H, W)
    frames[0, 0, 3, 4] = 1.0
    zeros = dict(
        lin=torch.zeros(1, 2, 2),
        warp=torch.zeros(1, 2, 2, 2),
        gain=torch.zeros(1, 1, 2, 2),
        bias=torch.zeros(1, 1, 2, 2),
    )
    # output(x) = input(x + shift): a shift of +2 px in x (normalised 2 * 2 / W) moves content 2 px left
    out = g.apply_fields(frames, shift=torch.tensor([[4.0 / W, 0.0]]), **zeros)
    assert out[0, 0, 3, 2] == pytest.approx(1.0, abs=1e-5)
    out = g.apply_fields(frames, shift=torch.tensor([[0.0, -2.0 / H]]), **zeros)  # -1 px in y: down 1
    assert out[0, 0, 4, 4] == pytest.approx(1.0, abs=1e-5)
    gain = dict(zeros, gain=torch.full((1, 1, 2, 2), -0.5))
    out = g.apply_fields(frames, shift=torch.zeros(1, 2), **gain)
    assert out[0, 0, 3, 4] == pytest.approx(0.5, abs=1e-5)
    # strength scales the fields
    out = g.apply_fields(frames, shift=torch.tensor([[4.0 / W, 0.0]]), strength=0.5, **zeros)
    assert out[0, 0, 3, 3] == pytest.approx(1.0, abs=1e-5)


def test_resolution_free_fields_agree_across_sizes():
    g = _randomised(Generator(channels=1, num_classes=2, **SMALL), std=0.2)
    x = torch.zeros(1, 2, 1, 16, 16)
    x[..., 4:12, 6:10] = 1.0
    big = torch.nn.functional.interpolate(x[0], size=(64, 64), mode="nearest")[None]
    n = g.sample_noise(1, 2, generator=torch.Generator().manual_seed(0))
    y_small = g(x, noise=n)
    y_big = g(big, noise=n)
    down = torch.nn.functional.avg_pool2d(y_big[0], 4)[None]
    assert (down - y_small).abs().mean() < 0.05  # the same warp, seen at two resolutions


def test_generator_bad_inputs():
    g = Generator(channels=1, num_classes=3, **SMALL)
    x = torch.rand(2, 3, 1, 16, 16)
    with pytest.raises(ValueError, match="labels"):
        g(x, torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="labels"):
        g(x, torch.tensor([0, -2]))
    with pytest.raises(ValueError, match="labels"):
        g(x, torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="C=1"):
        g(torch.rand(2, 3, 3, 16, 16))
    with pytest.raises(ValueError, match="noise"):
        g(x, noise=(torch.zeros(2, 5), torch.zeros(2, 3, 3)))
    with pytest.raises(ValueError, match="expected a batch"):
        g(torch.rand(16, 16))
    with pytest.raises(ValueError, match="channels"):
        Generator(channels=2)


def test_generator_gradients_reach_every_parameter():
    g = _randomised(Generator(channels=1, num_classes=3, **SMALL), std=0.2)
    x = torch.rand(2, 3, 1, 16, 16)
    y = g(x, torch.tensor([1, -1]))
    y.square().mean().backward()
    missing = [n for n, p in g.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    # the embedding rows of unused classes get no gradient; everything else must
    assert missing == [] or missing == ["embed.weight"], missing


@pytest.mark.parametrize("cls", [FrameDiscriminator, ClipDiscriminator])
def test_discriminators_shapes_and_pair_sensitivity(cls):
    d = cls(channels=1, num_classes=4, width=4)
    if cls is FrameDiscriminator:
        a, c = torch.rand(6, 1, 32, 24), torch.rand(6, 1, 32, 24)
    else:
        a, c = torch.rand(2, 5, 1, 32, 24), torch.rand(2, 5, 1, 32, 24)
    logit, cls_logits = d(a, c)
    assert logit.shape == (a.shape[0],) and cls_logits.shape == (a.shape[0], 4)
    # the pair input: swapping the candidate for the anchor changes the verdict
    assert not torch.allclose(d(a, a)[0], logit)
    with pytest.raises(ValueError, match="same shape"):
        d(a, c[:1])
    assert count_parameters(d) > 0
    assert isinstance(d, nn.Module)


def test_trajectory_head_adds_a_linear_bounded_drift_that_follows_the_noise(make_video):
    cfg = GeneratorConfig(channels=1, num_classes=3, max_drift=0.5, **SMALL)
    fresh = Generator(cfg)
    x = make_video(B=2, T=5, C=1, H=16, W=16, dtype=torch.float32)
    assert torch.allclose(fresh(x), x, atol=1e-5)  # zero-initialised like the other heads: the identity
    assert Generator(GeneratorConfig(channels=1, num_classes=3, **SMALL)).drift_head is None  # off by default
    g = _randomised(Generator(cfg), std=3.0)
    with torch.no_grad():  # silence the per-frame translation: what is left of the shift is the trajectory
        g.affine_head.weight[4:].zero_()
        g.affine_head.bias[4:].zero_()
    n1, n2 = g.sample_noise(2, 5, generator=torch.Generator().manual_seed(0)), g.sample_noise(
        2, 5, generator=torch.Generator().manual_seed(1))
    s1 = g(x, noise=n1, return_fields=True)[1]["shift"]
    s2 = g(x, noise=n2, return_fields=True)[1]["shift"]
    steps = s1[:, 1:] - s1[:, :-1]
    assert torch.allclose(steps, steps[:, :1].expand_as(steps), atol=1e-6)  # constant velocity over the clip
    assert torch.allclose(s1.mean(dim=1), torch.zeros(2, 2), atol=1e-6)  # centred: the drift adds no offset
    change = s1[:, -1] - s1[:, 0]
    assert change.abs().max() <= cfg.max_drift + 1e-6 and change.abs().max() > 0.05
    assert not torch.allclose(s1, s2, atol=1e-3)  # another z, another motion
    # with the per-frame translation on, the total stays within both bounds
    s = _randomised(Generator(cfg), std=3.0)(x, return_fields=True)[1]["shift"]
    assert s.abs().max() <= cfg.max_shift + cfg.max_drift / 2 + 1e-6
