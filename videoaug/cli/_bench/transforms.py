"""Bench suite ``transforms``: the standard video training pipeline in videoaug, torchvision v2 and kornia.

The pipeline (UCF-101 style): ``RandomResizedCrop(112, scale=(0.5, 1))``, ``RandomHorizontalFlip``,
``ColorJitter(0.4, 0.4, 0.4, 0.1)`` applied with probability 0.8, ``ToDtype(float32, scale=True)``,
``Normalize`` -- on uint8 clips ``16 x 3 x 128 x 171``. Implementations, all timed in this process on the same
input, round-robin (one run of each per round, so load from other processes shifts all of them alike):

- batch of B clips (``--batch``, 32 by default):
  - ``torchvision v2 (clip by clip)``: ``v2.Compose`` called on each clip (torchvision draws one set of
    parameters per call, so per-clip randomness needs one call per clip); ColorJitter in
    ``RandomApply(p=0.8)``;
  - ``kornia VideoSequential``: ``VideoSequential(..., data_format="BTCHW", same_on_frame=True)`` on the
    batch; kornia needs float input, so the uint8 -> float conversion of the whole batch is inside the timing;
  - ``videoaug (batch)``: the videoaug transforms on the batch (``ColorJitter(..., p=0.8)`` drawn per clip),
    one transform after the other in ``v2.Compose``;
  - ``videoaug fuse() (batch)``: the same transforms through :func:`videoaug.transforms.fuse`, one pass;
  - ``floor``: one read of the input and one uint8 -> float write of the output's size, the least any
    implementation must do;
- one clip (what a DataLoader worker does): ``torchvision v2``, ``videoaug`` and ``videoaug fuse()`` on one
  ``(T, C, H, W)`` clip, and the floor for one clip;
- the same batch and clip rows on input stored ``(T, H, W, C)`` in memory (rows ``stored THWC: ...``): the
  layout :func:`videoaug.io.read_clip` returns (a ``(T, C, H, W)`` view of decoded frames), in which torch's
  uint8 resize skips its layout conversions;
- the stages of the unfused videoaug pipeline on the batch, each on the output of the one before (computed once
  before timing), and the floor again: where the unfused time goes;
- ``dynamic=True pipeline``: the videoaug pipeline with ``dynamic=True`` on ``RandomResizedCrop`` and
  ``ColorJitter`` (parameters drifting over the frames), on the batch and on one clip: the cost of DynaAugment
  against the ``videoaug`` rows above.

``--dtype bfloat16`` makes every implementation output bfloat16 instead of float32 (``ToDtype``; kornia
converts its input to it). ``--quick`` shrinks everything (4 clips of 4 x 3 x 32 x 43 cropped to 28) so that
tests can run the suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import torch
from torchvision.transforms import v2

from videoaug import transforms as T

from . import Record, time_round_robin

MEAN = (0.45, 0.45, 0.45)
STD = (0.225, 0.225, 0.225)
TORCHVISION = "torchvision v2 (clip by clip)"
TORCHVISION_ONE = "torchvision v2"
KORNIA = "kornia VideoSequential"
VIDEOAUG = "videoaug (batch)"
VIDEOAUG_ONE = "videoaug"
VIDEOAUG_FUSED = "videoaug fuse() (batch)"
VIDEOAUG_FUSED_ONE = "videoaug fuse()"
FLOOR = "floor (read + uint8->float write)"
DYNAMIC = "dynamic=True pipeline"
HWC_PREFIX = "stored THWC: "


def _sizes(args: argparse.Namespace) -> tuple[int, int, int, int, int]:
    """(B, T, H, W, crop): 32 x 16 x 128 x 171 -> 112 by default (B from --batch); tiny with --quick."""
    if getattr(args, "quick", False):
        return max(1, min(args.batch, 4)), 4, 32, 43, 28
    return args.batch, 16, 128, 171, 112


def input_batch(args: argparse.Namespace, device: torch.device) -> tuple[torch.Tensor, torch.Generator, int]:
    """The suites' input: a seeded uint8 batch ``(B, T, 3, H, W)`` of :func:`_sizes` on ``device``, the generator
    that drew it (for further draws) and the number of timed repeats (``--repeats``, at least 1)."""
    b, t, h, w, _ = _sizes(args)
    gen = torch.Generator().manual_seed(0)
    batch = torch.randint(0, 256, (b, t, 3, h, w), generator=gen, dtype=torch.uint8).to(device)
    return batch, gen, max(1, int(args.repeats))


def videoaug_pipeline(crop: int, dtype: torch.dtype = torch.float32, dynamic: bool = False) -> v2.Compose:
    """The standard pipeline; ``dynamic=True`` lets the crop's position and the colour factors drift over the
    frames (DynaAugment)."""
    return v2.Compose([
        T.RandomResizedCrop(crop, scale=(0.5, 1.0), dynamic=dynamic),
        T.RandomHorizontalFlip(),
        T.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8, dynamic=dynamic),
        T.ToDtype(dtype, scale=True),
        T.Normalize(MEAN, STD),
    ])


def fused_pipeline(crop: int, dtype: torch.dtype = torch.float32) -> v2.Compose:
    """:func:`videoaug_pipeline` through :func:`videoaug.transforms.fuse` (one pass for a float32 output)."""
    return T.fuse(videoaug_pipeline(crop, dtype))


def torchvision_pipeline(crop: int, dtype: torch.dtype = torch.float32) -> v2.Compose:
    return v2.Compose([
        v2.RandomResizedCrop(crop, scale=(0.5, 1.0), antialias=True),
        v2.RandomHorizontalFlip(),
        v2.RandomApply([v2.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        v2.ToDtype(dtype, scale=True),
        v2.Normalize(MEAN, STD),
    ])


def kornia_pipeline(crop: int, device: torch.device, dtype: torch.dtype = torch.float32
                    ) -> Callable[[torch.Tensor], torch.Tensor]:
    import kornia.augmentation as K

    seq = K.VideoSequential(
        K.RandomResizedCrop((crop, crop), scale=(0.5, 1.0)),
        K.RandomHorizontalFlip(),
        K.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8),
        K.Normalize(torch.tensor(MEAN), torch.tensor(STD)),
        data_format="BTCHW",
        same_on_frame=True,
    ).to(device)

    def run(batch_u8: torch.Tensor) -> torch.Tensor:
        return seq(batch_u8.to(dtype).div_(255))

    return run


def _floor(x: torch.Tensor, crop: int, dtype: torch.dtype = torch.float32) -> Callable[[], object]:
    """Read every input byte once (a max) and write a float output of the output's size (a converting copy of
    the top-left crop)."""
    out_shape = (*x.shape[:-2], crop, crop)

    def run() -> object:
        peak = torch.amax(x)
        out = torch.empty(out_shape, dtype=dtype, device=x.device).copy_(x[..., :crop, :crop])
        return out, peak

    return run


def _stages(pipeline: v2.Compose, batch: torch.Tensor) -> list[tuple[str, Callable[[], object]]]:
    """One ``(class name, call)`` per transform of ``pipeline``, each called on the output of the one before."""
    stages = []
    x = batch
    with torch.no_grad():
        for transform in pipeline.transforms:
            stages.append((type(transform).__name__, lambda t=transform, x=x: t(x)))
            x = transform(x)
    return stages


def run(args: argparse.Namespace, device: torch.device) -> list[Record]:
    """Time the standard pipeline in every implementation; one :class:`~videoaug.bench.Record` each."""
    device = torch.device(device)
    b, t, h, w, crop = _sizes(args)
    batch, _, repeats = input_batch(args, device)
    clip = batch[0].clone()
    hwc = batch.permute(0, 1, 3, 4, 2).contiguous().permute(0, 1, 4, 2, 3)  # same values, read_clip's layout
    dtype = getattr(torch, getattr(args, "dtype", "float32"))
    ours, theirs = videoaug_pipeline(crop, dtype), torchvision_pipeline(crop, dtype)
    kornia, fused = kornia_pipeline(crop, device, dtype), fused_pipeline(crop, dtype)
    dynamic = videoaug_pipeline(crop, dtype, dynamic=True)
    shape = f"{t}x3x{h}x{w}->{crop}"
    batch_name = f"standard pipeline uint8 {shape}"
    clip_name = f"standard pipeline uint8 {shape}, one clip"
    stages_name = f"stages of the standard pipeline {shape}"
    rows: list[tuple[str, str, int, Callable[[], object]]] = [
        (batch_name, TORCHVISION, b, lambda: [theirs(c) for c in batch]),
        (batch_name, KORNIA, b, lambda: kornia(batch)),
        (batch_name, VIDEOAUG, b, lambda: ours(batch)),
        (batch_name, VIDEOAUG_FUSED, b, lambda: fused(batch)),
        (batch_name, FLOOR, b, _floor(batch, crop, dtype)),
        (clip_name, TORCHVISION_ONE, 1, lambda: theirs(clip)),
        (clip_name, VIDEOAUG_ONE, 1, lambda: ours(clip)),
        (clip_name, VIDEOAUG_FUSED_ONE, 1, lambda: fused(clip)),
        (clip_name, FLOOR, 1, _floor(clip.unsqueeze(0), crop, dtype)),
        (HWC_PREFIX + batch_name, VIDEOAUG, b, lambda: ours(hwc)),
        (HWC_PREFIX + batch_name, VIDEOAUG_FUSED, b, lambda: fused(hwc)),
        (HWC_PREFIX + batch_name, FLOOR, b, _floor(hwc, crop, dtype)),
        (HWC_PREFIX + clip_name, TORCHVISION_ONE, 1, lambda: theirs(hwc[0])),
        (HWC_PREFIX + clip_name, VIDEOAUG_ONE, 1, lambda: ours(hwc[0])),
        (HWC_PREFIX + clip_name, VIDEOAUG_FUSED_ONE, 1, lambda: fused(hwc[0])),
        *((stages_name, name, b, fn) for name, fn in _stages(ours, batch)),
        (stages_name, FLOOR, b, _floor(batch, crop, dtype)),
        (f"{DYNAMIC} uint8 {shape}", VIDEOAUG, b, lambda: dynamic(batch)),
        (f"{DYNAMIC} uint8 {shape}, one clip", VIDEOAUG_ONE, 1, lambda: dynamic(clip)),
    ]
    cpu: list[list[float]] = [[] for _ in rows]
    with torch.no_grad():
        times = time_round_robin([_cpu_timed(fn, c) for (*_, fn), c in zip(rows, cpu, strict=True)],
                                 repeats=repeats, device=device.type)
        seconds = [statistics.median(t) for t in times]
    records = []
    for (pipeline, impl, n, _), sec, c in zip(rows, seconds, cpu, strict=True):
        records.append(Record(pipeline=pipeline, impl=impl, device=device.type, batch=n,
                              clips_per_second=n / sec,
                              extra={"median_seconds": sec, "median_cpu_seconds": statistics.median(c[1:] or c),
                                     "repeats": repeats, "clip_shape": [t, 3, h, w], "crop": crop,
                                     "dtype": str(dtype),
                                     # torch's huge-page allocation: it decides what the floor's fresh
                                     # output pages cost (see docs/benchmarks.md)
                                     "thp_mem_alloc": os.environ.get("THP_MEM_ALLOC_ENABLE", "")}))
    return records


def _cpu_timed(fn: Callable[[], object], store: list[float]) -> Callable[[], object]:
    """``fn``, appending the process CPU seconds of each call to ``store``. On a loaded machine a long call
    waits for the CPU many times and a short one (the floor) hardly at all, which inflates wall-time ratios to
    the floor; CPU time does not wait (on a GPU it only counts the launches)."""

    def timed() -> object:
        start = time.process_time()
        out = fn()
        store.append(time.process_time() - start)
        return out

    return timed
