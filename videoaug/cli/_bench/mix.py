"""Bench suite ``mix``: videoaug's MixUp / CutMix against torchvision v2's, alone and as the overhead they add on
top of the standard video pipeline.

Input: the bench batch of :mod:`videoaug.cli._bench.transforms` -- B uint8 clips ``16 x 3 x 128 x 171`` (B from
``--batch``, 32 by default) -- and its standard videoaug pipeline (:func:`~videoaug.cli._bench.transforms.
videoaug_pipeline`: ``RandomResizedCrop(112, scale=(0.5, 1))``, flip, ``ColorJitter`` with p=0.8, ``ToDtype``,
``Normalize``), whose output is a float batch ``B x 16 x 3 x 112 x 112``. Rows (pipelines) and implementations,
all timed in this process:

- ``mixup`` / ``cutmix``: the mixes alone on one output of that pipeline (float): videoaug ``MixUp`` in
  ``batch`` and ``elem`` mode against torchvision ``v2.MixUp`` (one lambda per batch); videoaug ``CutMix``
  spatial in ``batch`` and ``elem`` mode, temporal and spatio-temporal in ``elem`` mode, against torchvision
  ``v2.CutMix`` (one spatial box per batch; torchvision has no temporal cut);
- ``standard pipeline + mix``: the pipeline alone on the uint8 batch, then the pipeline followed by each mix
  (videoaug MixUp batch/elem, CutMix temporal and spatio-temporal; torchvision MixUp and CutMix, the batch
  wrapped as ``tv_tensors.Video`` as they require). ``extra["overhead_percent"]`` is the added time relative
  to the pipeline alone, from the medians; ``extra["paired_overhead_percent"]`` is the median over rounds of
  the same ratio taken within a round (the pipeline alone and with the mix run back to back), which is less
  sensitive to load that changes between rounds. Two more rows place CutMix (which keeps uint8) before
  ``ToDtype``/``Normalize``, where it moves a quarter of the bytes: the order we recommend.

Every implementation is timed round-robin (one run of each per round, ``--repeats`` rounds after one warm-up,
medians) under ``torch.no_grad``, so load from other processes shifts all of them alike. ``--quick`` uses the
tiny sizes of the transforms suite.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable

import torch
from torchvision import tv_tensors
from torchvision.transforms import v2

from videoaug.mix import CutMix, MixUp

from . import Record, time_round_robin
from .transforms import _sizes as _pipeline_sizes
from .transforms import input_batch, videoaug_pipeline

NUM_CLASSES = 101
PIPELINE_ONLY = "standard pipeline only"


def _sizes(args: argparse.Namespace) -> tuple[int, int, int, int, int]:
    """(B, T, H, W, crop) of the transforms suite: 32 x 16 x 128 x 171 -> 112 by default, tiny with --quick."""
    return _pipeline_sizes(args)


def _record(pipeline: str, impl: str, device: torch.device, batch: int, seconds: float, shape: tuple,
            **extra: float) -> Record:
    return Record(pipeline=pipeline, impl=impl, device=device.type, batch=batch,
                  clips_per_second=batch / seconds,
                  extra={"median_seconds": seconds, "shape": list(shape), **extra})


def _cutmix(kind: str, mode: str) -> CutMix:
    return CutMix(alpha=1.0, num_classes=NUM_CLASSES, kind=kind, mode=mode)


def _mixes() -> dict[str, list[tuple[str, Callable, bool]]]:
    """``{group: [(impl name, mix, needs tv_tensors.Video)]}`` for the mix-alone rows."""
    return {
        "mixup": [
            ("videoaug MixUp(batch)", MixUp(alpha=1.0, num_classes=NUM_CLASSES, mode="batch"), False),
            ("videoaug MixUp(elem)", MixUp(alpha=1.0, num_classes=NUM_CLASSES, mode="elem"), False),
            ("torchvision v2.MixUp", v2.MixUp(alpha=1.0, num_classes=NUM_CLASSES), True),
        ],
        "cutmix": [
            ("videoaug CutMix(spatial,batch)", _cutmix("spatial", "batch"), False),
            ("videoaug CutMix(spatial,elem)", _cutmix("spatial", "elem"), False),
            ("videoaug CutMix(temporal,elem)", _cutmix("temporal", "elem"), False),
            ("videoaug CutMix(spatiotemp,elem)", _cutmix("spatiotemporal", "elem"), False),
            ("torchvision v2.CutMix", v2.CutMix(alpha=1.0, num_classes=NUM_CLASSES), True),
        ],
    }


def _after_pipeline() -> list[tuple[str, Callable, bool]]:
    """The mixes timed after the standard pipeline: ``(impl name, mix, needs tv_tensors.Video)``."""
    return [
        ("+ videoaug MixUp(batch)", MixUp(alpha=1.0, num_classes=NUM_CLASSES, mode="batch"), False),
        ("+ videoaug MixUp(elem)", MixUp(alpha=1.0, num_classes=NUM_CLASSES, mode="elem"), False),
        ("+ videoaug CutMix(temporal,elem)", _cutmix("temporal", "elem"), False),
        ("+ videoaug CutMix(spatiotemp,elem)", _cutmix("spatiotemporal", "elem"), False),
        ("+ torchvision v2.MixUp", v2.MixUp(alpha=1.0, num_classes=NUM_CLASSES), True),
        ("+ torchvision v2.CutMix", v2.CutMix(alpha=1.0, num_classes=NUM_CLASSES), True),
    ]


def run(args: argparse.Namespace, device: torch.device) -> list[Record]:
    """Measure the mixing rows; returns one :class:`~videoaug.bench.Record` per implementation."""
    device = torch.device(device)
    b, t, h, w, crop = _sizes(args)
    batch_u8, gen, repeats = input_batch(args, device)
    labels = torch.randint(0, NUM_CLASSES, (b,), generator=gen).to(device)
    pipeline = videoaug_pipeline(crop)
    with torch.no_grad():
        videos = pipeline(batch_u8)  # one float output of the pipeline: the input of the mix-alone rows
    video_tv = tv_tensors.Video(videos)  # torchvision's MixUp/CutMix take a 5-D batch only as a Video
    out_shape = tuple(videos.shape)
    out_name = "x".join(map(str, out_shape))

    rows: list[tuple[str, str, Callable[[], object]]] = []
    for name, group in _mixes().items():
        for impl, mix, wrap in group:
            x = video_tv if wrap else videos
            rows.append((f"{name} float {out_name}", impl, lambda mix=mix, x=x: mix(x, labels)))

    pipeline_name = f"standard pipeline + mix uint8 {t}x3x{h}x{w}->{crop}"
    rows.append((pipeline_name, PIPELINE_ONLY, lambda: pipeline(batch_u8)))
    for impl, mix, wrap in _after_pipeline():
        def step(mix=mix, wrap=wrap) -> object:
            out = pipeline(batch_u8)
            return mix(tv_tensors.Video(out) if wrap else out, labels)

        rows.append((pipeline_name, impl, step))
    # CutMix keeps uint8, so it can run before ToDtype/Normalize, on a quarter of the bytes.
    head, tail = v2.Compose(pipeline.transforms[:-2]), v2.Compose(pipeline.transforms[-2:])
    for kind in ("temporal", "spatiotemporal"):
        early_mix = _cutmix(kind, "elem")

        def early_step(mix=early_mix) -> object:
            out, soft = mix(head(batch_u8), labels)
            return tail(out), soft

        rows.append((pipeline_name, f"+ videoaug CutMix({kind[:10]},elem) on uint8", early_step))

    with torch.no_grad():
        times = time_round_robin([fn for _, _, fn in rows], repeats=repeats, device=device.type)
    seconds = [statistics.median(ts) for ts in times]
    base_index = [impl for _, impl, _ in rows].index(PIPELINE_ONLY)
    base, base_times = seconds[base_index], times[base_index]
    records = []
    for (name, impl, _), sec, ts in zip(rows, seconds, times, strict=True):
        extra: dict[str, float] = {"repeats": repeats}
        if name == pipeline_name:
            paired = statistics.median(x / y for x, y in zip(ts, base_times, strict=True))
            extra["overhead_percent"] = 100.0 * (sec - base) / base
            extra["paired_overhead_percent"] = 100.0 * (paired - 1.0)
        shape = (b, t, 3, h, w) if name == pipeline_name else out_shape
        records.append(_record(name, impl, device, b, sec, shape, **extra))
    return records
