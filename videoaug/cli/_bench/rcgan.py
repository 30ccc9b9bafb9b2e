"""``videoaug bench --rcgan``: throughput of the learned augmentation.

Measures, on ``T x 1 x 64 x 64`` uint8 clips (16 frames; 8 x 32 x 32 with ``--quick``) and ``p=1`` so every
clip goes through the generator:

- ``RCGANAugment`` on a batch (``--batch``, 32 by default on the CPU, 256 on CUDA where it runs under bf16
  autocast), on the CPU also with one thread, and on single clips one by one on one thread (what each
  DataLoader worker does);
- the bare ``Generator.forward`` on the same batch, to show what the transform adds;
- the mild classical pipeline of :mod:`videoaug.gan.evaluate` (affine + jitter) on the same batch;
- on CUDA, one training step (forward, backward, SGD update) of torchvision's ``r3d_18`` on the same batch,
  and the ratio of the augmentation's time to it (``extra["ratio_to_r3d18_step"]``; the aim is < 0.1).

The shipped ``moving_mnist`` checkpoint is used when it is there; otherwise an untrained generator of the same
architecture (``GeneratorConfig()`` defaults, which the Moving MNIST config uses), whose cost is the same.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

from . import Record, time_call


def _timed(fn, n: int, repeats: int, device: torch.device, extra: dict) -> tuple[float, dict]:
    """Median wall seconds of ``fn`` (:func:`videoaug.bench.time_call`), and ``extra`` plus ``n`` over the
    median *process CPU* seconds (all threads). On a shared CPU the wall figure falls with the load, the
    CPU-time figure much less; the 1-minute load average is recorded beside them."""
    cpu = []

    def wrapped():
        start = time.process_time()
        fn()
        cpu.append(time.process_time() - start)

    sec = time_call(wrapped, repeats=repeats, device=str(device))
    cpu_sec = statistics.median(cpu[1:] or cpu)
    info = {**extra, "load_average_1min": round(os.getloadavg()[0], 2)}
    info["clips_per_cpu_second"] = n / cpu_sec if cpu_sec > 0 else float("inf")
    return sec, info


PIPELINE = "rcgan {t}x1x{h}x{w} uint8"


def _checkpoint(tmp: Path) -> tuple[Path, str]:
    from videoaug.gan.augment import resolve_checkpoint

    try:
        return resolve_checkpoint("moving_mnist"), "shipped moving_mnist"
    except FileNotFoundError:
        from videoaug.gan.checkpoint import save_generator
        from videoaug.gan.networks import Generator, GeneratorConfig

        info = {"num_frames": 16, "steps": 0, "command": "videoaug bench --rcgan (untrained stand-in)"}
        return save_generator(tmp / "stand_in", Generator(GeneratorConfig()), info), "untrained stand-in"


def run(args: argparse.Namespace, device: torch.device) -> list[Record]:
    from videoaug.gan.augment import RCGANAugment, load_cached
    from videoaug.gan.evaluate import classical_pipeline

    quick = bool(getattr(args, "quick", False))
    t, h, w = (8, 32, 32) if quick else (16, 64, 64)
    cuda = device.type == "cuda"
    batch = 4 if quick else (256 if cuda and args.batch == 32 else args.batch)
    repeats = 1 if quick else args.repeats
    per_clip_n = 2 if quick else 8
    pipeline = PIPELINE.format(t=t, h=h, w=w)
    gen = torch.Generator().manual_seed(0)
    video = torch.randint(0, 256, (batch, t, 1, h, w), dtype=torch.uint8, generator=gen).to(device)
    labels = torch.randint(0, 10, (batch,), generator=gen).to(device)

    with tempfile.TemporaryDirectory() as tmp:
        path, which = _checkpoint(Path(tmp))
        aug = RCGANAugment(path, p=1.0, device="auto", batch_size=batch)
        model, _ = load_cached(path, device)
        extra = {
            "checkpoint": which,
            "p": 1.0,
            "frames": t,
            "height": h,
            "width": w,
            "autocast": "bf16" if cuda else "none",
            "threads": torch.get_num_threads(),
        }
        records = []

        def add(impl: str, fn, n: int, batch_size: int, more: dict | None = None) -> None:
            sec, info = _timed(fn, n, repeats, device, {**extra, **(more or {})})
            records.append(Record(pipeline, impl, device.type, batch_size, n / sec, info))

        add("RCGANAugment batched", lambda: aug(video, labels), batch, batch)

        def bare():
            x = video.float().div(255)
            with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda):
                return model(x, labels)

        add("Generator.forward (bare)", bare, batch, batch)

        clips = [video[i] for i in range(min(per_clip_n, batch))]
        label_list = [int(v) for v in labels[: len(clips)]]

        def per_clip():
            for clip, label in zip(clips, label_list, strict=True):
                aug(clip, label)

        # one thread: what each DataLoader worker has, and on a busy shared CPU often faster than more threads
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            add("RCGANAugment per clip, 1 thread", per_clip, len(clips), 1, {"threads": 1})
            if not cuda and threads > 1:
                one = {"threads": 1}
                add("RCGANAugment batched, 1 thread", lambda: aug(video, labels), batch, batch, one)
        finally:
            torch.set_num_threads(threads)
        classical, desc = classical_pipeline("mild", h)
        add("classical (affine+jitter)", lambda: classical(video), batch, batch, {"pipeline": desc})

        if cuda:
            records.append(_r3d18_step(video, labels, repeats, extra, pipeline, records[0]))
    return records


def _r3d18_step(
    video: torch.Tensor, labels: torch.Tensor, repeats: int, extra: dict, pipeline: str, aug_record: Record
) -> Record:
    """One SGD step of torchvision's r3d_18 (bf16 autocast) on the same batch, grey repeated to RGB."""
    from torchvision.models.video import r3d_18

    device = video.device
    model = r3d_18(num_classes=10).to(device).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = video.float().div(255).expand(-1, -1, 3, -1, -1).permute(0, 2, 1, 3, 4).contiguous()

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = torch.nn.functional.cross_entropy(model(x), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    sec = time_call(step, repeats=repeats, device=str(device))
    batch = video.shape[0]
    step_record = Record(pipeline, "r3d_18 train step (bf16)", device.type, batch, batch / sec, dict(extra))
    ratio = step_record.clips_per_second / aug_record.clips_per_second
    aug_record.extra["ratio_to_r3d18_step"] = ratio
    step_record.extra["augment_time_over_step_time"] = ratio
    return step_record
