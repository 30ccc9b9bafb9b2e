"""The learned augmentation: an RCGAN generator, its training (``videoaug fit``) and its checkpoints.

- :mod:`videoaug.gan.networks`: :class:`Generator`, :class:`FrameDiscriminator`, :class:`ClipDiscriminator`.
- :mod:`videoaug.gan.losses`: the adversarial, R1, temporal, auxiliary-class and diversity terms.
- :mod:`videoaug.gan.loss`: :class:`RCGANLoss`, those terms composed in phases (G main, D main, D regulariser).
- :mod:`videoaug.gan.train`: :class:`Trainer` / :func:`fit`; :mod:`videoaug.gan.config`: its TOML config.
- :mod:`videoaug.gan.checkpoint`: safetensors + ``config.json`` checkpoints, :func:`load_generator`.
- :mod:`videoaug.gan.augment`: :class:`RCGANAugment` and :class:`GPUAugment`, the generator as a transform.
"""

from videoaug.gan.checkpoint import CheckpointError, load_generator, save_generator
from videoaug.gan.config import FitConfig, load_config
from videoaug.gan.networks import ClipDiscriminator, FrameDiscriminator, Generator, GeneratorConfig

__all__ = [
    "Generator",
    "GeneratorConfig",
    "FrameDiscriminator",
    "ClipDiscriminator",
    "load_generator",
    "save_generator",
    "CheckpointError",
    "FitConfig",
    "load_config",
    "fit",
    "Trainer",
    "RCGANAugment",
    "GPUAugment",
]

_LAZY = {
    "fit": "videoaug.gan.train",
    "Trainer": "videoaug.gan.train",
    "RCGANAugment": "videoaug.gan.augment",
    "GPUAugment": "videoaug.gan.augment",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'videoaug.gan' has no attribute {name!r}")
