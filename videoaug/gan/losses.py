"""RCGAN losses and regularisers, one function each, on plain tensors.

The trainer (``train.py``) runs the networks and weights these terms with the values of the ``[loss]`` section
of its config. Every function returns a scalar tensor that is differentiable in its inputs.

References: non-saturating loss (Goodfellow et al., 2014); R1 penalty (Mescheder et al., "Which Training
Methods for GANs do actually Converge?", 2018) applied lazily (Karras et al., StyleGAN2, 2020); auxiliary
classifier (Odena et al., AC-GAN, 2017); mode seeking (Mao et al., "Mode Seeking Generative Adversarial
Networks for Diverse Image Synthesis", 2019); ping-pong temporal check (Chu et al., TecoGAN, 2020).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

__all__ = [
    "d_adversarial_loss",
    "g_adversarial_loss",
    "r1_penalty",
    "temporal_consistency_loss",
    "field_smoothness_loss",
    "pingpong_loss",
    "aux_classification_loss",
    "diversity_loss",
    "field_magnitude_penalty",
]


def d_adversarial_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating discriminator loss ``softplus(-D(real)) + softplus(D(fake))``, averaged.

    Args:
        real_logits: ``(N,)`` logits on real pairs.
        fake_logits: ``(M,)`` logits on generated pairs.
    """
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def g_adversarial_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss ``softplus(-D(fake))``, averaged.

    Args:
        fake_logits: ``(M,)`` logits of the discriminator on generated pairs.
    """
    return F.softplus(-fake_logits).mean()


def r1_penalty(real_logits: torch.Tensor, inputs: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
    """R1 gradient penalty: mean over samples of ``||d D(real) / d real||^2``.

    The trainer multiplies it by ``gamma / 2`` and, being lazy, by the interval at which it is applied.
    It is zero for a discriminator whose output does not depend on its input.

    Args:
        real_logits: ``(N,)`` logits computed from ``inputs`` (which must require grad).
        inputs: the real input tensor(s) with leading dimension ``N``.
    """
    inputs = [inputs] if isinstance(inputs, torch.Tensor) else list(inputs)
    grads = torch.autograd.grad(real_logits.sum(), inputs, create_graph=True, allow_unused=True)
    total = real_logits.new_zeros(real_logits.shape[0])
    for g in grads:
        if g is not None:
            total = total + g.float().pow(2).flatten(1).sum(1)
    return total.mean()


def _frame_diff_stats(video: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    d = (video[:, 1:] - video[:, :-1]).abs().flatten(2)  # (B, T-1, CHW)
    return d.mean(dim=(1, 2)), d.mean(dim=2).std(dim=1, unbiased=False)


def temporal_consistency_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Frame-difference statistics of generated clips close to those of the real clips they came from.

    For each clip, the mean absolute difference between consecutive frames and its spread over time are
    compared with the same two figures of the real clip; the loss is the mean squared gap (scaled by 100,
    since these figures are small). Flicker raises the mean, a frozen output lowers it. Zero when both clips
    are static.

    Args:
        fake: ``(B, T, C, H, W)`` float generated clips.
        real: ``(B, T, C, H, W)`` float real clips (the anchors), ``T >= 2``.
    """
    if fake.shape[1] < 2:
        return fake.new_zeros(())
    fm, fs = _frame_diff_stats(fake)
    rm, rs = _frame_diff_stats(real)
    return 100.0 * ((fm - rm).pow(2) + (fs - rs).pow(2)).mean()


def field_smoothness_loss(fields: dict[str, torch.Tensor]) -> torch.Tensor:
    """Smoothness of the generator's fields over time.

    Affine parameters and translation: squared second differences over time (constant velocity is free, a
    jerk is not). Residual warp, gain and bias: squared first differences (a field that changes from frame
    to frame flickers). Zero for fields constant over time.

    Args:
        fields: dict from ``Generator(..., return_fields=True)`` with tensors of leading shape ``(B, T)``.
    """
    total = None
    for key, value in fields.items():
        if value.shape[1] < 2:
            continue
        if key in ("affine", "shift"):
            if value.shape[1] < 3:
                continue
            d = value[:, 2:] - 2 * value[:, 1:-1] + value[:, :-2]
        else:
            d = value[:, 1:] - value[:, :-1]
        term = d.pow(2).mean()
        total = term if total is None else total + term
    if total is None:
        return next(iter(fields.values())).new_zeros(())
    return 100.0 * total


def pingpong_loss(forward_out: torch.Tensor, reversed_out: torch.Tensor) -> torch.Tensor:
    """Ping-pong check (TecoGAN): the output on the time-reversed clip, reversed back, should match.

    Args:
        forward_out: ``G(x, noise)`` ``(B, T, C, H, W)``.
        reversed_out: ``G(flip_T(x), flip_T(noise))``; it is flipped back here before the comparison.

    Returns:
        Mean absolute difference; zero when the generator treats both time directions alike.
    """
    return (forward_out - reversed_out.flip(1)).abs().mean()


def aux_classification_loss(class_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Auxiliary classification (AC-GAN): cross entropy of the discriminator's class head.

    Args:
        class_logits: ``(N, K)``.
        labels: ``(N,)`` long, ``-1`` for unlabelled samples, which are ignored.

    Returns:
        Mean cross entropy over labelled samples; zero when none is labelled.
    """
    labelled = labels >= 0
    if not bool(labelled.any()):
        return class_logits.sum() * 0.0
    return F.cross_entropy(class_logits[labelled].float(), labels[labelled])


def diversity_loss(
    out1: torch.Tensor,
    out2: torch.Tensor,
    noise1: torch.Tensor | Sequence[torch.Tensor],
    noise2: torch.Tensor | Sequence[torch.Tensor],
    eps: float = 1e-2,
) -> torch.Tensor:
    """Mode-seeking term: two noise draws on the same input should give different outputs.

    Per sample, ``ratio = mean|out1 - out2| / mean|noise1 - noise2|``; the loss is ``1 / (ratio + eps)``
    averaged, so it falls as the outputs move apart (Mao et al., 2019).

    Args:
        out1, out2: ``(B, ...)`` outputs for the same inputs under two noise draws.
        noise1, noise2: the noise tensors (or tuples of them, e.g. ``(z, frame_noise)``) with leading ``B``.
        eps: keeps the loss finite and its gradient moderate when the outputs coincide (an untrained,
            identity generator); Mao et al. use 1e-5 on images that differ from the start.
    """

    def flat(n):
        parts = [n] if isinstance(n, torch.Tensor) else list(n)
        return torch.cat([p.flatten(1) for p in parts], dim=1)

    out_dist = (out1 - out2).abs().flatten(1).mean(1)
    noise_dist = (flat(noise1) - flat(noise2)).abs().mean(1)
    return (1.0 / (out_dist / noise_dist.clamp_min(1e-8) + eps)).mean()


def field_magnitude_penalty(fields: dict[str, torch.Tensor], shift_weight: float = 0.1) -> torch.Tensor:
    """Keeps the warp small so the content and its class are preserved: mean squared field values.

    The affine deviation, residual warp, gain and bias count fully; the global translation with
    ``shift_weight`` (moving the whole frame keeps the class, deforming it may not).

    Args:
        fields: dict from ``Generator(..., return_fields=True)``.
        shift_weight: weight of the translation term.
    """
    total = None
    for key, value in fields.items():
        term = value.pow(2).mean() * (shift_weight if key == "shift" else 1.0)
        total = term if total is None else total + term
    return 100.0 * total if total is not None else torch.zeros(())
