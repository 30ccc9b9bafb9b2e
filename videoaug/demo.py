"""``videoaug demo``: make a few labelled clips on the fly, augment them, write side-by-side GIFs.

No download: the clips are coloured shapes moving over a gradient, one shape and one motion per class. Each
section of the demo is one function ``section(clips, labels, args) -> dict`` that writes its own GIF under
``--out`` and returns what it measured, so later sections (mixing, the generator) are added to
:data:`SECTIONS` without touching the others.

    videoaug demo --out demo-output
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from typing import Any

import torch
from torchvision.transforms import v2

from .bench import time_call
from .io import write_gif
from .transforms import (
    ColorJitter,
    GaussianBlur,
    RandomGrayscale,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomRotation,
    RandomTubeErasing,
)

CLASS_NAMES = ("circle moving right", "square moving down", "diamond moving diagonally", "ring moving left")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="demo-output", help="output folder (default: demo-output)")
    parser.add_argument("--clips", type=int, default=6, help="clips shown, one per row (default: 6)")
    parser.add_argument("--frames", type=int, default=16, help="frames per clip (default: 16)")
    parser.add_argument("--size", type=int, default=112, help="frame height and width (default: 112)")
    parser.add_argument(
        "--classes",
        type=int,
        default=len(CLASS_NAMES),
        help=f"number of classes, 1..{len(CLASS_NAMES)} (default: {len(CLASS_NAMES)})",
    )
    parser.add_argument("--batch", type=int, default=32, help="clips per batch when measuring throughput")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats for the throughput (median)")
    parser.add_argument("--fps", type=float, default=8, help="GIF frame rate (default: 8)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")


# -- synthetic labelled clips --------------------------------------------------------------------------------
def make_clips(
    num_clips: int,
    frames: int = 16,
    size: int = 112,
    num_classes: int = len(CLASS_NAMES),
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips of a coloured shape moving over a colour gradient; the class fixes the shape and its motion.

    Args:
        num_clips: B.
        frames: T.
        size: H = W.
        num_classes: 1 to 4 (see :data:`CLASS_NAMES`); clips cycle through the classes.
        generator: RNG for colours, sizes, start points and speeds.

    Returns:
        ``(clips, labels)``: uint8 ``(B, T, 3, H, W)`` and long ``(B,)``.
    """
    if not 1 <= num_classes <= len(CLASS_NAMES):
        raise ValueError(f"num_classes: expected 1..{len(CLASS_NAMES)}, got {num_classes}")
    if num_clips < 1 or frames < 1 or size < 8:
        raise ValueError(
            f"expected num_clips >= 1, frames >= 1 and size >= 8, got {num_clips}, {frames}, {size}"
        )
    b, t, s = num_clips, frames, size

    def rand(*shape: int) -> torch.Tensor:
        return torch.rand(shape, generator=generator)

    labels = torch.arange(b) % num_classes
    # motion per class: unit direction, travelled over the clip
    directions = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.7071, 0.7071], [-1.0, 0.0]])[labels]  # (x, y)
    travel = (0.35 + 0.25 * rand(b)) * s
    start = s / 2 - directions * travel.unsqueeze(1) / 2 + (rand(b, 2) - 0.5) * 0.2 * s
    time = torch.linspace(0, 1, t) if t > 1 else torch.zeros(1)
    centre = start.view(b, 1, 2) + directions.view(b, 1, 2) * travel.view(b, 1, 1) * time.view(1, t, 1)
    radius = (0.12 + 0.06 * rand(b)) * s
    coords = torch.arange(s, dtype=torch.float32) + 0.5
    dx = coords.view(1, 1, 1, s) - centre[..., 0].view(b, t, 1, 1)
    dy = coords.view(1, 1, s, 1) - centre[..., 1].view(b, t, 1, 1)
    r = radius.view(b, 1, 1, 1)
    masks = torch.stack(
        [
            dx.hypot(dy) <= r,  # circle
            (dx.abs() <= r * 0.85) & (dy.abs() <= r * 0.85),  # square
            dx.abs() + dy.abs() <= r * 1.2,  # diamond
            (dx.hypot(dy) <= r) & (dx.hypot(dy) >= r * 0.55),  # ring
        ]
    )  # (4, B, T, H, W)
    shape = masks[labels, torch.arange(b)].unsqueeze(2)  # (B, T, 1, H, W)
    # background: a gradient between two random colours at a random angle, fixed over time
    angle = rand(b) * 2 * math.pi
    ramp = coords.view(1, 1, s) * angle.cos().view(b, 1, 1) + coords.view(1, s, 1) * angle.sin().view(b, 1, 1)
    ramp = (ramp - ramp.amin(dim=(1, 2), keepdim=True)) / (
        ramp.amax(dim=(1, 2), keepdim=True) - ramp.amin(dim=(1, 2), keepdim=True) + 1e-6
    )
    bg_a, bg_b = 0.15 + 0.35 * rand(2, b, 3, 1, 1)
    background = (bg_a + (bg_b - bg_a) * ramp.unsqueeze(1)).unsqueeze(1)  # (B, 1, 3, H, W)
    # the shape: a saturated colour of random hue (HSV with s = 0.75, v = 0.95 -> RGB)
    k = (torch.tensor([5.0, 3.0, 1.0]) + 6 * rand(b, 1)) % 6
    colour = (0.95 * (1 - 0.75 * torch.minimum(k, 4 - k).clamp(0, 1))).view(b, 1, 3, 1, 1)
    video = torch.where(shape, colour, background)
    return (video * 255).round().to(torch.uint8), labels


# -- sections ------------------------------------------------------------------------------------------------
def classical_pipeline(size: int) -> v2.Compose:
    """The transforms shown by the demo: a typical video-classification training pipeline (all per clip)."""
    return v2.Compose(
        [
            RandomResizedCrop(size, scale=(0.4, 1.0)),
            RandomHorizontalFlip(),
            RandomRotation(15, p=0.5),
            ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8),
            RandomGrayscale(p=0.1),
            GaussianBlur(5, sigma=(0.1, 2.0), p=0.3),
            RandomTubeErasing(p=0.5, drift=0.3),
        ]
    )


def side_by_side(original: torch.Tensor, augmented: torch.Tensor) -> torch.Tensor:
    """Interleave two batches of the same shape so a 2-column grid shows ``original | augmented`` per row."""
    if original.shape != augmented.shape:
        raise ValueError(
            f"expected two batches of one shape, got {tuple(original.shape)} and {tuple(augmented.shape)}"
        )
    return torch.stack([original, augmented], dim=1).flatten(0, 1)


def measure_throughput(
    pipeline: Callable[[torch.Tensor], torch.Tensor], batch: torch.Tensor, repeats: int, device: str
) -> float:
    """Clips per second of ``pipeline`` on ``batch`` (median of ``repeats`` timed runs after one warm-up)."""
    seconds = time_call(lambda: pipeline(batch), repeats=max(1, repeats), device=device)
    return batch.shape[0] / seconds


def transforms_section(clips: torch.Tensor, labels: torch.Tensor, args: argparse.Namespace) -> dict[str, Any]:
    """Classical per-clip transforms: GIF ``transforms.gif`` and the pipeline's throughput on a batch."""
    pipeline = classical_pipeline(args.size)
    augmented, out_labels = pipeline(clips, labels)
    if out_labels is not labels:
        raise RuntimeError("the pipeline changed the labels; classical transforms must pass them through")
    path = os.path.join(args.out, "transforms.gif")
    write_gif(path, side_by_side(clips, augmented), fps=args.fps, nrow=2)
    g = torch.Generator().manual_seed(args.seed + 1)
    batch, _ = make_clips(args.batch, args.frames, args.size, args.classes, generator=g)
    batch = batch.to(args.device)
    rate = measure_throughput(pipeline, batch, args.repeats, args.device)
    return {
        "gif": path,
        "clips_per_second": rate,
        "measured_on": f"batches of {args.batch} uint8 clips {args.frames}x3x{args.size}x{args.size}",
    }


#: (name, section) in the order they run; each writes its own GIF.
SECTIONS: list[tuple[str, Callable[[torch.Tensor, torch.Tensor, argparse.Namespace], dict[str, Any]]]] = [
    ("transforms", transforms_section),
]


def run(args: argparse.Namespace) -> int:
    """Make the clips, run every section, print where each GIF went and the throughput measured."""
    if args.clips < 1 or args.batch < 1:
        raise ValueError(f"--clips and --batch: expected >= 1, got {args.clips} and {args.batch}")
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    clips, labels = make_clips(args.clips, args.frames, args.size, args.classes, generator=g)
    clips, labels = clips.to(args.device), labels.to(args.device)
    names = ", ".join(f"{i}: {CLASS_NAMES[i]}" for i in range(args.classes))
    print(f"videoaug demo: {args.clips} clips of {args.frames}x3x{args.size}x{args.size}, classes {names}")
    print(f"device {args.device}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    for name, section in SECTIONS:
        result = section(clips, labels, args)
        line = f"[{name}] wrote {result['gif']} (rows: clips; columns: original | augmented)"
        if "clips_per_second" in result:
            line += f"; throughput {result['clips_per_second']:.1f} clips/s on {result['measured_on']}"
        print(line)
    return 0
