"""One-thread CPU time of videoaug's public API, for comparing two checkouts of the package.

``videoaug bench`` compares videoaug with torchvision and kornia inside one process; it cannot put two versions
of videoaug side by side. This script times a fixed set of workloads through the public API only (names and
arguments that every version since issue 13's restructuring keeps), so the same file runs against an older
checkout and a newer one. Run the two alternately, several rounds, and compare the medians::

    for r in 1 2 3 4; do
      PYTHONPATH=/path/to/old OMP_NUM_THREADS=1 python examples/bench_public_api.py --json old-$r.json
      PYTHONPATH=/path/to/new OMP_NUM_THREADS=1 python examples/bench_public_api.py --json new-$r.json
    done

Each workload is timed with ``time.process_time`` (this process's CPU time, one torch thread), so other work
on the machine inflates it far less than wall time; the median of ``--repeats`` calls after one warm-up.
Inputs: uint8 batches ``(32, 16, 3, 128, 171)`` (one clip ``(16, 3, 128, 171)``), float ``(32, 16, 3, 112,
112)`` for the mixes; ``--quick`` shrinks them for tests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence

import torch
from torchvision.transforms import v2

import videoaug.transforms as VT
from videoaug.mix import CutMix, MixUp


def workloads(quick: bool = False) -> dict[str, Callable[[], object]]:
    """Name -> a call that runs one workload on fixed random inputs (seed 0)."""
    b, t, h, w, crop = (2, 4, 32, 43, 28) if quick else (32, 16, 128, 171, 112)
    g = torch.Generator().manual_seed(0)
    u8 = torch.randint(0, 256, (b, t, 3, h, w), dtype=torch.uint8, generator=g)
    clip = u8[0].clone()
    floats = torch.rand(b, t, 3, crop, crop, generator=g)
    labels = torch.randint(0, 10, (b,), generator=g)
    standard = v2.Compose([
        VT.RandomResizedCrop(crop), VT.RandomHorizontalFlip(), VT.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8),
        VT.ToDtype(torch.float32, scale=True), VT.Normalize([0.45] * 3, [0.225] * 3),
    ])
    affine = VT.RandomAffine(15, (0.1, 0.1), (0.9, 1.1))
    jitter = VT.ColorJitter(0.4, 0.4, 0.4, 0.1)
    policy = VT.VideoRandAugment()
    erase = v2.Compose([VT.TemporalReverse(p=0.5), VT.RandomTubeErasing(p=0.5)])
    mixup = MixUp(alpha=0.2, num_classes=10, mode="elem")
    cutmix = CutMix(alpha=1.0, num_classes=10)
    cutmix_t = CutMix(alpha=1.0, num_classes=10, kind="temporal", mode="elem")
    return {
        f"standard pipeline, batch {b}": lambda: standard(u8),
        "standard pipeline, one clip": lambda: standard(clip),
        f"RandomAffine, batch {b}": lambda: affine(u8),
        f"ColorJitter, batch {b}": lambda: jitter(u8),
        f"VideoRandAugment, batch {b}": lambda: policy(u8),
        f"TemporalReverse + RandomTubeErasing, batch {b}": lambda: erase(u8),
        f"MixUp(elem), float batch {b}": lambda: mixup(floats, labels),
        f"CutMix(spatial), float batch {b}": lambda: cutmix(floats, labels),
        f"CutMix(temporal), float batch {b}": lambda: cutmix_t(floats, labels),
    }


def cpu_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Median CPU seconds of ``repeats`` calls of ``fn`` after one warm-up call.

    Not ``videoaug.cli.bench.time_call``: this file must also run against checkouts older than that helper."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=15, help="timed calls per workload (median reported)")
    p.add_argument("--json", default="", help="write {workload: median CPU seconds} to this file")
    p.add_argument("--quick", action="store_true", help="tiny inputs and 1 repeat (for tests)")
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error(f"--repeats: expected at least 1, got {args.repeats}")
    torch.set_num_threads(1)
    repeats = 1 if args.quick else args.repeats
    result = {name: cpu_seconds(fn, repeats) for name, fn in workloads(args.quick).items()}
    for name, seconds in result.items():
        print(f"{name:50s} {seconds * 1e3:9.1f} ms")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
