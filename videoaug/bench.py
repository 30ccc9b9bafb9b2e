"""``videoaug bench``: measure videoaug against its baselines in one process.

Suites live in :mod:`videoaug._bench` (one module per suite: ``transforms``, ``mix``, ``io``, ``rcgan``). Each
exposes ``run(args, device) -> list[Record]``. This module owns timing, the table and the JSON file, so every suite
reports the same way: medians over repeats, clips per second, ratios to the baselines measured in the same run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch

SUITES = ("transforms", "mix", "io", "rcgan")


@dataclass
class Record:
    """One measured implementation of one pipeline."""

    pipeline: str
    impl: str
    device: str
    batch: int
    clips_per_second: float
    extra: dict = field(default_factory=dict)


def sync(device: torch.device | str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def time_round_robin(fns: list[Callable[[], object]], *, repeats: int, device: str = "cpu") -> list[list[float]]:
    """Seconds of every run of each function, timed round-robin (one untimed warm-up round, then ``repeats``
    rounds of one run each), so that load from other processes shifts all of them alike instead of whichever
    happened to run during it."""
    for fn in fns:
        fn()
    sync(device)
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            times[i].append(time_call(fn, repeats=1, warmup=0, device=device))
    return times


def time_call(fn: Callable[[], object], *, repeats: int, warmup: int = 1, device: str = "cpu") -> float:
    """Median wall time in seconds of ``fn()`` over ``repeats`` runs after ``warmup`` untimed runs."""
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def environment() -> dict:
    info = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name()
    return info


def format_table(records: list[Record], baseline_impls: dict[str, list[str]] | None = None) -> str:
    """A text table of records, with each row's speed-up over every other implementation of the same pipeline."""
    lines = [f"{'pipeline':<34} {'impl':<30} {'device':<6} {'batch':>5} {'clips/s':>10}  ratios"]
    by_pipeline: dict[str, list[Record]] = {}
    for r in records:
        by_pipeline.setdefault(r.pipeline, []).append(r)
    for pipeline, rows in by_pipeline.items():
        for r in rows:
            ratios = ", ".join(
                f"{r.clips_per_second / o.clips_per_second:.2f}x {o.impl}"
                for o in rows
                if o is not r and o.clips_per_second > 0 and o.device == r.device
            )
            lines.append(
                f"{pipeline:<34} {r.impl:<30} {r.device:<6} {r.batch:>5} {r.clips_per_second:>10.1f}  {ratios}"
            )
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per measurement (median reported)")
    parser.add_argument("--batch", type=int, default=32, help="clips per batch for the batched pipelines")
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats (for tests)")
    parser.add_argument("--json", metavar="PATH", help="write the records as JSON to PATH")
    for suite in SUITES[1:]:
        parser.add_argument(f"--{suite}", action="store_true", help=f"run the {suite} suite")
    parser.add_argument("--all", action="store_true", help="run every suite")


def selected_suites(args: argparse.Namespace) -> list[str]:
    if args.all:
        return list(SUITES)
    chosen = [s for s in SUITES[1:] if getattr(args, s, False)]
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
        module = importlib.import_module(f"videoaug._bench.{suite}")
        suite_records = module.run(args, device)
        print(f"\n[{suite}]")
        print(format_table(suite_records))
        records.extend(suite_records)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "records": [asdict(r) for r in records]}, f, indent=2)
        print(f"\nwrote {args.json}")
    return 0
