"""``videoaug bench --kornia``: kornia's kernels against videoaug's on the same inputs, for exactness and speed.

kornia is a dependency (the design names it); this suite is how the library decides, kernel by kernel, whether
to call kornia instead of its own code: kornia's kernel is used where it is at least as fast and gives the same
result. For each kernel it reports the largest absolute difference between the two outputs (float32 in [0, 1])
and the CPU time of each (``time.process_time``, so load from other processes does not count), timed
round-robin on one thread. The figures and the decisions are in ``docs/architecture.md``.

The kernels measured are the ones kornia has that the library could serve itself with: the spatial warp
(rotation through an affine grid), the Gaussian blur, sharpness, grayscale, the hue shift (kornia's goes
through ``rgb_to_hsv`` / ``hsv_to_rgb``), equalize, posterize and solarize. kornia works on images ``(N, C, H,
W)``; a batch of clips is handed to it as ``B * T`` images, with each clip's parameter repeated on its frames.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable

import torch

from videoaug import functional as F
from videoaug.cli._bench import Record, time_round_robin

__all__ = ["kernel_pairs", "run"]

Pair = tuple[str, Callable[[], torch.Tensor], Callable[[], torch.Tensor], str]


def _sizes(args: argparse.Namespace) -> tuple[int, int, int, int]:
    """``(B, T, H, W)``: 8 clips of 8 frames of 112 x 112 by default, tiny with ``--quick``."""
    return (2, 2, 16, 16) if getattr(args, "quick", False) else (8, 8, 112, 112)


def kernel_pairs(video: torch.Tensor) -> list[Pair]:
    """``(kernel, videoaug's call, kornia's call, note)`` for a float batch ``video (B, T, 3, H, W)``; each call
    returns a ``(B, T, C, H, W)`` tensor, so the two outputs compare directly."""
    import kornia

    b, t, c, h, w = video.shape
    images = video.reshape(b * t, c, h, w)

    def per_frame(v: torch.Tensor) -> torch.Tensor:  # a per-clip parameter (B, ...) on each of its frames
        return v.repeat_interleave(t, 0)

    def as_clips(x: torch.Tensor) -> torch.Tensor:
        return x.reshape(b, t, *x.shape[1:])

    gen = torch.Generator().manual_seed(0)
    angle = torch.rand(b, generator=gen) * 60 - 30
    sigma = torch.rand(b, generator=gen) * 1.5 + 0.5
    factor = torch.rand(b, generator=gen) * 1.5 + 0.25
    hue = torch.rand(b, generator=gen) * 0.4 - 0.2
    bits = torch.randint(1, 8, (b,), generator=gen)
    threshold = torch.rand(b, generator=gen) * 0.5 + 0.25
    center = torch.tensor([[(w - 1) / 2, (h - 1) / 2]]).expand(b * t, 2)
    sig2 = per_frame(torch.stack([sigma, sigma], 1))
    return [
        ("rotate (bilinear, zeros)", lambda: F.rotate(video, angle, "bilinear", fill=None),
         lambda: as_clips(kornia.geometry.transform.rotate(images, per_frame(angle), center, "bilinear", "zeros",
                                                           align_corners=True)),
         "same op (zero padding, grid_sample about the centre)"),
        ("gaussian_blur 9x9 (reflect)", lambda: F.gaussian_blur(video, 9, sigma),
         lambda: as_clips(kornia.filters.gaussian_blur2d(images, (9, 9), sig2, "reflect")), "same op"),
        ("sharpness", lambda: F.adjust_sharpness(video, factor),
         lambda: as_clips(kornia.enhance.sharpness(images, per_frame(factor))), "same op"),
        ("rgb_to_grayscale", lambda: F.rgb_to_grayscale(video),
         lambda: as_clips(kornia.color.rgb_to_grayscale(images)),
         "weights differ: videoaug 0.2989 (torchvision), kornia 0.299"),
        ("hue shift", lambda: F.adjust_hue(video, hue),
         lambda: as_clips(kornia.enhance.adjust_hue(images, per_frame(hue) * 2 * math.pi)),
         "other maths: videoaug a YIQ rotation (one matrix), kornia rgb_to_hsv -> shift -> hsv_to_rgb"),
        ("equalize (per frame)", lambda: F.equalize(video, "frame"),
         lambda: as_clips(kornia.enhance.equalize(images)), "same op (PIL's rule)"),
        ("posterize", lambda: F.posterize(video, bits),
         lambda: as_clips(kornia.enhance.posterize(images, per_frame(bits))), "same op"),
        ("solarize", lambda: F.solarize(video, threshold),
         lambda: as_clips(kornia.enhance.solarize(images, per_frame(threshold))), "same op"),
    ]


def run(args: argparse.Namespace, device: torch.device) -> list[Record]:
    """Two records per kernel (``videoaug``, ``kornia``): CPU seconds (median over ``--repeats`` round-robin
    rounds, one thread) and, on kornia's record, the largest absolute difference from videoaug's output."""
    device = torch.device(device)
    b, t, h, w = _sizes(args)
    repeats = max(3, int(args.repeats))
    video = torch.rand(b, t, 3, h, w, generator=torch.Generator().manual_seed(1)).to(device)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # CPU time of one thread: what a DataLoader worker spends
    records = []
    try:
        for name, ours, theirs, note in kernel_pairs(video):
            diff = float((ours() - theirs()).abs().max())
            times = time_round_robin([ours, theirs], repeats=repeats, device=device.type, clock=time.process_time)
            for impl, seconds in zip(("videoaug", "kornia"), (sorted(times[0]), sorted(times[1])), strict=True):
                median = seconds[len(seconds) // 2]
                extra = {"cpu_seconds": median, "shape": [b, t, 3, h, w], "note": note}
                if impl == "kornia":
                    extra["max_abs_diff"] = diff
                records.append(Record(pipeline=name, impl=impl, device=device.type, batch=b,
                                      clips_per_second=b / max(median, 1e-9), extra=extra))
            print(f"{name:<30} max |videoaug - kornia| = {diff:.3g}  ({note})")
    finally:
        torch.set_num_threads(threads)
    return records
