import math

import pytest
import torch
from torch import nn

from videoaug.gan import losses as L


def test_adversarial_losses_known_values():
    zero = torch.zeros(5)
    assert torch.allclose(L.d_adversarial_loss(zero, zero), torch.tensor(2 * math.log(2)))
    assert torch.allclose(L.g_adversarial_loss(zero), torch.tensor(math.log(2)))
    # a confident, correct discriminator has a small loss; the generator then a large one
    assert L.d_adversarial_loss(torch.full((4,), 10.0), torch.full((4,), -10.0)) < 1e-3
    assert L.g_adversarial_loss(torch.full((4,), -10.0)) > 9.9


class _ConstantD(nn.Module):
    def __init__(self):
        super().__init__()
        self.b = nn.Parameter(torch.tensor(0.3))

    def forward(self, x):
        return self.b + 0 * x.flatten(1).sum(1)


def test_r1_zero_for_discriminator_constant_in_its_input():
    x = torch.rand(3, 2, 1, 8, 8, requires_grad=True)
    assert L.r1_penalty(_ConstantD()(x), x).item() == 0.0


def test_r1_of_linear_discriminator_is_squared_weight_norm():
    w = torch.randn(1, 2, 1, 8, 8, requires_grad=True)
    x = torch.rand(3, 2, 1, 8, 8, requires_grad=True)
    y = torch.rand(3, 4, requires_grad=True)
    logits = (x * w).flatten(1).sum(1) + 2 * y.sum(1)
    r1 = L.r1_penalty(logits, [x, y])
    assert torch.allclose(r1, w.detach().pow(2).sum() + 4 * 4, rtol=1e-5)
    r1.backward()  # differentiable (create_graph)


def test_temporal_consistency_zero_for_static_clips_and_penalises_flicker(make_video):
    static = make_video(B=2, T=5, C=1, H=8, W=8, dtype=torch.float32, static=True)
    assert L.temporal_consistency_loss(static, static).item() == 0.0
    flicker = static.clone()
    flicker[:, 1::2] = (flicker[:, 1::2] + 0.3).clamp(0, 1)
    assert L.temporal_consistency_loss(flicker, static) > 0.1
    moving = make_video(B=2, T=5, C=1, H=8, W=8, dtype=torch.float32)
    assert L.temporal_consistency_loss(moving, moving).item() == 0.0
    assert (
        L.temporal_consistency_loss(static[:, :1], static[:, :1]).item() == 0.0
    )  # one frame: nothing to compare


def _fields(B=2, T=5, const=True):
    g = torch.Generator().manual_seed(0)
    f = {
        "affine": torch.randn(B, 1, 2, 2, generator=g).expand(B, T, 2, 2),
        "shift": torch.randn(B, 1, 2, generator=g).expand(B, T, 2),
        "warp": torch.randn(B, 1, 2, 4, 4, generator=g).expand(B, T, 2, 4, 4),
        "gain": torch.randn(B, 1, 1, 4, 4, generator=g).expand(B, T, 1, 4, 4),
        "bias": torch.randn(B, 1, 1, 4, 4, generator=g).expand(B, T, 1, 4, 4),
    }
    if not const:
        f = {k: v + 0.1 * torch.randn(v.shape, generator=g) for k, v in f.items()}
    return f


def test_field_smoothness():
    assert L.field_smoothness_loss(_fields()).item() == 0.0
    f = _fields()
    t = torch.arange(5.0).view(1, 5, 1)
    f["shift"] = f["shift"] + 0.05 * t  # constant velocity: free
    assert L.field_smoothness_loss(f).item() == pytest.approx(0.0, abs=1e-10)
    assert L.field_smoothness_loss(_fields(const=False)) > 0.5


def test_pingpong():
    x = torch.rand(2, 6, 1, 8, 8)
    per_frame = x.sqrt()  # a generator that treats frames alike in both time directions
    assert L.pingpong_loss(per_frame, x.flip(1).sqrt()).item() == 0.0
    assert L.pingpong_loss(per_frame, x.sqrt()) > 0.01  # not flipped back: mismatch


def test_aux_loss_falls_when_the_head_is_right_and_ignores_unlabelled():
    labels = torch.tensor([0, 2, 1, -1])
    right = torch.full((4, 3), -5.0)
    right[torch.arange(3), labels[:3]] = 5.0
    wrong = right.roll(1, dims=1)
    assert L.aux_classification_loss(right, labels) < 0.01 < L.aux_classification_loss(wrong, labels)
    # the unlabelled row does not count, whatever its logits
    other = right.clone()
    other[3] = torch.tensor([100.0, -100.0, 0.0])
    assert torch.allclose(L.aux_classification_loss(other, labels), L.aux_classification_loss(right, labels))
    none = torch.full((4,), -1)
    assert L.aux_classification_loss(right, none).item() == 0.0
    # and a trained head lowers it
    head = nn.Linear(3, 3)
    feats = torch.eye(3)[labels[:3]]
    opt = torch.optim.SGD(head.parameters(), lr=1.0)
    first = None
    for _ in range(20):
        loss = L.aux_classification_loss(head(feats), labels[:3])
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first


def test_diversity_rewards_different_outputs():
    z1, z2 = torch.randn(3, 8), torch.randn(3, 8)
    out = torch.rand(3, 4, 1, 8, 8)
    same = L.diversity_loss(out, out, z1, z2, eps=1e-2)
    assert same.item() == pytest.approx(100.0)  # 1 / eps
    near = L.diversity_loss(out, out + 0.01, z1, z2)
    far = L.diversity_loss(out, (out + 0.3).clamp(0, 1), z1, z2)
    assert far < near < same
    # tuples of noise tensors are flattened together
    t = L.diversity_loss(out, out + 0.1, (z1, z1[:, :2]), (z2, z2[:, :2]))
    assert torch.isfinite(t)


def test_field_magnitude_penalty():
    zero = {k: torch.zeros_like(v) for k, v in _fields().items()}
    assert L.field_magnitude_penalty(zero).item() == 0.0
    f = dict(zero)
    f["shift"] = torch.ones_like(zero["shift"])
    g = dict(zero)
    g["warp"] = torch.ones_like(zero["warp"])
    # a translation costs less than a deformation of the same size
    assert 0 < L.field_magnitude_penalty(f) < L.field_magnitude_penalty(g)
