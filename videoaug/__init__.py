"""videoaug: video data augmentation for PyTorch.

Layout ``(T, C, H, W)`` for a clip and ``(B, T, C, H, W)`` for a batch, uint8 or float in [0, 1]. Every transform
is a ``torchvision.transforms.v2.Transform`` with parameters drawn per clip and shared by all frames of that clip.
"""

__version__ = "0.1.0"
