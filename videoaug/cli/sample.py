"""``videoaug sample``: write generated variants of real clips from a generator checkpoint as a GIF grid.

Each row of the grid is one input clip followed by ``--variants`` generated variants (different noise).

Examples::

    videoaug sample --checkpoint checkpoints/moving_mnist --input moving-mnist --out grid.gif
    videoaug sample --checkpoint runs/mine/generator --input clip.mp4 --label 3 --out grid.gif
    videoaug sample --checkpoint runs/mine/generator --input ~/videos/jumping --out grid.gif
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from videoaug.cli import command_main

__all__ = ["add_arguments", "run", "main", "sample_grid", "load_inputs"]

_VIDEO_EXTS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".gif")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="generator checkpoint directory (or its name)")
    parser.add_argument(
        "--input",
        required=True,
        help="a video file, a folder of videos, or 'moving-mnist' (held-out generated clips)",
    )
    parser.add_argument("--out", required=True, help="output GIF")
    parser.add_argument(
        "--label",
        help="class index or name to condition on (default: the clip's own label "
        "for moving-mnist, else 'no label')",
    )
    parser.add_argument("--num-clips", type=int, default=4, help="input clips (rows)")
    parser.add_argument("--variants", type=int, default=2, help="generated variants per clip")
    parser.add_argument("--strength", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fps", type=float, default=8)
    parser.add_argument("--device", default="cpu")


def _checkpoint_dir(name: str) -> Path:
    path = Path(name).expanduser()
    if path.exists():
        return path
    try:
        from videoaug.gan.augment import resolve_checkpoint

        return resolve_checkpoint(name)
    except ImportError:  # pragma: no cover - augment.py ships with the package
        raise FileNotFoundError(f"--checkpoint: no such checkpoint {name!r}") from None


def load_inputs(source: str, config: dict, num_clips: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Input clips uint8 ``(N, T, C, H, W)`` at the checkpoint's frame count and their labels (-1: none)."""
    from videoaug.gan.data import fit_clip

    T, C = int(config["num_frames"]), int(config["channels"])
    res = tuple(config["resolution"])
    if source == "moving-mnist":
        from videoaug.datasets import MovingMNIST

        ds = MovingMNIST(num_clips, split="test", num_frames=T, size=res[0])
        items = [ds[i] for i in range(num_clips)]
        return torch.stack([fit_clip(c, T, res, C) for c, _ in items]), torch.tensor(
            [lab for _, lab in items]
        )
    path = Path(source).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in _VIDEO_EXTS)[:num_clips]
        if not files:
            raise FileNotFoundError(f"--input: no video files in {str(path)!r}")
    elif path.is_file():
        files = [path]
    else:
        raise FileNotFoundError(f"--input: no such file or folder {str(path)!r}")
    from videoaug.io import read_clip

    clips = []
    for f in files:
        clip = read_clip(f, num_frames=T, sampling="uniform")
        clips.append(fit_clip(clip, T, res, C))
    return torch.stack(clips), torch.full((len(clips),), -1, dtype=torch.long)


@torch.no_grad()
def sample_grid(
    generator,
    clips: torch.Tensor,
    labels: torch.Tensor,
    variants: int = 2,
    strength: float = 1.0,
    seed: int = 0,
) -> torch.Tensor:
    """``(N * (1 + variants), T, C, H, W)`` uint8: each input followed by its generated variants."""
    g = torch.Generator().manual_seed(seed)
    n, T = clips.shape[:2]
    rows = [clips]
    device = next(generator.parameters()).device
    for _ in range(variants):
        noise = generator.sample_noise(n, T, generator=g, device="cpu")
        noise = tuple(v.to(device) for v in noise)
        rows.append(generator(clips.to(device), labels.to(device), noise, strength=strength).cpu())
    return torch.stack(rows, dim=1).flatten(0, 1)


def _parse_label(label: str | None, config: dict, n: int, default: torch.Tensor) -> torch.Tensor:
    if label is None:
        return default
    names = list(config["class_names"])
    if label in names:
        idx = names.index(label)
    else:
        try:
            idx = int(label)
        except ValueError:
            raise ValueError(f"--label: expected a class index or one of {names}, got {label!r}") from None
    if not -1 <= idx < int(config["num_classes"]):
        raise ValueError(f"--label: expected -1..{int(config['num_classes']) - 1}, got {idx}")
    return torch.full((n,), idx, dtype=torch.long)


def run(args: argparse.Namespace) -> int:
    from videoaug.cli._paths import check_out_file
    from videoaug.gan.checkpoint import load_generator
    from videoaug.io import write_gif

    if args.num_clips < 1 or args.variants < 1:
        raise ValueError("--num-clips and --variants must be >= 1")
    check_out_file(args.out)
    generator, config = load_generator(_checkpoint_dir(args.checkpoint), device=args.device)
    clips, labels = load_inputs(args.input, config, args.num_clips)
    labels = _parse_label(args.label, config, len(clips), labels)
    grid = sample_grid(generator, clips, labels, args.variants, args.strength, args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_gif(out, grid, fps=args.fps, nrow=1 + args.variants)
    print(f"wrote {out}: {len(clips)} clips x (input + {args.variants} variants)")
    return 0


main = command_main("sample")  # ``videoaug sample ARGS`` in-process, returns the exit code


if __name__ == "__main__":  # python -m videoaug.cli.sample (or its old name)
    sys.exit(main())
