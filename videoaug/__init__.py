"""videoaug: video data augmentation for PyTorch.

Layout ``(T, C, H, W)`` for a clip and ``(B, T, C, H, W)`` for a batch, uint8 or float in [0, 1]. Every transform
is a ``torchvision.transforms.v2.Transform`` with parameters drawn per clip and shared by all frames of that clip.

Example:
    >>> import torch
    >>> from torchvision.transforms import v2
    >>> import videoaug as va
    >>> pipeline = v2.Compose([va.RandomResizedCrop(32, scale=(0.5, 1.0)), va.RandomHorizontalFlip(),
    ...                        va.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8), va.ToDtype(torch.float32, scale=True)])
    >>> pipeline(torch.zeros(2, 8, 3, 40, 48, dtype=torch.uint8)).shape
    torch.Size([2, 8, 3, 32, 32])
"""

from typing import Any

from . import _moved, functional, mix, transforms
from .io import VideoReadError, make_grid, read_clip, write_gif, write_mp4
from .mix import CutMix, MixUp, RandomMix, collate_with
from .transforms import *  # noqa: F403
from .transforms import __all__ as _transform_names

__version__ = "0.1.0"

_moved.install()  # old import paths of moved modules (videoaug.demo, videoaug.bench, ...) keep working

__all__ = [
    *_transform_names,
    "MixUp", "CutMix", "RandomMix", "collate_with",
    "read_clip", "write_gif", "write_mp4", "make_grid", "VideoReadError",
    "RCGANAugment", "GPUAugment",  # noqa: F405 (lazy, see __getattr__)
    "functional", "transforms", "mix",
]

_LAZY = {"RCGANAugment": "videoaug.gan.augment", "GPUAugment": "videoaug.gan.augment"}


def __getattr__(name: str) -> Any:
    # The generator pulls in the GAN modules; load them only when asked for.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'videoaug' has no attribute {name!r}")
