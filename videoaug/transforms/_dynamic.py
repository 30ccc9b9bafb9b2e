"""Time-varying parameters: DynaAugment's Fourier sampling of smooth curves over a clip's frames.

Kim et al., "Exploring Temporally Dynamic Data Augmentation for Video Recognition" (ICLR 2023,
https://arxiv.org/abs/2206.15015) vary an augmentation's magnitude smoothly over the frames of a clip, as a
camera that pans, zooms or changes exposure does, instead of holding it fixed. Their Fourier sampling draws the
curve as a weighted sum of a few sinusoids with random frequencies and phases. Here, with ``dynamic=True``:

- each clip draws, for each parameter (each element of it: the two coordinates of a translation get two
  curves), ``s(t) = sum_c w_c sin(2 pi f_c t / (T - 1) + phi_c)`` over its frames ``t = 0..T-1``, with
  :data:`COMPONENTS` sinusoids, weights ``w`` uniform then normalised to sum 1 (so ``|s| <= 1``), frequencies
  ``f`` uniform in ``[0, MAX_FREQUENCY]`` cycles per clip and phases uniform in ``[0, 2 pi)``;
- the parameter drawn for the clip as without ``dynamic`` (``v0``) becomes
  ``v(t) = clamp(v0 + AMPLITUDE * (hi - lo) * s(t), lo, hi)`` within the transform's range ``[lo, hi]``;
- so the change from one frame to the next is at most ``2 pi MAX_FREQUENCY AMPLITUDE (hi - lo) / (T - 1)``
  (clamping only shortens steps), clips of a batch draw independent curves, and a clip that is not augmented
  (its ``p`` draw) keeps the identity on every frame.

The per-frame parameters are tensors ``(B, T, ...)`` in ``last_params``, named in ``params["per_frame"]`` (the
others stay per clip, ``(B, ...)``), and replay like any others.
"""

from __future__ import annotations

import math

import torch

__all__ = ["COMPONENTS", "MAX_FREQUENCY", "AMPLITUDE", "fourier_curves", "vary", "max_step"]

COMPONENTS = 3  # sinusoids per curve
MAX_FREQUENCY = 1.0  # cycles per clip, at most
AMPLITUDE = 0.5  # of the parameter's range


def fourier_curves(batch: int, frames: int, shape: tuple[int, ...], generator: torch.Generator | None = None,
                   device: torch.device | str = "cpu") -> torch.Tensor:
    """Smooth random curves in ``[-1, 1]``: ``(batch, frames, *shape)`` float32, one per clip and element."""
    n = math.prod(shape)
    u = torch.rand(3, batch, n, COMPONENTS, generator=generator, device=device)
    w = u[0] / u[0].sum(-1, keepdim=True).clamp_min(1e-12)
    f = u[1] * MAX_FREQUENCY
    phi = u[2] * (2 * math.pi)
    t = torch.arange(frames, device=device, dtype=torch.float32) / max(frames - 1, 1)
    s = (w[..., None] * torch.sin(2 * math.pi * f[..., None] * t + phi[..., None])).sum(-2)  # (B, n, T)
    return s.transpose(1, 2).reshape(batch, frames, *shape)


def vary(v0: torch.Tensor, lo: float | torch.Tensor, hi: float | torch.Tensor, frames: int,
         generator: torch.Generator | None = None) -> torch.Tensor:
    """``(B, ...)`` per-clip draws -> ``(B, T, ...)`` per-frame values along a smooth curve in ``[lo, hi]``."""
    lo_t = torch.as_tensor(lo, dtype=v0.dtype, device=v0.device)
    hi_t = torch.as_tensor(hi, dtype=v0.dtype, device=v0.device)
    if lo_t.ndim == v0.ndim and v0.ndim > 0:  # per-clip bounds (B, ...): the same on every frame
        lo_t = lo_t.unsqueeze(1)
    if hi_t.ndim == v0.ndim and v0.ndim > 0:
        hi_t = hi_t.unsqueeze(1)
    s = fourier_curves(v0.shape[0], frames, tuple(v0.shape[1:]), generator, v0.device).to(v0.dtype)
    out = v0.unsqueeze(1) + AMPLITUDE * (hi_t - lo_t) * s
    return torch.maximum(torch.minimum(out, hi_t), lo_t)


def max_step(lo: float, hi: float, frames: int) -> float:
    """The largest change of a varied parameter from one frame to the next (see the module docstring)."""
    return 2 * math.pi * MAX_FREQUENCY * AMPLITUDE * (hi - lo) / max(frames - 1, 1)
