"""``videoaug gpu-check``: one line and exit 0 without CUDA; the CPU dry mode runs its parts in child processes,
under their limits, and writes the JSON and the markdown table."""

import json

import pytest
import torch

from videoaug.cli import gpu_check, main


@pytest.fixture
def dry(monkeypatch):
    monkeypatch.setenv(gpu_check.DRY_ENV, "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def test_without_cuda_one_line_and_exit_0(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv(gpu_check.DRY_ENV, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["gpu-check", "--json", str(tmp_path / "gpu.json")]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "no CUDA device" in out[0]
    assert not (tmp_path / "gpu.json").exists()


def test_dry_run_writes_json_and_markdown(dry, tmp_path, capsys):
    # the cheapest part (the DDP fit, skipped on one device) through the whole plumbing: a child process, its
    # result file, the report and the table; the full dry run is the slow test below
    js, md = tmp_path / "gpu.json", tmp_path / "gpu.md"
    assert main(["gpu-check", "--only", "fit-ddp", "--setup-seconds", "3", "--json", str(js),
                 "--markdown", str(md)]) == 0
    report = json.loads(js.read_text())
    assert report["environment"]["dry"] is True and report["environment"]["setup_seconds"] == 3
    parts = report["parts"]
    assert list(parts) == ["fit-ddp"]
    assert parts["fit-ddp"]["status"] == "skipped" and "needs two" in parts["fit-ddp"]["reason"]
    assert 0 < parts["fit-ddp"]["seconds"] <= parts["fit-ddp"]["limit_s"]
    table = md.read_text()
    assert "| part | status | seconds | limit | figures |" in table and "| fit-ddp | skipped |" in table
    assert report["total_seconds"] >= 3
    assert "fit-ddp" in capsys.readouterr().out


def test_a_part_past_its_time_is_killed_and_the_rest_skipped(dry, tmp_path):
    js = tmp_path / "gpu.json"
    # 10 s for everything, 3 of them already spent on the set-up: the first part gets 7 s, then nothing is left
    assert main(["gpu-check", "--budget", "10", "--setup-seconds", "3", "--only", "tests", "bench-mix",
                 "--json", str(js), "--markdown", str(tmp_path / "gpu.md")]) == 0
    parts = json.loads(js.read_text())["parts"]
    assert parts["tests"]["status"] == "timeout" and parts["tests"]["limit_s"] <= 7
    assert parts["tests"]["seconds"] < 30  # killed, not waited for
    assert parts["bench-mix"] == {"status": "skipped", "reason": "no time left in the budget"}


def test_summary_helpers():
    assert gpu_check._pytest_counts("...\n3 passed, 1 failed, 2 skipped in 4.0s\n") == {
        "passed": 3, "failed": 1, "skipped": 2}
    from videoaug.cli._bench import transforms as suite

    name = "standard pipeline uint8 16x3x128x171->112"
    records = [{"pipeline": name, "impl": impl, "batch": 32, "dtype": "bfloat16", "clips_per_second": cps}
               for impl, cps in ((suite.TORCHVISION, 100.0), (suite.KORNIA, 600.0), (suite.VIDEOAUG, 900.0),
                                 (suite.VIDEOAUG_FUSED, 1500.0))]
    bars = gpu_check._transform_bars(records)
    assert [(b["against"], round(b["ratio"], 2), b["met"]) for b in bars] == [
        (suite.TORCHVISION, 15.0, True), (suite.KORNIA, 2.5, True)]
    report = {"environment": {"torch": "x", "date": "d", "setup_seconds": 60, "gpu": "H200"}, "budget_s": 480,
              "total_seconds": 400.0,
              "parts": {"bench-transforms": {"status": "ok", "seconds": 50, "limit_s": 120, "records": records,
                                             "bars": bars},
                        "fit": {"status": "ok", "seconds": 40, "limit_s": 120, "steps_per_s": 5.0,
                                "peak_memory_gib": 3.25}}}
    md = gpu_check.format_markdown(report)
    assert "H200" in md and "15.00x vs torchvision v2 (clip by clip) (bar 10.0x, met)" in md
    assert "5.00 steps/s; peak 3.25 GiB" in md and md.count("| bench-transforms |") == 5


@pytest.mark.slow
def test_full_dry_run_every_part(dry, tmp_path):
    js = tmp_path / "gpu.json"
    assert main(["gpu-check", "--budget", "3000", "--json", str(js), "--markdown", str(tmp_path / "gpu.md")]) == 0
    parts = json.loads(js.read_text())["parts"]
    assert list(parts) == [p.name for p in gpu_check.PARTS]
    for name, r in parts.items():
        assert r["status"] in ("ok", "skipped"), (name, r)
    assert "--dry-run" in parts["fit"]["command"] and parts["tests"]["passed"] >= 1
    assert parts["classifier-ddp"]["world_size"] == 1
