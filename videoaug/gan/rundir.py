"""Housekeeping of a ``videoaug fit`` run directory when a run starts or resumes.

- :func:`newest_intact_checkpoint`: the newest ``checkpoints/step_*`` that loads, skipping damaged ones (a file
  missing, truncated or altered) and saying which were skipped;
- :func:`remove_stale_tmp`: ``.tmp_step_*`` folders left by a process killed while checkpointing;
- :func:`repair_metrics`: ``metrics.jsonl`` without a half-written last line (a kill during a write) and, on
  resume, without the records of steps after the checkpoint resumed from, so the next record starts its own line
  and no step is logged twice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["newest_intact_checkpoint", "remove_stale_tmp", "repair_metrics"]

_STEP = re.compile(r"^step_(\d{8,})$")
_TMP = re.compile(r"^\.tmp_step_\d{8,}_(\d+)$")
T = TypeVar("T")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user has this pid now: not ours either way
        return False
    return True


def remove_stale_tmp(checkpoint_dir: Path) -> list[str]:
    """Delete ``.tmp_step_<step>_<pid>`` folders whose process is gone; returns their names."""
    removed = []
    if not checkpoint_dir.is_dir():
        return removed
    for p in sorted(checkpoint_dir.iterdir()):
        m = _TMP.match(p.name)
        if m and p.is_dir() and not _alive(int(m.group(1))):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
    return removed


def newest_intact_checkpoint(
    checkpoint_dir: Path, load: Callable[[Path], T]
) -> tuple[Path, T, list[tuple[Path, str]]] | None:
    """Try ``step_*`` folders newest first with ``load``; return the first that loads.

    Args:
        checkpoint_dir: a run's ``checkpoints/``.
        load: reads one checkpoint folder, raising on damage (any ``Exception``).

    Returns:
        ``(folder, what load returned, [(damaged folder, why), ...])``, or ``None`` when there is no ``step_*``
        folder at all.

    Raises:
        ValueError: every checkpoint is damaged (the message lists each with its reason).
    """
    if not checkpoint_dir.is_dir():
        return None
    steps = sorted(
        (int(m.group(1)), p) for p in checkpoint_dir.iterdir() if (m := _STEP.match(p.name)) and p.is_dir()
    )
    if not steps:
        return None
    damaged: list[tuple[Path, str]] = []
    for _, path in reversed(steps):
        try:
            return path, load(path), damaged
        except Exception as exc:  # noqa: BLE001 -- any failure to read it means: damaged, try the previous one
            damaged.append((path, f"{type(exc).__name__}: {exc}"))
    listing = "; ".join(f"{p.name}: {why}" for p, why in damaged)
    raise ValueError(f"--resume: every checkpoint in {checkpoint_dir} is damaged ({listing})")


def repair_metrics(path: Path, upto_step: int | None = None) -> dict[str, Any]:
    """Rewrite ``metrics.jsonl`` keeping whole JSON records only (and with ``step <= upto_step`` if given).

    Returns ``{"partial": bool, "dropped": n}``: whether a half-written last line was removed and how many
    complete records of later steps were.
    """
    if not path.is_file():
        return {"partial": False, "dropped": 0}
    text = path.read_text(errors="replace")
    lines = text.split("\n")
    partial = bool(lines and lines[-1])  # no newline after the last record: it was cut while being written
    kept, dropped = [], 0
    for line in lines[:-1]:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            dropped += 1
            continue
        if upto_step is not None and isinstance(record, dict) and int(record.get("step", 0)) > upto_step:
            dropped += 1
            continue
        kept.append(line)
    if partial or dropped:
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        tmp.write_text("".join(line + "\n" for line in kept))
        os.replace(tmp, path)
    return {"partial": partial, "dropped": dropped}
