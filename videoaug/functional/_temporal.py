"""Temporal kernels: each temporal op is one batched gather with a per-clip index tensor ``(B, T_out)``.

The ``*_indices`` functions turn explicit parameters into that index tensor (pure, deterministic, testable on
their own); :func:`temporal_gather` applies it. Semantics, and which ops can change a label, are documented on
the classes in :mod:`videoaug.transforms._temporal`.
"""

from __future__ import annotations

import torch

from .._video import check_batch

__all__ = [
    "temporal_gather",
    "uniform_temporal_subsample",
    "temporal_crop_indices",
    "uniform_subsample_indices",
    "speed_indices",
    "reverse_indices",
    "frame_drop_indices",
]


def _check_indices(indices: torch.Tensor, batch: int, frames: int) -> None:
    if not isinstance(indices, torch.Tensor) or indices.dtype not in (torch.int64, torch.int32):
        got = indices.dtype if isinstance(indices, torch.Tensor) else type(indices).__name__
        raise TypeError(f"indices: expected an integer tensor (B, T_out), got {got}")
    if indices.ndim != 2 or indices.shape[0] != batch or indices.shape[1] == 0:
        raise ValueError(
            f"indices: expected shape ({batch}, T_out) with T_out > 0, got {tuple(indices.shape)}"
        )
    if indices.numel() and (int(indices.min()) < 0 or int(indices.max()) >= frames):
        raise ValueError(
            f"indices: expected frame indices in [0, {frames - 1}], got range "
            f"[{int(indices.min())}, {int(indices.max())}]"
        )


def temporal_gather(video: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """Pick frames per clip: ``out[b, j] = video[b, indices[b, j]]``, one batched gather, no per-clip loop.

    Args:
        video: batch ``(B, T, C, H, W)``, uint8 or float.
        indices: integer tensor ``(B, T_out)`` of frame indices in ``[0, T)``, on ``video``'s device.

    Shape:
        ``(B, T, C, H, W)`` -> ``(B, T_out, C, H, W)``.

    Returns:
        A new tensor (the input is not modified) of the input's dtype.
    """
    check_batch(video)
    _check_indices(indices, video.shape[0], video.shape[1])
    rows = torch.arange(video.shape[0], device=video.device).unsqueeze(1)
    return video[rows, indices.to(device=video.device, dtype=torch.long)]


def temporal_crop_indices(start: torch.Tensor, size: int) -> torch.Tensor:
    """Indices of ``size`` consecutive frames from each clip's ``start`` (``(B,)`` integers). See
    :class:`~videoaug.transforms.TemporalRandomCrop`."""
    return start.long().unsqueeze(1) + torch.arange(size, device=start.device)


def uniform_subsample_indices(num_frames: int, num_samples: int,
                              device: torch.device | str = "cpu") -> torch.Tensor:
    """pytorchvideo's rule: ``linspace(0, T - 1, num_samples)`` truncated to integers (``(num_samples,)``).
    ``num_samples > T`` repeats frames. See :class:`~videoaug.transforms.UniformTemporalSubsample`."""
    idx = torch.linspace(0, num_frames - 1, num_samples, device=device)
    return idx.clamp_(0, num_frames - 1).long()


def uniform_temporal_subsample(video: torch.Tensor, num_samples: int) -> torch.Tensor:
    """``num_samples`` evenly spaced frames of every clip of a batch ``(B, T, C, H, W)``. See
    :class:`~videoaug.transforms.UniformTemporalSubsample`."""
    check_batch(video)
    if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples < 1:
        raise ValueError(f"num_samples: expected a positive int, got {num_samples!r}")
    idx = uniform_subsample_indices(video.shape[1], num_samples, video.device)
    return video.index_select(1, idx)


def speed_indices(rate: torch.Tensor, start: torch.Tensor, num_frames: int, num_input_frames: int,
                  overflow: str = "clamp") -> torch.Tensor:
    """Indices that play each clip at its own ``rate`` from its ``start`` frame for ``num_frames`` frames.

    Output frame ``j`` of clip ``b`` shows source frame ``start[b] + floor(j * rate[b])``: the frame on screen
    at that playback time (sample and hold), so rate 1 is the identity and rate 2 takes every other frame.
    Indices past the last frame are held on the last frame (``overflow="clamp"``) or wrap around to the first
    (``overflow="loop"``). See :class:`~videoaug.transforms.RandomSpeed`.

    Args:
        rate: ``(B,)`` positive playback rates.
        start: ``(B,)`` integer start frames in ``[0, num_input_frames)``.
        num_frames: output length ``T_out``.
        num_input_frames: input length ``T``.
        overflow: ``"clamp"`` or ``"loop"``.

    Returns:
        ``(B, num_frames)`` int64 indices in ``[0, num_input_frames)``.
    """
    if overflow not in ("clamp", "loop"):
        raise ValueError(f"overflow: expected 'clamp' or 'loop', got {overflow!r}")
    if bool((rate <= 0).any()):
        raise ValueError(f"rate: expected positive rates, got min {float(rate.min())}")
    j = torch.arange(num_frames, device=rate.device, dtype=torch.float64)
    # a float32 rate such as 0.7 is stored as 0.69999998; the 1e-4 nudge makes 10 * 0.7 floor to 7 as written
    offsets = torch.floor(j.unsqueeze(0) * rate.to(torch.float64).unsqueeze(1) + 1e-4).long()
    idx = start.long().unsqueeze(1) + offsets
    if overflow == "clamp":
        return idx.clamp_(0, num_input_frames - 1)
    return idx.remainder_(num_input_frames)


def reverse_indices(reverse: torch.Tensor, num_frames: int) -> torch.Tensor:
    """``(B, T)`` indices: ``T-1, ..., 0`` where the bool ``(B,)`` ``reverse`` is set, ``0, ..., T-1``
    otherwise. See :class:`~videoaug.transforms.TemporalReverse`."""
    forward = torch.arange(num_frames, device=reverse.device)
    return torch.where(reverse.bool().unsqueeze(1), forward.flip(0), forward)


def frame_drop_indices(keep: torch.Tensor) -> torch.Tensor:
    """``(B, T)`` indices that replace every dropped frame by the last kept frame before it.

    Args:
        keep: bool ``(B, T)``; ``keep[:, 0]`` is treated as ``True`` (the first frame has nothing before it).

    See :class:`~videoaug.transforms.RandomFrameDrop`.
    """
    if keep.ndim != 2 or keep.shape[1] == 0:
        raise ValueError(f"keep: expected a bool tensor (B, T) with T > 0, got shape {tuple(keep.shape)}")
    t = torch.arange(keep.shape[1], device=keep.device).expand_as(keep)
    kept_at = torch.where(keep.bool(), t, torch.zeros_like(t))
    return torch.cummax(kept_at, dim=1).values
