"""Regenerate the still strips shown in docs/transforms.md.

    .venv/bin/python docs/make_transform_strips.py [NAME ...]

Each strip is two rows of frames of one synthetic clip from ``videoaug demo``: the original on top (every
other frame of 16) and the transform's output below (the same frame positions, or evenly spaced frames when
the transform changes the clip's length). Images go to ``docs/img/transforms/<Name>.png`` as small palette
PNGs.
"""

from __future__ import annotations

import os
import sys

import torch
from PIL import Image

from videoaug import transforms as T
from videoaug.cli.demo import make_clips
from videoaug.io import write_gif

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "img", "transforms")
SIZE, FRAMES, SHOWN, GAP = 64, 16, 8, 2

# file name -> transform, set up so that its effect is visible on one clip (p=1 where the transform has p)
EXAMPLES: dict[str, T.VideoTransform] = {
    "RandomResizedCrop": T.RandomResizedCrop(SIZE, scale=(0.25, 0.5)),
    "RandomCrop": T.RandomCrop(40),
    "CenterCrop": T.CenterCrop(40),
    "Resize": T.Resize(40),
    "RandomShortSideScale": T.RandomShortSideScale(40, 80),
    "RandomHorizontalFlip": T.RandomHorizontalFlip(p=1.0),
    "RandomRotation": T.RandomRotation(30),
    "RandomAffine": T.RandomAffine(15, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=10),
    "RandomPerspective": T.RandomPerspective(0.5, p=1.0),
    "ColorJitter": T.ColorJitter(0.4, 0.4, 0.4, 0.1),
    "ColorJitter-hue": T.ColorJitter(hue=(0.3, 0.3)),
    "RandomGrayscale": T.RandomGrayscale(p=1.0),
    "GaussianBlur": T.GaussianBlur(9, sigma=(2.0, 3.0)),
    "RandomTubeErasing": T.RandomTubeErasing(scale=(0.1, 0.2), p=1.0),
    "RandomTubeErasing-drift": T.RandomTubeErasing(scale=(0.1, 0.2), value="random", drift=0.6, p=1.0),
    "TemporalRandomCrop": T.TemporalRandomCrop(8),
    "UniformTemporalSubsample": T.UniformTemporalSubsample(8),
    "RandomSpeed": T.RandomSpeed((2.0, 2.0)),
    "TemporalReverse": T.TemporalReverse(p=1.0),
    "RandomFrameDrop": T.RandomFrameDrop(0.4),
    "VideoRandAugment": T.VideoRandAugment(num_ops=2, magnitude=12),
    "VideoTrivialAugment": T.VideoTrivialAugment(),
    "RandomSmoothWarp": T.RandomSmoothWarp(0.1, 0.15, 0.12, grid_size=4, padding_mode="reflection"),
    "RandomSmoothWarp-drift": T.RandomSmoothWarp(0.2, 0.15, 0.12, grid_size=4, drift=1.0,
                                                 padding_mode="reflection"),
    # dynamic=True (DynaAugment): the same transforms with parameters drifting smoothly over the frames
    "RandomAffine-dynamic": T.RandomAffine(30, translate=(0.15, 0.15), scale=(0.7, 1.3), shear=15, dynamic=True),
    "ColorJitter-dynamic": T.ColorJitter(0.6, 0.6, 0.6, 0.2, dynamic=True),
    "VideoRandAugment-dynamic": T.VideoRandAugment(num_ops=2, magnitude=20, dynamic=True),
}
# also written as one animated GIF: the original and the three dynamic outputs side by side
DYNAMIC_GIF = ("RandomAffine-dynamic", "ColorJitter-dynamic", "VideoRandAugment-dynamic")


def _pick(clip: torch.Tensor) -> torch.Tensor:
    """SHOWN frames of a clip: every other frame of a 16-frame clip, else evenly spaced."""
    t = clip.shape[0]
    idx = torch.arange(0, FRAMES, FRAMES // SHOWN) if t == FRAMES else torch.linspace(0, t - 1, SHOWN).long()
    return clip[idx]


def strip(original: torch.Tensor, augmented: torch.Tensor) -> Image.Image:
    """Two rows of frames (uint8 ``(T, 3, H, W)`` each, sizes may differ) on a white sheet."""
    rows = [_pick(original), _pick(augmented)]
    cell_h = max(r.shape[-2] for r in rows)
    cell_w = max(r.shape[-1] for r in rows)
    sheet = Image.new("RGB", (SHOWN * (cell_w + GAP) + GAP, 2 * (cell_h + GAP) + GAP), "white")
    for i, row in enumerate(rows):
        for j, frame in enumerate(row):
            img = Image.fromarray(frame.permute(1, 2, 0).numpy())
            sheet.paste(img, (GAP + j * (cell_w + GAP), GAP + i * (cell_h + GAP)))
    return sheet.quantize(colors=128)


def main(only: tuple[str, ...] = ()) -> None:
    """Write every strip, or only the ones named in ``only`` (command-line arguments)."""
    os.makedirs(OUT, exist_ok=True)
    clips, _ = make_clips(3, frames=FRAMES, size=SIZE, generator=torch.Generator().manual_seed(28))
    clip = clips[2]  # a diamond moving diagonally
    outs = {}
    for k, (name, transform) in enumerate(EXAMPLES.items()):
        if only and name not in only:
            continue
        torch.manual_seed(k)
        out = outs[name] = transform(clip)
        strip(clip, out).save(os.path.join(OUT, f"{name}.png"), optimize=True)
        print(f"{name:26s} {tuple(clip.shape)} -> {tuple(out.shape)}")
    if all(name in outs for name in DYNAMIC_GIF):
        write_gif(os.path.join(OUT, "dynamic.gif"), torch.stack([clip, *(outs[n] for n in DYNAMIC_GIF)]), fps=6)


if __name__ == "__main__":
    main(tuple(sys.argv[1:]))
