"""Make the GIF strips of docs/mix.md: each mixing kind on the same pair of synthetic clips.

Run from the repository root: ``python docs/img/mix_make_gifs.py``. Writes ``docs/img/mix_<kind>.gif``,
each a strip ``clip A | clip B | A mixed with B`` of 16 frames at 64 x 64 with the soft label of the mixed
clip under it. The parameters are explicit (not drawn), so the pictures do not change between runs.
"""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image, ImageDraw

from videoaug.mix import cutmix_videos, mix_targets, mixup_videos

T, H, W = 16, 64, 64
OUT = Path(__file__).resolve().parent


def clip_a() -> torch.Tensor:
    """A yellow ball rolling left to right over a dark blue floor, (T, 3, H, W) float."""
    y, x = torch.meshgrid(torch.arange(H).float(), torch.arange(W).float(), indexing="ij")
    frames = []
    for t in range(T):
        img = torch.stack([torch.full((H, W), 0.10), torch.full((H, W), 0.15), torch.full((H, W), 0.40)])
        cx = 8 + t * (W - 16) / (T - 1)
        ball = ((x - cx) ** 2 + (y - 40) ** 2) < 8**2
        img[:, ball] = torch.tensor([1.0, 0.85, 0.1]).view(3, 1)
        img[:, 50:, :] = torch.tensor([0.2, 0.3, 0.2]).view(3, 1, 1)
        frames.append(img)
    return torch.stack(frames)


def clip_b() -> torch.Tensor:
    """A red square falling from top to bottom on a light background, (T, 3, H, W) float."""
    frames = []
    for t in range(T):
        img = torch.stack([torch.full((H, W), 0.85), torch.full((H, W), 0.85), torch.full((H, W), 0.80)])
        top = int(2 + t * (H - 18) / (T - 1))
        img[:, top : top + 14, 25:39] = torch.tensor([0.85, 0.1, 0.1]).view(3, 1, 1)
        frames.append(img)
    return torch.stack(frames)


def to_frames(strip: list[torch.Tensor], caption: str) -> list[Image.Image]:
    """Panels (T, 3, H, W) side by side with 2-px gaps and a caption row, as PIL frames."""
    gap = 2
    width = len(strip) * W + (len(strip) - 1) * gap
    images = []
    for t in range(T):
        canvas = Image.new("RGB", (width, H + 12), (255, 255, 255))
        for i, clip in enumerate(strip):
            arr = (clip[t].clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
            canvas.paste(Image.fromarray(arr), (i * (W + gap), 0))
        draw = ImageDraw.Draw(canvas)
        draw.text((2, H), f"t={t:2d}  {caption}", fill=(0, 0, 0))
        images.append(canvas.convert("P", palette=Image.ADAPTIVE, colors=64))
    return images


def main() -> None:
    a, b = clip_a(), clip_b()
    batch = torch.stack([a, b])  # clip 0 = A (class 0), clip 1 = B (class 1)
    index = torch.tensor([1, 0])
    labels = torch.tensor([0, 1])
    cases = {
        "mixup": ("MixUp lam=0.6", None, torch.tensor([0.6, 0.6])),
        # (t0, t1, y0, y1, x0, x1) half-open, the same box for both clips (pair mode)
        "spatial": ("CutMix spatial", torch.tensor([[0, T, 16, 56, 32, 64], [0, T, 16, 56, 32, 64]]), None),
        "temporal": ("CutMix temporal", torch.tensor([[6, 12, 0, H, 0, W], [6, 12, 0, H, 0, W]]), None),
        "spatiotemporal": ("CutMix spatio-temporal",
                           torch.tensor([[4, 12, 8, 48, 8, 48], [4, 12, 8, 48, 8, 48]]), None),
    }
    for name, (title, box, lam) in cases.items():
        if box is None:
            mixed = mixup_videos(batch, index, lam)
        else:
            mixed = cutmix_videos(batch, index, box)
            t0, t1, y0, y1, x0, x1 = box[0].tolist()
            lam = torch.full((2,), 1 - (t1 - t0) * (y1 - y0) * (x1 - x0) / (T * H * W))
        soft = mix_targets(labels, index, lam, num_classes=2)[0]
        caption = f"label {soft[0]:.2f} A + {soft[1]:.2f} B"
        frames = to_frames([a, b, mixed[0]], caption)
        path = OUT / f"mix_{name}.gif"
        frames[0].save(path, save_all=True, append_images=frames[1:], duration=150, loop=0, optimize=True)
        print(f"{path.name}: {title}, {caption} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
