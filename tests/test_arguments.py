"""Every public transform, mix and RCGANAugment refuses non-finite and out-of-domain constructor arguments
with ValueError or TypeError naming the argument (issue 12, item 1): no hang at the first call
(``MixUp(alpha=inf)``), no silent wrong result (``RandomRotation(nan)`` filling the clip)."""

from __future__ import annotations

import pytest
import torch
from cases import BAD_ARGUMENTS, INF, NAN

import videoaug as va


def _id(case) -> str:
    ctor, _, bad = case
    name = getattr(ctor, "__name__", "ctor").replace("<lambda>", "RandomMix")
    return f"{name}-{'-'.join(f'{k}={v!r}' for k, v in bad.items())}"


@pytest.mark.parametrize("case", BAD_ARGUMENTS, ids=[_id(c) for c in BAD_ARGUMENTS])
def test_refused_at_construction(case):
    ctor, base, bad = case
    with pytest.raises((ValueError, TypeError)) as info:
        ctor(**{**base, **bad})
    message = str(info.value)
    assert any(k in message for k in bad), f"the message does not name {list(bad)}: {message}"


def test_mixup_alpha_inf_does_not_hang():
    with pytest.raises(ValueError, match="alpha"):
        va.MixUp(alpha=INF, num_classes=3)


def test_rotation_nan_is_refused_not_filled():
    with pytest.raises(ValueError, match="degrees"):
        va.RandomRotation(NAN)


@pytest.mark.parametrize("alpha", [1e-3, 1e3])
def test_extreme_but_finite_alpha_still_samples(alpha):
    videos, soft = va.MixUp(alpha=alpha, num_classes=3)(torch.rand(2, 2, 3, 4, 4), torch.tensor([0, 2]))
    assert torch.isfinite(videos).all() and torch.allclose(soft.sum(1), torch.ones(2))
