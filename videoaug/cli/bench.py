"""``videoaug bench``: measure videoaug against its baselines in one process.

Suites live in :mod:`videoaug.cli._bench` (one module per suite: ``transforms``, ``mix``, ``io``, ``rcgan``,
``kornia_kernels``). Each exposes ``run(args, device) -> list[Record]``. The kit in ``_bench/__init__.py`` owns
timing and the table and this module the JSON file, so every suite reports the same way: medians over repeats,
clips per second, ratios to the baselines measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

import torch

from videoaug.cli import command_main
from videoaug.cli._bench import Record, environment, format_table, sync, time_call, time_round_robin
from videoaug.cli._bench import io as _io_suite
from videoaug.cli._bench import kornia_kernels as _kornia_suite
from videoaug.cli._bench import mix as _mix_suite
from videoaug.cli._bench import rcgan as _rcgan_suite
from videoaug.cli._bench import transforms as _transforms_suite

__all__ = ["add_arguments", "run", "SUITES", "Record", "sync", "time_call", "time_round_robin", "environment",
           "format_table"]

# suite name -> its module; the first one runs by default, the others behind --NAME
_SUITE_MODULES = {"transforms": _transforms_suite, "mix": _mix_suite, "io": _io_suite, "rcgan": _rcgan_suite,
                  "kornia": _kornia_suite}
SUITES = tuple(_SUITE_MODULES)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per measurement (median reported)")
    parser.add_argument("--batch", type=int, default=32, help="clips per batch for the batched pipelines")
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats (for tests)")
    parser.add_argument("--json", metavar="PATH", help="write the records as JSON to PATH")
    parser.add_argument("--dtype", default="float32", choices=("float32", "bfloat16", "float16"),
                        help="output dtype of the transforms suite's pipelines (default: float32)")
    for suite in SUITES:
        parser.add_argument(f"--{suite}", action="store_true", help=f"run the {suite} suite")
    parser.add_argument("--all", action="store_true", help="run every suite")
    parser.add_argument("--io-videos", nargs="+", metavar="FILE", default=None,
                        help="io suite: measure on these video files (one set each) instead of generated ones")
    parser.add_argument("--io-size", nargs=2, type=int, metavar=("H", "W"), default=None,
                        help="io suite with --io-videos: resize to H x W while decoding (default: stored size)")
    parser.add_argument("--io-clips", type=int, default=24,
                        help="io suite with --io-videos: random 16-frame clips per file (default: 24)")


def selected_suites(args: argparse.Namespace) -> list[str]:
    if args.all:
        return list(SUITES)
    chosen = [s for s in SUITES if getattr(args, s, False)]
    return chosen or ["transforms", "mix"]


def run(args: argparse.Namespace) -> int:
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for but torch.cuda.is_available() is False")
    env = environment()
    print(f"videoaug bench on {device}: torch {env['torch']}, {env['threads']} threads"
          + (f", {env['gpu']}" if "gpu" in env else ""))
    records: list[Record] = []
    for suite in selected_suites(args):
        suite_records = _SUITE_MODULES[suite].run(args, device)
        print(f"\n[{suite}]")
        print(format_table(suite_records))
        records.extend(suite_records)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "records": [asdict(r) for r in records]}, f, indent=2)
        print(f"\nwrote {args.json}")
    return 0


main = command_main("bench")  # ``videoaug bench ARGS`` in-process, returns the exit code


if __name__ == "__main__":  # python -m videoaug.cli.bench (or its old name)
    sys.exit(main())
