"""The measuring kit every ``videoaug bench`` suite shares: one :class:`Record` per measured implementation,
round-robin timing, the table.

Suites (one module each: ``transforms``, ``mix``, ``io``, ``rcgan``) expose ``run(args, device) -> list[Record]``
and import this kit; :mod:`videoaug.cli.bench` imports the suites, so imports run one way.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

__all__ = ["Record", "sync", "time_call", "time_round_robin", "environment", "format_table"]


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


def time_round_robin(
    fns: list[Callable[[], object]], *, repeats: int, device: str = "cpu",
    clock: Callable[[], float] = time.perf_counter,
) -> list[list[float]]:
    """Seconds of every run of each function, timed round-robin (one untimed warm-up round, then ``repeats``
    rounds of one run each), so that load from other processes shifts all of them alike instead of whichever
    happened to run during it. ``clock=time.process_time`` counts this process's CPU time instead of wall time."""
    for fn in fns:
        fn()
    sync(device)
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            times[i].append(time_call(fn, repeats=1, warmup=0, device=device, clock=clock))
    return times


def time_call(
    fn: Callable[[], object], *, repeats: int, warmup: int = 1, device: str = "cpu",
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Median seconds (``clock``: wall time by default) of ``fn()`` over ``repeats`` runs after ``warmup``."""
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        sync(device)
        times.append(clock() - start)
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
