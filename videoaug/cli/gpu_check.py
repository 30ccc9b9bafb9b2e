"""``videoaug gpu-check`` (``make gpu-check``): everything that needs a GPU, in one time-limited run.

GPU time is scarce, so the whole check is prepared here and runs with one command on the first CUDA device:

========================  ===============================================================================  =======
part                      what                                                                             limit s
========================  ===============================================================================  =======
``tests``                 pytest on the CUDA-parametrised / CUDA-marked tests and the kernel tests, whose   150
                          shared checker compares CPU with CUDA (``-k "cuda or kernel"``)
``bench-transforms``      ``videoaug bench --device cuda --transforms``: videoaug batched (and fused)       120
                          against torchvision v2 clip by clip and kornia ``VideoSequential``, float32 and
                          bfloat16 output, batch 32 and 128
``bench-rcgan``           ``videoaug bench --device cuda --rcgan``: ``RCGANAugment`` at batch 256 under     60
                          bf16 autocast against one forward + backward of torchvision's ``r3d_18``
``fit``                   ``videoaug fit`` on Moving MNIST, 100 steps at batch 64, bf16: steps/s and peak    120
                          memory
``bench-mix``             ``videoaug bench --device cuda --mix``                                            45
``classifier-ddp``        ``examples/ucf101_classifier.py`` under ``torchrun`` on every device, on a tiny     90
                          generated UCF-101 tree (1 epoch)
``fit-ddp``               ``torchrun --nproc_per_node 2 -m videoaug fit`` (only with two or more devices)    90
========================  ===============================================================================  =======

Each part runs in its own process (``videoaug gpu-check --part NAME``) under its limit and the time left in the
whole budget (``--budget``, 480 s, which counts the set-up seconds the Makefile measured and passes in with
``--setup-seconds``); a part that fails or runs out of time is recorded as such and the next one runs. After
every part the results so far are written to ``docs/gpu.json`` and the markdown table to ``docs/gpu.md``, so a
run cut short still leaves what it measured.

Without CUDA it prints one line and exits 0. ``VIDEOAUG_GPU_CHECK_DRY=1`` runs the same parts on the CPU with
tiny sizes (one test, ``--quick`` benches, ``fit --dry-run``, the DDP parts on two gloo processes) to check the
plumbing; its output goes to a temporary folder unless ``--json``/``--markdown`` say otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

__all__ = ["add_arguments", "run", "PARTS", "is_dry", "format_markdown"]

DRY_ENV = "VIDEOAUG_GPU_CHECK_DRY"
BUDGET_S = 480.0
# bars the docs promise on a GPU
BAR_VS_TORCHVISION = 10.0
BAR_VS_KORNIA = 2.0
BAR_RCGAN_FRACTION = 0.10


def is_dry() -> bool:
    return os.environ.get(DRY_ENV, "") not in ("", "0")


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Part:
    name: str
    limit_s: float
    run: Callable[[Path, bool], dict[str, Any]]  # (scratch folder, dry) -> results


# -- the parts (each runs in its own process) -------------------------------------------------------------------
def _device(dry: bool) -> str:
    return "cpu" if dry else "cuda"


def _part_tests(tmp: Path, dry: bool) -> dict[str, Any]:
    tests = _repo_root() / "tests"
    if not tests.is_dir():
        return {"status": "skipped", "reason": f"no tests folder at {tests}"}
    target = [str(tests / "test_transforms_fused.py")] if dry else [str(tests)]
    expr = "kernel_contract" if dry else "cuda or kernel"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", expr, *target]
    proc = subprocess.run(cmd, cwd=_repo_root(), capture_output=True, text=True)
    summary = _pytest_counts(proc.stdout)
    return {"status": "ok" if proc.returncode == 0 else "failed", "command": " ".join(cmd[2:]),
            "returncode": proc.returncode, **summary, "output_tail": proc.stdout[-3000:] + proc.stderr[-1000:]}


def _pytest_counts(stdout: str) -> dict[str, int]:
    """``{"passed": 3, "failed": 1, ...}`` from pytest's last summary line."""
    lines = [ln for ln in stdout.strip().splitlines() if ln.strip()]
    last = lines[-1] if lines else ""
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|skipped|errors?|deselected)", last)}


def _bench(args: list[str], tmp: Path, name: str) -> list[dict[str, Any]]:
    from videoaug.cli import main

    path = tmp / f"{name}.json"
    code = main(["bench", *args, "--json", str(path)])
    if code != 0:
        raise RuntimeError(f"videoaug bench {' '.join(args)} exited with {code}")
    return json.loads(path.read_text())["records"]


def _part_bench_transforms(tmp: Path, dry: bool) -> dict[str, Any]:
    records, errors = [], {}
    for batch in ((2,) if dry else (32, 128)):
        for dtype in ("float32", "bfloat16"):
            extra = ["--quick", "--repeats", "1"] if dry else ["--repeats", "5"]
            try:  # one configuration failing (e.g. a baseline without bf16 kernels) keeps the others
                rows = _bench(["--device", _device(dry), "--transforms", "--batch", str(batch), "--dtype", dtype,
                               *extra], tmp, f"transforms-{batch}-{dtype}")
            except Exception as exc:
                errors[f"batch {batch} {dtype}"] = f"{type(exc).__name__}: {exc}"
                continue
            records += [{**r, "dtype": dtype} for r in rows]
    result = {"status": "failed" if errors else "ok", "records": records, "bars": _transform_bars(records)}
    if errors:
        result["errors"] = errors
    return result


def _transform_bars(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The GPU bars (batched >= 10x torchvision clip by clip and >= 2x kornia) per batch size and dtype."""
    from videoaug.cli._bench import transforms as suite

    bars = []
    groups: dict[tuple, dict[str, float]] = {}
    for r in records:
        if r["pipeline"].startswith("standard pipeline") and not r["pipeline"].endswith("one clip"):
            groups.setdefault((r["batch"], r["dtype"]), {})[r["impl"]] = r["clips_per_second"]
    for (batch, dtype), speeds in groups.items():
        ours = max(speeds.get(suite.VIDEOAUG, 0.0), speeds.get(suite.VIDEOAUG_FUSED, 0.0))
        for base, bar in ((suite.TORCHVISION, BAR_VS_TORCHVISION), (suite.KORNIA, BAR_VS_KORNIA)):
            if speeds.get(base):
                ratio = ours / speeds[base]
                bars.append({"batch": batch, "dtype": dtype, "against": base, "ratio": ratio, "bar": bar,
                             "met": ratio >= bar})
    return bars


def _part_bench_rcgan(tmp: Path, dry: bool) -> dict[str, Any]:
    extra = ["--quick", "--repeats", "1"] if dry else ["--repeats", "5"]
    records = _bench(["--device", _device(dry), "--rcgan", *extra], tmp, "rcgan")
    out: dict[str, Any] = {"status": "ok", "records": records}
    fraction = next((r["extra"]["ratio_to_r3d18_step"] for r in records if "ratio_to_r3d18_step" in r["extra"]),
                    None)
    if fraction is not None:
        out["bars"] = [{"against": "r3d_18 train step", "ratio": fraction, "bar": BAR_RCGAN_FRACTION,
                        "met": fraction < BAR_RCGAN_FRACTION}]
    return out


def _part_bench_mix(tmp: Path, dry: bool) -> dict[str, Any]:
    extra = ["--quick", "--repeats", "1"] if dry else ["--repeats", "5"]
    return {"status": "ok", "records": _bench(["--device", _device(dry), "--mix", *extra], tmp, "mix")}


def _fit_args(out: Path, dry: bool, training: bool = True) -> list[str]:
    """``videoaug fit`` on Moving MNIST: 100 steps at batch 64 on CUDA (bf16 autocast, fit's default there); dry,
    one step of 2 clips 8 x 32 x 32 on the CPU, or only ``--dry-run`` (the config and the data checked) when
    not ``training``."""
    common = ["fit", "--data", "moving-mnist", "--out", str(out), "--no-progress", "--sample-every", "100000",
              "--checkpoint-every", "100000"]
    if dry:
        return [*common, "--steps", "1", "--batch-size", "2", "--num-frames", "8", "--resolution", "32",
                "--device", "cpu", *([] if training else ["--dry-run"])]
    return [*common, "--steps", "100", "--batch-size", "64", "--device", "cuda"]


def _fit_rate(out: Path) -> float | None:
    """The last ``steps_per_s`` that ``fit`` logged to ``metrics.jsonl``."""
    path = out / "metrics.jsonl"
    if not path.is_file():
        return None
    rates = [json.loads(ln).get("steps_per_s") for ln in path.read_text().splitlines() if ln.strip()]
    rates = [r for r in rates if r is not None]
    return rates[-1] if rates else None


def _part_fit(tmp: Path, dry: bool) -> dict[str, Any]:
    from videoaug.cli import main

    out = tmp / "fit"
    args = _fit_args(out, dry, training=not dry)
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    code = main(args)
    wall = time.perf_counter() - start
    result: dict[str, Any] = {"status": "ok" if code == 0 else "failed", "command": "videoaug " + " ".join(args),
                              "returncode": code, "wall_s": wall, "steps_per_s": _fit_rate(out)}
    if torch.cuda.is_available() and not dry:
        result["peak_memory_gib"] = torch.cuda.max_memory_allocated() / 2**30
    return result


def _torchrun(nproc: int, script: list[str], tmp: Path, dry: bool) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc), *script]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=_repo_root(), capture_output=True, text=True, env=env)
    return {"status": "ok" if proc.returncode == 0 else "failed", "processes": nproc,
            "command": "torchrun " + " ".join(cmd[3:]), "returncode": proc.returncode,
            "wall_s": time.perf_counter() - start, "output_tail": proc.stdout[-2000:] + proc.stderr[-2000:]}


def _devices(dry: bool) -> int:
    """CUDA devices; in the dry run, ``VIDEOAUG_GPU_CHECK_DRY_DEVICES`` pretends (1 by default: the DDP fit is
    skipped and the classifier runs as one process under torchrun)."""
    if dry:
        return int(os.environ.get(DRY_ENV + "_DEVICES", "1"))
    return torch.cuda.device_count()


def _part_fit_ddp(tmp: Path, dry: bool) -> dict[str, Any]:
    n = _devices(dry)
    if n < 2:
        return {"status": "skipped", "reason": f"{n} CUDA device(s); the DDP run needs two"}
    out = tmp / "fit-ddp"
    args = _fit_args(out, dry)
    result = _torchrun(2, ["-m", "videoaug", *args], tmp, dry)
    result["steps_per_s"] = _fit_rate(out)
    return result


def _part_classifier_ddp(tmp: Path, dry: bool) -> dict[str, Any]:
    script = _repo_root() / "examples" / "ucf101_classifier.py"
    tests = _repo_root() / "tests"
    if not script.is_file() or not (tests / "videos.py").is_file():
        return {"status": "skipped", "reason": f"needs {script} and {tests / 'videos.py'}"}
    sys.path.insert(0, str(tests))
    from videos import make_ucf_tree  # the test suite's tiny UCF-101 tree (PyAV-encoded)

    root, splits = make_ucf_tree(tmp / "ucf", groups=3, clips=2, num_frames=12)
    n = max(1, _devices(dry))
    args = [str(script), "--root", str(root), "--splits", str(splits), "--out", str(tmp / "classifier"),
            "--model", "small", "--epochs", "1", "--batch-size", "2", "--frames", "4", "--stride", "1",
            "--resize", "40", "48", "--crop", "32", "--eval-clips", "2", "--workers", "0", "--no-progress",
            "--device", "cpu" if dry else "cuda"]
    result = _torchrun(n, args, tmp, dry)
    results = tmp / "classifier" / "results.json"
    if results.is_file():
        data = json.loads(results.read_text())
        result.update({k: data[k] for k in ("world_size", "test_clip_acc", "test_video_acc") if k in data})
    return result


PARTS: tuple[Part, ...] = (
    Part("tests", 150, _part_tests),
    Part("bench-transforms", 120, _part_bench_transforms),
    Part("bench-rcgan", 60, _part_bench_rcgan),
    Part("fit", 120, _part_fit),
    Part("bench-mix", 45, _part_bench_mix),
    Part("classifier-ddp", 90, _part_classifier_ddp),
    Part("fit-ddp", 90, _part_fit_ddp),
)


# -- orchestration ----------------------------------------------------------------------------------------------
def _environment(setup_s: float | None, dry: bool) -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(), "torch": torch.__version__, "dry": dry,
                            "setup_seconds": setup_s, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if torch.cuda.is_available():
        info.update(gpu=torch.cuda.get_device_name(0), devices=torch.cuda.device_count(), cuda=torch.version.cuda)
    return info


def _run_part(part: Part, timeout: float, scratch: Path) -> dict[str, Any]:
    """``part`` in a child process (its own session, killed whole on timeout); its results or why none."""
    out = scratch / f"{part.name}.result.json"
    cmd = [sys.executable, "-m", "videoaug", "gpu-check", "--part", part.name, "--part-json", str(out),
           "--scratch", str(scratch / part.name)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=_repo_root(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        log, _ = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        log, _ = proc.communicate()
        timed_out = True
    seconds = time.perf_counter() - start
    if timed_out:
        result: dict[str, Any] = {"status": "timeout"}
    elif out.is_file():
        result = json.loads(out.read_text())
    else:
        result = {"status": "failed", "returncode": proc.returncode}
    result.update(seconds=seconds, limit_s=timeout)
    if result["status"] not in ("ok", "skipped"):
        result.setdefault("log_tail", (log or "")[-3000:])
    return result


def _figures(name: str, r: dict[str, Any]) -> str:
    """One markdown cell of the part's key figures."""
    if r.get("status") in ("skipped", "timeout") or (r.get("status") == "failed" and "records" not in r):
        return r.get("reason", "")
    bits = []
    if name == "tests":
        bits.append(", ".join(f"{v} {k}" for k, v in r.items() if k in ("passed", "failed", "skipped", "errors")))
    for b in r.get("bars", []):
        where = f"batch {b['batch']} {b['dtype']}: " if "batch" in b else ""
        bits.append(f"{where}{b['ratio']:.2f}x vs {b['against']} (bar {b['bar']}x, "
                    f"{'met' if b['met'] else 'NOT met'})")
    if "steps_per_s" in r and r["steps_per_s"] is not None:
        bits.append(f"{r['steps_per_s']:.2f} steps/s")
    if "peak_memory_gib" in r:
        bits.append(f"peak {r['peak_memory_gib']:.2f} GiB")
    if "processes" in r:
        bits.append(f"{r['processes']} processes")
    return "; ".join(b for b in bits if b)


def format_markdown(report: dict[str, Any]) -> str:
    """The summary table, then every bench record, as markdown."""
    env = report["environment"]
    lines = [f"GPU check on {env.get('gpu', 'CPU (dry run)')}, torch {env['torch']}, {env['date']}; "
             f"set-up {env['setup_seconds'] if env['setup_seconds'] is not None else '?'} s, "
             f"total {report['total_seconds']:.0f} s of a {report['budget_s']:.0f} s budget.", "",
             "| part | status | seconds | limit | figures |", "|---|---|---:|---:|---|"]
    for name, r in report["parts"].items():
        lines.append(f"| {name} | {r['status']} | {r.get('seconds', 0):.1f} | {r.get('limit_s', 0):.0f} | "
                     f"{_figures(name, r)} |")
    rows = [(name, rec) for name, r in report["parts"].items() for rec in r.get("records", [])]
    if rows:
        lines += ["", "| part | pipeline | impl | dtype | batch | clips/s |", "|---|---|---|---|---:|---:|"]
        for name, rec in rows:
            lines.append(f"| {name} | {rec['pipeline']} | {rec['impl']} | {rec.get('dtype', '')} | {rec['batch']} "
                         f"| {rec['clips_per_second']:.1f} |")
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", metavar="PATH", help="results (default docs/gpu.json; a temp folder when dry)")
    parser.add_argument("--markdown", metavar="PATH", help="table (default docs/gpu.md; a temp folder when dry)")
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="seconds for everything, set-up included")
    parser.add_argument("--setup-seconds", type=float, default=None, help="what the set-up took (the Makefile)")
    parser.add_argument("--only", nargs="+", choices=[p.name for p in PARTS], help="run these parts only")
    parser.add_argument("--part", choices=[p.name for p in PARTS], help=argparse.SUPPRESS)
    parser.add_argument("--part-json", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    dry = is_dry()
    if args.part:  # a child: one part, its results to --part-json
        part = next(p for p in PARTS if p.name == args.part)
        scratch = Path(args.scratch or tempfile.mkdtemp(prefix="videoaug-gpu-"))
        scratch.mkdir(parents=True, exist_ok=True)
        try:
            result = part.run(scratch, dry)
        except Exception as exc:  # recorded, not raised: the parent goes on with the next part
            result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
        Path(args.part_json).write_text(json.dumps(result, indent=2, default=str))
        return 0
    if not dry and not torch.cuda.is_available():
        print("videoaug gpu-check: no CUDA device here (torch.cuda.is_available() is False); nothing to check")
        return 0
    start = time.perf_counter()
    spent = float(args.setup_seconds or 0.0)
    out_dir = Path(tempfile.mkdtemp(prefix="videoaug-gpu-check-")) if dry else _repo_root() / "docs"
    json_path = Path(args.json) if args.json else out_dir / "gpu.json"
    md_path = Path(args.markdown) if args.markdown else out_dir / "gpu.md"
    report: dict[str, Any] = {"environment": _environment(args.setup_seconds, dry), "budget_s": args.budget,
                              "parts": {}}
    print(f"videoaug gpu-check{' (dry, CPU)' if dry else ''}: {report['environment'].get('gpu', 'cpu')}, "
          f"budget {args.budget:.0f} s, set-up {spent:.0f} s")
    scratch = Path(tempfile.mkdtemp(prefix="videoaug-gpu-scratch-"))
    try:
        for part in PARTS:
            if args.only and part.name not in args.only:
                continue
            left = args.budget - spent - (time.perf_counter() - start)
            if left < 5:
                report["parts"][part.name] = {"status": "skipped", "reason": "no time left in the budget"}
            else:
                report["parts"][part.name] = _run_part(part, min(part.limit_s, left), scratch)
            r = report["parts"][part.name]
            print(f"  {part.name:<17} {r['status']:<8} {r.get('seconds', 0):6.1f} s  {_figures(part.name, r)}")
            report["total_seconds"] = spent + time.perf_counter() - start
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(json.dumps(report, indent=2, default=str))
            md_path.write_text(format_markdown(report))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"wrote {json_path} and {md_path}")
    return 0
