"""Bench suite ``mix``: videoaug's MixUp / CutMix against torchvision v2's on the same float batch, and the
cost of mixing on top of the input pipeline.

Rows (pipelines) and their implementations, all measured in this process on the same batch:

- ``mixup``: videoaug ``MixUp`` in ``batch`` and ``elem`` mode, torchvision ``v2.MixUp`` (one lambda per
  batch);
- ``cutmix``: videoaug ``CutMix`` spatial in ``batch`` and ``elem`` mode, temporal and spatio-temporal in
  ``elem`` mode, torchvision ``v2.CutMix`` (one spatial box per batch; no temporal cut exists there);
- ``pipeline+mix``: the input pipeline alone, then with a mix after it; ``extra["overhead_percent"]`` is
  the added time relative to the pipeline alone. The pipeline is a uint8 -> float conversion with
  per-channel normalisation of the batch (``videoaug._bench.transforms`` offers no shared pipeline helper
  to reuse), so the percentage is relative to that plain step; a pipeline with crops and colour jitter
  costs more, making the relative overhead smaller.

Every implementation is timed round-robin (one run of each per round, ``--repeats`` rounds, medians), so load
from other processes on a shared machine shifts all of them alike.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable

import torch
from torchvision import tv_tensors
from torchvision.transforms import v2

from ..bench import Record, sync, time_call
from ..mix import CutMix, MixUp

NUM_CLASSES = 101
PIPELINE_ONLY = "normalise only"


def _sizes(args: argparse.Namespace) -> tuple[int, int, int, int]:
    """(B, T, H, W): 32 x 16 x 112 x 112 by default (B from --batch), tiny with --quick."""
    if getattr(args, "quick", False):
        return min(args.batch, 4), 4, 32, 32
    return args.batch, 16, 112, 112


def _record(pipeline: str, impl: str, device: torch.device, batch: int, seconds: float, shape: tuple,
            **extra: float) -> Record:
    return Record(pipeline=pipeline, impl=impl, device=device.type, batch=batch,
                  clips_per_second=batch / seconds,
                  extra={"median_seconds": seconds, "shape": list(shape), **extra})


def _cutmix(kind: str, mode: str) -> CutMix:
    return CutMix(alpha=1.0, num_classes=NUM_CLASSES, kind=kind, mode=mode)


def run(args: argparse.Namespace, device: torch.device) -> list[Record]:
    """Measure the mixing rows; returns one :class:`~videoaug.bench.Record` per implementation."""
    device = torch.device(device)
    b, t, h, w = _sizes(args)
    repeats = max(1, int(args.repeats))
    shape = (b, t, 3, h, w)
    gen = torch.Generator().manual_seed(0)
    videos_u8 = torch.randint(0, 256, shape, generator=gen, dtype=torch.uint8).to(device)
    videos = videos_u8.float().div_(255)
    labels = torch.randint(0, NUM_CLASSES, (b,), generator=gen).to(device)
    video_tv = tv_tensors.Video(videos)  # torchvision's MixUp/CutMix take a 5-D batch only as a Video

    shape_name = "x".join(map(str, shape))
    rows: list[tuple[str, str, Callable[[], object]]] = []
    contenders = {
        "mixup": [
            ("videoaug MixUp(batch)", MixUp(alpha=1.0, num_classes=NUM_CLASSES, mode="batch"), videos),
            ("videoaug MixUp(elem)", MixUp(alpha=1.0, num_classes=NUM_CLASSES, mode="elem"), videos),
            ("torchvision v2.MixUp", v2.MixUp(alpha=1.0, num_classes=NUM_CLASSES), video_tv),
        ],
        "cutmix": [
            ("videoaug CutMix(spatial,batch)", _cutmix("spatial", "batch"), videos),
            ("videoaug CutMix(spatial,elem)", _cutmix("spatial", "elem"), videos),
            ("videoaug CutMix(temporal,elem)", _cutmix("temporal", "elem"), videos),
            ("videoaug CutMix(spatiotemp,elem)", _cutmix("spatiotemporal", "elem"), videos),
            ("torchvision v2.CutMix", v2.CutMix(alpha=1.0, num_classes=NUM_CLASSES), video_tv),
        ],
    }
    for name, group in contenders.items():
        for impl, mix, x in group:
            rows.append((f"{name} float {shape_name}", impl, lambda mix=mix, x=x: mix(x, labels)))

    # The input step alone, then followed by a mix: the overhead mixing adds to a training step's input.
    mean = torch.tensor([0.43, 0.40, 0.37], device=device).view(1, 1, 3, 1, 1)
    std = torch.tensor([0.23, 0.22, 0.22], device=device).view(1, 1, 3, 1, 1)

    def pipeline() -> torch.Tensor:
        return videos_u8.float().div_(255).sub_(mean).div_(std)

    pipeline_name = f"uint8->float+normalise+mix {shape_name}"
    rows.append((pipeline_name, PIPELINE_ONLY, pipeline))
    with_mix = [
        ("+ videoaug MixUp(elem)", MixUp(num_classes=NUM_CLASSES, mode="elem"), False),
        ("+ videoaug CutMix(spatiotemp,elem)", _cutmix("spatiotemporal", "elem"), False),
        ("+ torchvision v2.MixUp", v2.MixUp(alpha=1.0, num_classes=NUM_CLASSES), True),
    ]
    for impl, mix, wrap in with_mix:
        def step(mix=mix, wrap=wrap) -> object:
            batch = pipeline()
            return mix(tv_tensors.Video(batch) if wrap else batch, labels)

        rows.append((pipeline_name, impl, step))

    seconds = _interleaved([fn for _, _, fn in rows], repeats, device)
    base = seconds[[impl for _, impl, _ in rows].index(PIPELINE_ONLY)]
    records = []
    for (pipeline_, impl, _), sec in zip(rows, seconds, strict=True):
        extra = {"overhead_percent": 100.0 * (sec - base) / base} if pipeline_ == pipeline_name else {}
        records.append(_record(pipeline_, impl, device, b, sec, shape, **extra))
    return records


def _interleaved(fns: list[Callable[[], object]], repeats: int, device: torch.device) -> list[float]:
    """Median seconds of each function, timed round-robin (one run of each per round) so that load from other
    processes shifts all of them alike instead of whichever happened to run during it."""
    times: list[list[float]] = [[] for _ in fns]
    for fn in fns:  # warm-up
        fn()
        sync(device)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            times[i].append(time_call(fn, repeats=1, warmup=0, device=device.type))
    return [statistics.median(t) for t in times]
