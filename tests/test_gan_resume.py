"""--resume over a damaged run directory (issue 12 item 9): damaged newest checkpoint, stale temporaries,
a half-written metrics line."""

import json
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file
from test_gan_train import tiny_cfg

from videoaug.gan.checkpoint import latest_checkpoint
from videoaug.gan.train import Trainer


def _state(run):
    return load_file(str(latest_checkpoint(run / "checkpoints") / "training_state.safetensors"))


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


DAMAGE = {
    "state truncated": lambda c: _truncate(c / "training_state.safetensors"),
    "state json missing": lambda c: (c / "training_state.json").unlink(),
    "weights missing": lambda c: (c / "model.safetensors").unlink(),
    "config truncated": lambda c: _truncate(c / "config.json"),
}


@pytest.fixture(scope="module")
def unbroken(tmp_path_factory):
    run = tmp_path_factory.mktemp("unbroken") / "run"
    Trainer(tiny_cfg(steps=6, checkpoint_every=2), run, progress=False).run()
    return _state(run)


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_resume_falls_back_to_the_newest_intact_checkpoint(tmp_path, capsys, unbroken, damage):
    run = tmp_path / "run"
    Trainer(tiny_cfg(steps=4, checkpoint_every=2), run, progress=False).run()
    DAMAGE[damage](run / "checkpoints" / "step_00000004")
    capsys.readouterr()
    trainer = Trainer(tiny_cfg(steps=6, checkpoint_every=2), run, resume=True, progress=False)
    err = capsys.readouterr().err
    assert "step_00000004 is damaged" in err and "resuming from step_00000002" in err, err
    assert trainer.step == 2
    trainer.run()
    b = _state(run)
    assert [k for k in unbroken if not k.startswith("rng/cuda") and not torch.equal(unbroken[k], b[k])] == []
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4, 5, 6]  # the records of steps 3-4 of the lost checkpoint were replaced


def test_resume_with_every_checkpoint_damaged_names_each(tmp_path):
    run = tmp_path / "run"
    Trainer(tiny_cfg(steps=2, checkpoint_every=1), run, progress=False).run()
    for c in (run / "checkpoints").iterdir():
        _truncate(c / "training_state.safetensors")
    with pytest.raises(ValueError, match=r"every checkpoint .* is damaged \(step_00000002: .*; step_00000001: "):
        Trainer(tiny_cfg(steps=3), run, resume=True, progress=False)


def test_resume_removes_stale_temporaries_and_a_half_written_metrics_line(tmp_path, capsys):
    run = tmp_path / "run"
    Trainer(tiny_cfg(steps=2), run, progress=False).run()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    stale = run / "checkpoints" / f".tmp_step_00000003_{int(dead.stdout)}"
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"half")
    ours = run / "checkpoints" / ".tmp_step_00000003_1"  # pid 1 is alive: not ours to remove
    ours.mkdir()
    with open(run / "metrics.jsonl", "a") as f:
        f.write('{"step": 3, "d_a')  # killed while writing
    Trainer(tiny_cfg(steps=4), run, resume=True, progress=False).run()
    assert not stale.exists() and ours.exists()
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == [1, 2, 3, 4]
    err = capsys.readouterr().err
    assert f"removed {stale.name}" in err and "half-written last line" in err
