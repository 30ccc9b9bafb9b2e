"""``videoaug demo``: make a few labelled clips on the fly, augment them, write side-by-side GIFs.

No download: the clips are coloured shapes moving over a gradient, one shape and one motion per class. Each
section of the demo is one function ``section(clips, labels, args) -> dict`` that writes its own GIF under
``--out`` and returns what it measured; :data:`SECTIONS` lists them:

- ``transforms`` (``transforms.gif``): rows of ``original | augmented`` by the classical per-clip pipeline;
- ``mix`` (``mix.gif``): rows of ``clip A | clip B | MixUp | CutMix temporal | CutMix spatio-temporal`` (B is
  A's partner in the batch), with the soft labels of each mixed clip printed;
- ``rcgan`` (``rcgan.gif``): Moving MNIST clips, rows of ``original | RCGANAugment (seed 1) | RCGANAugment
  (seed 2) | classical``, using the shipped ``moving_mnist`` checkpoint or ``--rcgan-checkpoint PATH``. When
  the checkpoint is not found the section prints one line saying so and is skipped (the exit status is 1 only
  when a path given with ``--rcgan-checkpoint`` is missing).

Each section prints the GIF it wrote and its throughput, measured on a batch of ``--batch`` clips.

    videoaug demo --out demo-output
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from typing import Any

import torch
from torchvision.transforms import v2

from videoaug._video import to_float
from videoaug.cli import command_main
from videoaug.cli._bench import time_call
from videoaug.cli._paths import check_out_dir
from videoaug.io import write_gif
from videoaug.mix import CutMix, MixUp
from videoaug.transforms import (
    ColorJitter,
    GaussianBlur,
    RandomAffine,
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
    parser.add_argument(
        "--rcgan-checkpoint",
        default=None,
        metavar="PATH",
        help="generator checkpoint directory for the rcgan section (default: the shipped 'moving_mnist')",
    )


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


# -- mixing --------------------------------------------------------------------------------------------------
def mix_transforms(num_classes: int) -> list[tuple[str, Callable]]:
    """The mixes shown by the demo, one lambda (and box) per clip: ``[(name, mix)]``."""
    return [
        ("MixUp", MixUp(alpha=1.0, num_classes=num_classes, mode="elem")),
        ("CutMix temporal", CutMix(alpha=1.0, num_classes=num_classes, kind="temporal", mode="elem")),
        ("CutMix spatio-temporal", CutMix(alpha=1.0, num_classes=num_classes, kind="spatiotemporal", mode="elem")),
    ]


def _describe(soft_label: torch.Tensor, first_class: int) -> str:
    """``"0.62 circle moving right + 0.38 square moving down"``: the non-zero weights of one soft label, the
    class of clip A first."""
    weights = [(k != first_class, k, float(w)) for k, w in enumerate(soft_label.tolist()) if w > 5e-4]
    return " + ".join(f"{w:.2f} {CLASS_NAMES[k]}" for _, k, w in sorted(weights))


def mix_section(clips: torch.Tensor, labels: torch.Tensor, args: argparse.Namespace) -> dict[str, Any]:
    """MixUp and temporal / spatio-temporal CutMix on pairs of clips: GIF ``mix.gif`` and each mix's throughput.

    The mixes pair clip ``i`` with clip ``B - 1 - i``; one row per pair shows ``A | B | MixUp | CutMix temporal
    | CutMix spatio-temporal`` and the soft labels of the mixed clips are printed. Skipped (``{"skipped":
    message}``) with fewer than two clips.
    """
    if clips.shape[0] < 2 or args.batch < 2:
        return {"skipped": f"mixing needs pairs of clips: --clips and --batch >= 2, got {args.clips}, {args.batch}"}
    videos = to_float(clips)
    b, rows = videos.shape[0], videos.shape[0] // 2
    first, partner = torch.arange(rows), b - 1 - torch.arange(rows)
    columns = [videos[first], videos[partner]]
    lines: list[list[str]] = [
        [f"  row {r + 1}: A = clip {r} ({CLASS_NAMES[labels[r]]}), B = clip {b - 1 - r} "
         f"({CLASS_NAMES[labels[b - 1 - r]]}); soft labels:"]
        for r in range(rows)
    ]
    mixes = mix_transforms(args.classes)
    for name, mix in mixes:
        mixed, soft = mix(videos, labels)
        columns.append(mixed[first])
        for r in range(rows):
            lines[r].append(f"    {name}: {_describe(soft[r], int(labels[r]))}")
    path = os.path.join(args.out, "mix.gif")
    write_gif(path, torch.stack(columns, dim=1).flatten(0, 1), fps=args.fps, nrow=len(columns))
    print("\n".join(line for row in lines for line in row))
    g = torch.Generator().manual_seed(args.seed + 2)
    batch, batch_labels = make_clips(args.batch, args.frames, args.size, args.classes, generator=g)
    batch, batch_labels = to_float(batch.to(args.device)), batch_labels.to(args.device)
    rates = {
        name: measure_throughput(lambda x, mix=mix: mix(x, batch_labels), batch, args.repeats, args.device)
        for name, mix in mixes
    }
    return {
        "gif": path,
        "rows": "pairs of clips",
        "columns": "clip A | clip B | " + " | ".join(name for name, _ in mixes),
        "throughput": rates,
        "measured_on": f"batches of {args.batch} float clips {args.frames}x3x{args.size}x{args.size}",
    }


# -- the generator -------------------------------------------------------------------------------------------
def mnist_classical_pipeline() -> v2.Compose:
    """Classical transforms for Moving MNIST digits (the classical setting of the Moving MNIST ablation)."""
    return v2.Compose(
        [
            RandomAffine(degrees=15, translate=(0.1, 0.1), scale=(0.85, 1.15)),
            ColorJitter(brightness=0.4, contrast=0.4, p=0.8),
            RandomTubeErasing(p=0.25),
        ]
    )


def rcgan_section(clips: torch.Tensor, labels: torch.Tensor, args: argparse.Namespace) -> dict[str, Any]:
    """The learned augmentation on Moving MNIST: GIF ``rcgan.gif`` and the batched generator's throughput.

    Rows: ``original | RCGANAugment (p=1, seed 1) | RCGANAugment (p=1, seed 2) | classical``. The demo's own
    clips are not used: the generator is trained on Moving MNIST digits. Returns ``{"skipped": message}``
    without writing anything when the checkpoint is not found.
    """
    from videoaug.datasets import MovingMNIST
    from videoaug.gan import RCGANAugment

    checkpoint = args.rcgan_checkpoint or "moving_mnist"
    augs = []
    try:
        for k in (1, 2):
            g = torch.Generator().manual_seed(args.seed + 10 + k)
            augs.append(RCGANAugment(checkpoint, p=1.0, generator=g, device=args.device))
    except FileNotFoundError as exc:
        return {"skipped": f"generator checkpoint not found ({exc}); pass --rcgan-checkpoint PATH to use yours"}
    size = max(16, args.size)
    data = MovingMNIST(args.clips + args.batch, split="test", num_frames=args.frames, size=size, seed=args.seed)
    mnist = torch.stack([data[i][0] for i in range(len(data))]).to(args.device)
    mnist_labels = torch.tensor([data[i][1] for i in range(len(data))], device=args.device)
    if int(mnist_labels.max()) >= augs[0].num_classes:  # a checkpoint trained on other classes
        for aug in augs:
            aug.use_labels = False
    shown, shown_labels = mnist[: args.clips], mnist_labels[: args.clips]
    variants = [aug(shown, shown_labels)[0] for aug in augs]
    classical = mnist_classical_pipeline()(shown)
    path = os.path.join(args.out, "rcgan.gif")
    write_gif(path, torch.stack([shown, *variants, classical], dim=1).flatten(0, 1), fps=args.fps, nrow=4)
    batch, batch_labels = mnist[args.clips :], mnist_labels[args.clips :]
    rate = measure_throughput(lambda x: augs[0](x, batch_labels), batch, args.repeats, args.device)
    return {
        "gif": path,
        "columns": "original | RCGANAugment seed 1 | RCGANAugment seed 2 | classical",
        "clips_per_second": rate,
        "measured_on": (
            f"batches of {args.batch} uint8 Moving MNIST clips {args.frames}x1x{size}x{size} "
            f"(checkpoint {augs[0].checkpoint})"
        ),
    }


#: (name, section) in the order they run; each writes its own GIF.
SECTIONS: list[tuple[str, Callable[[torch.Tensor, torch.Tensor, argparse.Namespace], dict[str, Any]]]] = [
    ("transforms", transforms_section),
    ("mix", mix_section),
    ("rcgan", rcgan_section),
]


def run(args: argparse.Namespace) -> int:
    """Make the clips, run every section, print where each GIF went and the throughput measured.

    Returns 0, or 1 when a checkpoint given with ``--rcgan-checkpoint`` was not found (its section is
    skipped, the others still run).
    """
    if args.clips < 1 or args.batch < 1:
        raise ValueError(f"--clips and --batch: expected >= 1, got {args.clips} and {args.batch}")
    check_out_dir(args.out)
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    clips, labels = make_clips(args.clips, args.frames, args.size, args.classes, generator=g)
    clips, labels = clips.to(args.device), labels.to(args.device)
    names = ", ".join(f"{i}: {CLASS_NAMES[i]}" for i in range(args.classes))
    print(f"videoaug demo: {args.clips} clips of {args.frames}x3x{args.size}x{args.size}, classes {names}")
    print(f"device {args.device}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    status = 0
    for name, section in SECTIONS:
        result = section(clips, labels, args)
        if "skipped" in result:
            print(f"[{name}] skipped: {result['skipped']}")
            status = 1 if name == "rcgan" and getattr(args, "rcgan_checkpoint", None) else status
            continue
        columns = result.get("columns", "original | augmented")
        line = f"[{name}] wrote {result['gif']} (rows: {result.get('rows', 'clips')}; columns: {columns})"
        if "clips_per_second" in result:
            line += f"; throughput {result['clips_per_second']:.1f} clips/s on {result['measured_on']}"
        if "throughput" in result:
            rates = ", ".join(f"{k} {v:.1f}" for k, v in result["throughput"].items())
            line += f"; throughput (clips/s) {rates} on {result['measured_on']}"
        print(line)
    return status


main = command_main("demo")  # ``videoaug demo ARGS`` in-process, returns the exit code


if __name__ == "__main__":  # python -m videoaug.cli.demo (or its old name)
    sys.exit(main())
