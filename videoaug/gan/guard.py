"""Divergence checks of the training loop: exploding or non-finite losses, gradients, weights and optimiser state.

A GAN that diverges (a learning rate far too high, say) does not necessarily produce NaN losses: its losses grow
to 1e13, its Adam second moments overflow to ``inf`` and its generator sits at its bounds, all while every loss
stays finite. These helpers let the loop stop such a run before a damaged state is checkpointed:

- :func:`loss_problem`: a loss that is NaN/inf or larger than a bound;
- :func:`gradient_problem`: non-finite gradients, checked before ``opt.step()``;
- :func:`state_problem`: non-finite parameters or optimiser state (``exp_avg``, ``exp_avg_sq``, ...), checked
  after it.

Each returns ``None`` when all is well, otherwise a short description for the error message. The checks take one
``torch._foreach_norm`` (max-abs, which cannot overflow) per tensor list and one host sync.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

__all__ = ["DivergenceError", "NonFiniteLossError", "gradient_problem", "loss_problem", "state_problem"]


class DivergenceError(RuntimeError):
    """Training diverged; the run stops and its last good checkpoint is kept."""


class NonFiniteLossError(DivergenceError):
    """A loss became NaN or infinite; the run stops and its last good checkpoint is kept."""


def _all_finite(tensors: list[torch.Tensor]) -> bool:
    if not tensors:
        return True
    maxima = torch._foreach_norm([t.detach() for t in tensors], float("inf"))
    return bool(torch.isfinite(torch.stack([m.float().to(maxima[0].device) for m in maxima])).all())


def _count_bad(tensors: Iterable[torch.Tensor]) -> int:
    return sum(int((~torch.isfinite(t.detach())).sum()) for t in tensors)


def loss_problem(name: str, value: torch.Tensor, max_loss: float) -> str | None:
    """``"g_loss = nan"`` / ``"g_loss = 1.2e+13 exceeds train.max_loss = 10000"``, or ``None``.

    Args:
        name: the loss's name in messages.
        value: a scalar loss tensor.
        max_loss: the largest acceptable absolute value; 0 checks finiteness only.
    """
    v = float(value.detach())
    if not math.isfinite(v):
        return f"{name} = {v}"
    if max_loss > 0 and abs(v) > max_loss:
        return f"{name} = {v:.3g} exceeds train.max_loss = {max_loss:g}"
    return None


def gradient_problem(params: dict[str, torch.nn.Parameter]) -> str | None:
    """Describe non-finite gradients among ``params`` (name -> parameter), or ``None``."""
    named = [(n, p.grad) for n, p in params.items() if p.grad is not None]
    if _all_finite([g for _, g in named]):
        return None
    bad = [(n, _count_bad([g])) for n, g in named]
    bad = [(n, c) for n, c in bad if c]
    total = sum(c for _, c in bad)
    names = ", ".join(n for n, _ in bad[:3]) + (", ..." if len(bad) > 3 else "")
    return f"{total} non-finite gradient values (in {names})"


def state_problem(opt_name: str, opt: torch.optim.Optimizer) -> str | None:
    """Describe non-finite parameters or optimiser state of ``opt``, or ``None``."""
    params = [p for group in opt.param_groups for p in group["params"]]
    state = [
        (key, v)
        for p in params
        for key, v in opt.state.get(p, {}).items()
        if key != "step" and torch.is_tensor(v) and v.is_floating_point() and v.numel() > 0
    ]
    if _all_finite(params + [v for _, v in state]):
        return None
    problems = []
    n_params = _count_bad(params)
    if n_params:
        problems.append(f"{n_params} non-finite weights")
    by_key: dict[str, int] = {}
    for key, v in state:
        by_key[key] = by_key.get(key, 0) + _count_bad([v])
    problems += [f"{c} non-finite values in its {k}" for k, c in by_key.items() if c]
    return f"{opt_name}: " + ", ".join(problems)
