"""The kornia-kernels benchmark suite (``videoaug bench --kornia``): its records and the exactness figures that
docs/architecture.md quotes. Nothing here is timed."""

import argparse

import torch

from videoaug.cli._bench import kornia_kernels as suite

SAME_OP = ("rotate (bilinear, zeros)", "gaussian_blur 9x9 (reflect)", "sharpness", "solarize")


def test_suite_records_every_kernel_twice_and_restores_the_thread_count():
    threads = torch.get_num_threads()
    records = suite.run(argparse.Namespace(quick=True, repeats=3), torch.device("cpu"))
    assert torch.get_num_threads() == threads
    names = [name for name, *_ in suite.kernel_pairs(torch.rand(2, 2, 3, 16, 16))]
    assert [(r.pipeline, r.impl) for r in records] == [(n, i) for n in names for i in ("videoaug", "kornia")]
    for r in records:
        assert r.clips_per_second > 0 and r.extra["cpu_seconds"] >= 0
        assert ("max_abs_diff" in r.extra) == (r.impl == "kornia")


def test_kornia_computes_the_same_op_where_the_docs_say_so():
    video = torch.rand(3, 2, 3, 24, 28, generator=torch.Generator().manual_seed(3))
    diffs = {name: float((ours() - theirs()).abs().max()) for name, ours, theirs, _ in suite.kernel_pairs(video)}
    for name in SAME_OP:
        assert diffs[name] < 1e-4, (name, diffs[name])
    assert 1e-6 < diffs["rgb_to_grayscale"] < 2e-4  # 0.2989 against 0.299: close, not the same
    assert diffs["hue shift"] > 0.05  # a YIQ rotation against an HSV shift: another operation
