"""Input checking and layout helpers shared by every module.

A clip is ``(T, C, H, W)``; a batch is ``(B, T, C, H, W)``; ``C`` is 1 or 3; the dtype is ``uint8`` (values in
[0, 255]) or floating (values in [0, 1]). Kernels work on batches only: :func:`as_batch` turns either layout into a
batch and returns the function that turns a result back into the caller's layout and tensor type.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torchvision import tv_tensors

__all__ = [
    "check_video",
    "check_batch",
    "as_batch",
    "max_value",
    "to_float",
    "from_float",
]

_EXPECTED = "a clip (T, C, H, W) or batch (B, T, C, H, W) with C in {1, 3}, T, H, W > 0, dtype uint8 or float"


def check_video(video: torch.Tensor, name: str = "video") -> None:
    """Raise ``TypeError``/``ValueError`` unless ``video`` is a clip or a batch as the conventions define.

    Args:
        video: tensor to check.
        name: what to call it in the message.
    """
    if not isinstance(video, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(video).__name__}")
    if video.ndim not in (4, 5):
        raise ValueError(f"{name}: expected {_EXPECTED}, got shape {tuple(video.shape)}")
    _check_common(video, name)


def check_batch(video: torch.Tensor, name: str = "video") -> None:
    """Like :func:`check_video` but only a 5-D batch ``(B, T, C, H, W)`` is accepted."""
    if not isinstance(video, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(video).__name__}")
    if video.ndim != 5:
        raise ValueError(
            f"{name}: expected a batch (B, T, C, H, W) with C in {{1, 3}}, got shape {tuple(video.shape)}"
        )
    _check_common(video, name)


def _check_common(video: torch.Tensor, name: str) -> None:
    t, c, h, w = video.shape[-4:]
    if c not in (1, 3):
        raise ValueError(f"{name}: expected {_EXPECTED}, got C={c} in shape {tuple(video.shape)}")
    if t == 0 or h == 0 or w == 0 or (video.ndim == 5 and video.shape[0] == 0):
        raise ValueError(f"{name}: expected {_EXPECTED}, got an empty dimension in shape {tuple(video.shape)}")
    if video.dtype != torch.uint8 and not video.is_floating_point():
        raise TypeError(f"{name}: expected dtype uint8 or a floating dtype, got {video.dtype}")


def as_batch(video: torch.Tensor, name: str = "video", check: bool = True
             ) -> tuple[torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]:
    """Check ``video`` (unless ``check=False``: the caller checked it in this call) and view it as a plain batch
    tensor ``(B, T, C, H, W)``.

    Returns:
        ``(batch, restore)``: ``batch`` is a plain tensor (a ``tv_tensors.Video`` is unwrapped, a clip gets a
        leading dimension of 1); ``restore(out)`` undoes both on a result whose leading dimension is ``B``.
    """
    if check:
        check_video(video, name)
    plain = video.as_subclass(torch.Tensor) if isinstance(video, tv_tensors.Video) else video
    was_clip = plain.ndim == 4
    batch = plain.unsqueeze(0) if was_clip else plain

    def restore(out: torch.Tensor) -> torch.Tensor:
        if was_clip:
            out = out.squeeze(0)
        if isinstance(video, tv_tensors.Video):
            return tv_tensors.wrap(out, like=video)
        return out

    return batch, restore


def max_value(dtype: torch.dtype) -> float:
    """255 for uint8, 1.0 for floating dtypes (the value range the conventions fix)."""
    return 255.0 if dtype == torch.uint8 else 1.0


def to_float(video: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``uint8`` -> float in [0, 1]; a floating tensor is returned as it is (no copy)."""
    if video.is_floating_point():
        return video
    return video.to(dtype).div_(255.0)


def from_float(video: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Inverse of :func:`to_float`: float in [0, 1] back to ``dtype`` (uint8 is rounded and clamped)."""
    if dtype == torch.uint8:
        return video.mul(255.0).round_().clamp_(0, 255).to(torch.uint8)
    return video.to(dtype)
