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
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch
from torchvision import tv_tensors
from torchvision.transforms import v2

from ..bench import Record, time_call
from ..mix import CutMix, MixUp

NUM_CLASSES = 101


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

    def timed(fn: Callable[[], object]) -> float:
        return time_call(fn, repeats=repeats, warmup=1, device=device.type)

    shape_name = "x".join(map(str, shape))
    records: list[Record] = []

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
    for name, rows in contenders.items():
        for impl, mix, x in rows:
            seconds = timed(lambda mix=mix, x=x: mix(x, labels))
            records.append(_record(f"{name} float {shape_name}", impl, device, b, seconds, shape))

    # The input pipeline alone, then followed by a mix: the overhead mixing adds to a training step's input.
    mean = torch.tensor([0.43, 0.40, 0.37], device=device).view(1, 1, 3, 1, 1)
    std = torch.tensor([0.23, 0.22, 0.22], device=device).view(1, 1, 3, 1, 1)

    def pipeline() -> torch.Tensor:
        return videos_u8.float().div_(255).sub_(mean).div_(std)

    base = timed(pipeline)
    pipeline_name = f"uint8->float+normalise+mix {shape_name}"
    records.append(_record(pipeline_name, "normalise only", device, b, base, shape, overhead_percent=0.0))
    with_mix = [
        ("+ videoaug MixUp(elem)", MixUp(num_classes=NUM_CLASSES, mode="elem")),
        ("+ videoaug CutMix(spatiotemp,elem)", _cutmix("spatiotemporal", "elem")),
        ("+ torchvision v2.MixUp", v2.MixUp(alpha=1.0, num_classes=NUM_CLASSES)),
    ]
    for impl, mix in with_mix:
        wrap = isinstance(mix, (v2.MixUp, v2.CutMix))
        seconds = timed(lambda mix=mix, wrap=wrap: mix(tv_tensors.Video(pipeline()) if wrap else pipeline(),
                                                       labels))
        records.append(_record(pipeline_name, impl, device, b, seconds, shape,
                               overhead_percent=100.0 * (seconds - base) / base))
    return records
