"""Regenerate the RCGANAugment gallery shown in docs/rcgan.md.

    .venv/bin/python docs/make_rcgan_gallery.py

Needs the shipped ``checkpoints/moving_mnist`` and, for the RGB clips, scikit-image (its bundled sample photos
``astronaut``, ``coffee`` and ``chelsea``; ``pip install scikit-image``: only this script uses it, the package
does not depend on it). Each photo becomes a 16-frame 112x112 clip by a slow camera pan across it.

Writes to ``docs/img/rcgan/``:

- ``moving_mnist.png`` / ``.gif``: four held-out Moving MNIST clips (split ``test``), each real (top) and as
  ``RCGANAugment("moving_mnist", p=1.0)`` conditioned on its label makes it (below);
- ``rgb.png`` (no GIF: photographs make GIFs of hundreds of kB): the three RGB clips, shown at 88x88, each
  as read, then with the checkpoint's own zero padding and brightness (what ``RCGANAugment`` did before it had
  a border rule), then with the default rule (reflection padding, brightness re-centred), with the same
  generator noise; and the figures of each (the fraction of black pixels, every channel < 0.05, and the mean
  brightness) printed as a markdown table.
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from PIL import Image

from videoaug.io import write_gif

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "img", "rcgan")
SHOWN, GAP = 6, 2


def pan_clip(image, frames: int = 16, size: int = 112, step: int = 3) -> torch.Tensor:
    """A float clip ``(T, 3, size, size)``: a ``size`` window panning right by ``step`` pixels a frame across
    ``image`` (an ``(H, W, 3)`` uint8 array) resized to a height of 150."""
    x = torch.from_numpy(image).permute(2, 0, 1).float().div(255)
    h = 150
    w = max(size + step * frames + 4, round(x.shape[2] * h / x.shape[1]))
    x = F.interpolate(x[None], size=(h, w), mode="bilinear", antialias=True, align_corners=False)[0]
    top, left = (h - size) // 2, (w - size - step * (frames - 1)) // 2
    return torch.stack([x[:, top:top + size, left + step * t:left + step * t + size] for t in range(frames)])


def sheet(rows: list[torch.Tensor]) -> Image.Image:
    """Rows of clips ``(T, C, H, W)`` float: SHOWN evenly spaced frames of each, on a white sheet."""
    h, w = rows[0].shape[-2:]
    img = Image.new("RGB", (SHOWN * (w + GAP) + GAP, len(rows) * (h + GAP) + GAP), "white")
    for i, clip in enumerate(rows):
        idx = torch.linspace(0, clip.shape[0] - 1, SHOWN).round().long()
        for j, frame in enumerate(clip[idx]):
            arr = frame.expand(3, h, w).mul(255).round().clamp(0, 255).byte().permute(1, 2, 0).numpy()
            img.paste(Image.fromarray(arr), (GAP + j * (w + GAP), GAP + i * (h + GAP)))
    return img


def black(x: torch.Tensor) -> float:
    """Fraction of pixels that are black (every channel < 0.05)."""
    return float((x.amax(-3) < 0.05).float().mean())


def moving_mnist() -> None:
    from videoaug.datasets.moving_mnist import MovingMNIST
    from videoaug.gan import RCGANAugment

    data = MovingMNIST(4, split="test", num_frames=16, seed=5)
    clips = torch.stack([data[i][0] for i in range(4)]).float().div(255)
    labels = torch.tensor([int(data[i][1]) for i in range(4)])
    aug = RCGANAugment("moving_mnist", p=1.0, generator=torch.Generator().manual_seed(0))
    out, _ = aug(clips, labels)
    rows = [r for pair in zip(clips, out, strict=True) for r in pair]
    sheet(rows).quantize(colors=64).save(os.path.join(OUT, "moving_mnist.png"), optimize=True)
    write_gif(os.path.join(OUT, "moving_mnist.gif"), torch.stack(rows), fps=8, nrow=2)
    print(f"moving_mnist: labels {labels.tolist()}, padding {aug.padding_for(1)!r}")


def rgb() -> None:
    from skimage import data

    from videoaug.gan import RCGANAugment

    names = ("astronaut", "coffee", "chelsea")
    clips = torch.stack([pan_clip(getattr(data, n)()) for n in names])
    new = RCGANAugment("moving_mnist", p=1.0, generator=torch.Generator().manual_seed(0))
    after = new(clips)
    old = RCGANAugment("moving_mnist", p=1.0, padding_mode="zeros", keep_brightness=False)
    before = old.replay(clips, params=new.last_params)
    rows = [r for triple in zip(clips, before, after, strict=True) for r in triple]
    small = F.interpolate(torch.stack(rows).flatten(0, 1), size=(88, 88), mode="bilinear", antialias=True)
    small = small.unflatten(0, (len(rows), -1)).clamp(0, 1)
    sheet(list(small)).quantize(colors=256).save(os.path.join(OUT, "rgb.png"), optimize=True)
    print(f"rgb: padding {new.padding_for(3)!r}, brightness re-centred: {new.keeps_brightness_for(3)}")
    print("| clip | as read: black pixels | mean brightness | checkpoint's zeros and gain: black | mean "
          "| default rule: black | mean |")
    print("|---|---|---|---|---|---|---|")
    for n, x, b, a in zip(names, clips, before, after, strict=True):
        print(f"| {n} | {black(x):.1%} | {x.mean():.3f} | {black(b):.1%} | {b.mean():.3f} | "
              f"{black(a):.1%} | {a.mean():.3f} |")


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    moving_mnist()
    rgb()


if __name__ == "__main__":
    main()
