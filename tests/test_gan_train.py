import argparse
import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from videoaug.cli import fit as train_cli
from videoaug.gan import losses as L
from videoaug.gan import sample as sample_cli
from videoaug.gan.checkpoint import latest_checkpoint, load_generator
from videoaug.gan.config import FitConfig, config_from_dict, load_config
from videoaug.gan.data import check_dataset, fit_clip
from videoaug.gan.train import NonFiniteLossError, Trainer

TINY_SETS = [
    "data.num_samples=40",
    "data.num_frames=4",
    "data.resolution=[16, 16]",
    "model.generator.width=4",
    "model.generator.hidden=8",
    "model.generator.embed_dim=4",
    "model.generator.z_dim=4",
    "model.generator.frame_noise_dim=2",
    "model.d_width=4",
    "model.d_clip_width=4",
    "model.d_frames=2",
    "train.batch_size=4",
    "train.log_every=1",
    "train.threads=1",
    "train.tensorboard=false",
]


def tiny_cfg(steps=4, **train) -> FitConfig:
    raw = {
        "data": {"num_samples": 40, "num_frames": 4, "resolution": [16, 16]},
        "model": {
            "generator": {"width": 4, "hidden": 8, "embed_dim": 4, "z_dim": 4, "frame_noise_dim": 2},
            "d_width": 4,
            "d_clip_width": 4,
            "d_frames": 2,
        },
        "loss": {"r1_every": 2, "pingpong": 0.5},
        "train": {
            "steps": steps,
            "batch_size": 4,
            "log_every": 1,
            "sample_every": 0,
            "checkpoint_every": 0,
            "threads": 1,
            "tensorboard": False,
            **train,
        },
    }
    return config_from_dict(raw)


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return load_file(str(latest_checkpoint(run / "checkpoints") / "training_state.safetensors"))


def test_tiny_run_trains_and_writes_everything(tmp_path):
    cfg = tiny_cfg(steps=4, sample_every=2, checkpoint_every=2, keep_last=1)
    out = Trainer(cfg, tmp_path / "run", command="videoaug fit --data moving-mnist", progress=False).run()
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3, 4]
    for r in records:
        for key in ("d_adv", "d_aux", "g_adv", "g_aux", "g_temp", "g_smooth", "g_mag", "g_div", "g_pp"):
            assert math.isfinite(r[key]), (key, r)
    assert "r1" in records[0] and "r1" not in records[1]  # lazy R1 every 2 steps, from step 0
    assert sorted(p.name for p in (tmp_path / "run" / "samples").iterdir()) == [
        "step_00000002.gif",
        "step_00000004.gif",
    ]
    assert [p.name for p in (tmp_path / "run" / "checkpoints").iterdir()] == ["step_00000004"]  # keep_last=1
    g, config = load_generator(out)
    assert config["steps"] == 4 and config["num_frames"] == 4 and config["class_names"][3] == "3"
    assert (
        config["training"]["train"]["steps"] == 4 and config["command"] == "videoaug fit --data moving-mnist"
    )
    x = torch.rand(2, 4, 1, 16, 16)
    assert g(x, torch.tensor([1, -1])).shape == x.shape
    # the generator moved away from the identity it started as
    assert not torch.allclose(g(x), x, atol=1e-4)


def test_resume_equals_unbroken_run(tmp_path):
    # 40 clips, batch 4: 10 batches per epoch, so the resumed part crosses an epoch boundary
    Trainer(tiny_cfg(steps=12), tmp_path / "unbroken", progress=False).run()
    Trainer(tiny_cfg(steps=7), tmp_path / "broken", progress=False).run()
    Trainer(tiny_cfg(steps=12), tmp_path / "broken", resume=True, progress=False).run()
    a, b = _weights(tmp_path / "unbroken"), _weights(tmp_path / "broken")
    assert a.keys() == b.keys()
    differing = [k for k in a if not k.startswith("rng/cuda") and not torch.equal(a[k], b[k])]
    assert differing == []
    lines_b = (tmp_path / "broken" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["step"] for x in lines_b] == list(range(1, 13))


def test_resume_refuses_a_changed_model_and_a_missing_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        Trainer(tiny_cfg(), tmp_path / "none", resume=True, progress=False)
    Trainer(tiny_cfg(steps=1), tmp_path / "run", progress=False).run()
    cfg = tiny_cfg(steps=2)
    cfg.model.generator.hidden = 6
    with pytest.raises(ValueError, match=r"\[model\] differs.*model\.generator\.hidden"):
        Trainer(cfg, tmp_path / "run", resume=True, progress=False)


class _SignalAt(torch.utils.data.Dataset):
    """Wraps a dataset and sends a signal to this process when item ``at`` is read the first time."""

    def __init__(self, base, at, sig):
        self.base, self.at, self.sig, self.sent = base, at, sig, False
        self.classes, self.targets = base.classes, base.targets

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        if i == self.at and not self.sent:
            self.sent = True
            os.kill(os.getpid(), self.sig)
        return self.base[i]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_saves_a_checkpoint_before_exit(tmp_path, sig):
    from videoaug.gan.data import build_dataset
    from videoaug.gan.train import TrainingInterrupted

    cfg = tiny_cfg(steps=50, sample_every=1)
    base = build_dataset(cfg)
    trainer = Trainer(cfg, tmp_path / "run", progress=False, dataset=_SignalAt(base, 0, sig))
    with pytest.raises(TrainingInterrupted) as info:
        trainer.run()
    assert isinstance(info.value, KeyboardInterrupt) and info.value.exit_code == 128 + sig
    ckpt = latest_checkpoint(tmp_path / "run" / "checkpoints")
    assert ckpt is not None and info.value.checkpoint == ckpt
    step = int(ckpt.name.split("_")[1])
    assert 1 <= step < 50 and step == trainer.step
    assert not (tmp_path / "run" / "generator").exists()  # an interrupted run is not presented as finished
    assert signal.getsignal(signal.SIGTERM) is not trainer._on_signal  # handlers restored


def test_sigterm_exits_143_with_a_checkpoint_and_no_final_generator(tmp_path):
    import time

    run = tmp_path / "run"
    sets = [x for s in TINY_SETS for x in ("--set", s)]
    cmd = [sys.executable, "-m", "videoaug", "fit", "--data", "moving-mnist", "--out", str(run), "--no-progress",
           "--sample-every", "0", "--steps", "100000", *sets]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 240
        while not (run / "metrics.jsonl").is_file() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err[-3000:]
    assert "stopped by SIGTERM at step" in err and "Continue with --resume" in err and "Traceback" not in err
    assert latest_checkpoint(run / "checkpoints") is not None and not (run / "generator").exists()


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = L.temporal_consistency_loss

    def poisoned(fake, real_clip):
        calls["n"] += 1
        value = real(fake, real_clip)
        return value * float("nan") if calls["n"] >= 3 else value

    monkeypatch.setattr(L, "temporal_consistency_loss", poisoned)
    trainer = Trainer(tiny_cfg(steps=10, checkpoint_every=1), tmp_path / "run", progress=False)
    with pytest.raises(NonFiniteLossError, match=r"step 2: g_loss = nan.*step_00000002"):
        trainer.run()
    ckpt = latest_checkpoint(tmp_path / "run" / "checkpoints")
    assert ckpt.name == "step_00000002"
    g, _ = load_generator(ckpt)
    assert all(torch.isfinite(p).all() for p in g.parameters())


class _Fake(torch.utils.data.Dataset):
    def __init__(self, targets, classes):
        self.targets, self.classes = targets, classes

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, i):
        return torch.zeros(4, 1, 16, 16, dtype=torch.uint8), self.targets[i]


def test_bad_data_fails_before_training(tmp_path):
    with pytest.raises(ValueError, match="has no clips"):
        Trainer(tiny_cfg(), tmp_path / "a", dataset=_Fake([], ["x"]), progress=False)
    with pytest.raises(ValueError, match="class 'b' has no clips"):
        Trainer(
            tiny_cfg(), tmp_path / "b", dataset=_Fake([0, 0, 2, 2, 0, 2], ["a", "b", "c"]), progress=False
        )
    with pytest.raises(ValueError, match="fewer than one batch"):
        Trainer(tiny_cfg(), tmp_path / "c", dataset=_Fake([0, 1, 0], ["a", "b"]), progress=False)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert check_dataset(_Fake([0, 1], ["a", "b"]), "x") == ([0, 1], ["a", "b"])


def test_bad_config_files(tmp_path):
    bad_key = tmp_path / "k.toml"
    bad_key.write_text("[train]\nstepz = 3\n")
    with pytest.raises(ValueError, match="unknown key 'stepz' in \\[train\\]"):
        load_config(bad_key)
    bad_type = tmp_path / "t.toml"
    bad_type.write_text('[train]\nsteps = "many"\n')
    with pytest.raises(TypeError, match=r"\[train\] steps: expected an int, got str 'many'"):
        load_config(bad_type)
    bad_table = tmp_path / "s.toml"
    bad_table.write_text("[optim]\nlr = 1\n")
    with pytest.raises(ValueError, match=r"unknown table \[optim\]"):
        load_config(bad_table)
    bad_value = tmp_path / "v.toml"
    bad_value.write_text("[data]\nchannels = 2\n")
    with pytest.raises(ValueError, match="data.channels: expected 1 or 3, got 2"):
        load_config(bad_value).validate()
    with pytest.raises(ValueError, match="model.generator.core: expected 'gru' or 'lstm', got 'rnn'"):
        config_from_dict({"model": {"generator": {"core": "rnn"}}}).validate()
    with pytest.raises(TypeError, match="expected true or false"):
        config_from_dict({"train": {"amp": 1}})
    with pytest.raises(TypeError, match="list of int"):
        config_from_dict({"data": {"resolution": 64}})
    (tmp_path / "broken.toml").write_text("[train\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_config(tmp_path / "broken.toml")


def test_shipped_configs_are_valid():
    for kind in ("moving-mnist", "folder", "ucf101"):
        cfg = load_config(kind=kind)
        assert cfg.data.kind == kind
        if kind != "moving-mnist":
            cfg.data.path, cfg.data.ucf101_splits = "/data", "/splits"
        cfg.validate()


def test_fit_clip_resizes_converts_and_loops():
    clip = torch.randint(0, 255, (3, 3, 20, 30), dtype=torch.uint8)
    out = fit_clip(clip, 5, (16, 16), 1)
    assert out.shape == (5, 1, 16, 16) and out.dtype == torch.uint8
    assert torch.equal(out[3], out[0])  # looped
    grey = torch.randint(0, 255, (2, 1, 16, 16), dtype=torch.uint8)
    assert torch.equal(fit_clip(grey, 2, (16, 16), 3), grey.expand(2, 3, 16, 16))


def test_cli_dry_run_and_errors(tmp_path, capsys):
    args = [
        "--data",
        "moving-mnist",
        "--out",
        str(tmp_path / "r"),
        "--dry-run",
        "--steps",
        "7",
        "--set",
        "loss.diversity=0.3",
        "--set",
        "data.num_samples=40",
    ]
    assert train_cli.main(args) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["train"]["steps"] == 7 and printed["loss"]["diversity"] == 0.3
    assert not (tmp_path / "r").exists()
    assert train_cli.main(["--data", "moving-mnist", "--out", str(tmp_path), "--set", "train.nope=1"]) == 2
    assert "unknown key 'nope'" in capsys.readouterr().err
    assert train_cli.main(["--data", str(tmp_path / "missing"), "--out", str(tmp_path)]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_cli_fit_then_sample(tmp_path, capsys):
    run = tmp_path / "run"
    sets = [x for s in TINY_SETS for x in ("--set", s)]
    assert (
        train_cli.main(
            [
                "--data",
                "moving-mnist",
                "--out",
                str(run),
                "--steps",
                "2",
                "--no-progress",
                "--sample-every",
                "0",
                "--checkpoint-every",
                "0",
                *sets,
            ]
        )
        == 0
    )
    config = json.loads((run / "generator" / "config.json").read_text())
    assert "--steps 2" in config["command"]
    gif = tmp_path / "grid.gif"
    sample = ["--checkpoint", str(run / "generator"), "--input", "moving-mnist", "--out", str(gif)]
    assert sample_cli.main([*sample, "--num-clips", "2", "--variants", "2", "--label", "3"]) == 0
    from PIL import Image

    with Image.open(gif) as im:
        assert im.n_frames == 4
        assert im.size == (3 * 18 + 2, 2 * 18 + 2)  # 3 columns (input + 2 variants), 2 rows, 2-px padding
    assert sample_cli.main([*sample, "--label", "eleven"]) == 2


def _torchrun_cmd(out: Path, steps: int) -> list[str]:
    sets = [x for s in TINY_SETS for x in ("--set", s)]
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "videoaug",
        "fit",
        "--data",
        "moving-mnist",
        "--out",
        str(out),
        "--steps",
        str(steps),
        "--no-progress",
        "--device",
        "cpu",
        "--sample-every",
        "0",
        "--checkpoint-every",
        "0",
        *sets,
    ]


def test_two_process_gloo_run(tmp_path):
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(_torchrun_cmd(out, 3), capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    records = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3]  # rank 0 alone logs
    state = json.loads((latest_checkpoint(out / "checkpoints") / "training_state.json").read_text())
    assert state["world_size"] == 2
    load_generator(out / "generator")


def _video_folder(root: Path, classes=("jump", "run"), per_class=2, empty=()):
    from videoaug.io import write_mp4

    g = torch.Generator().manual_seed(0)
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(per_class):
            clip = (torch.rand(8, 3, 24, 32, generator=g) * 255).to(torch.uint8)
            write_mp4(root / c / f"{c}_{i}.mp4", clip, fps=8)
    for c in empty:
        (root / c).mkdir(parents=True)
    return root


def test_fit_on_a_video_folder(tmp_path):
    data = _video_folder(tmp_path / "videos")
    sets = [x for s in TINY_SETS if not s.startswith("data.num_samples") for x in ("--set", s)]
    out = tmp_path / "run"
    assert train_cli.main(["--data", str(data), "--out", str(out), "--steps", "2", "--batch-size", "2",
                           "--no-progress", "--sample-every", "0", "--checkpoint-every", "0", "--num-workers",
                           "0", *sets]) == 0
    g, config = load_generator(out / "generator")
    assert config["class_names"] == ["jump", "run"] and config["channels"] == 3
    assert config["data"]["kind"] == "folder"


def test_fit_refuses_a_folder_with_an_empty_class(tmp_path, capsys):
    data = _video_folder(tmp_path / "videos", empty=("sit",))
    assert train_cli.main(["--data", str(data), "--out", str(tmp_path / "run"), "--dry-run"]) == 2
    assert "class 'sit' has no clips" in capsys.readouterr().err


def test_cli_resume_continues_the_run(tmp_path):
    run = tmp_path / "run"
    sets = [x for s in TINY_SETS for x in ("--set", s)]
    base = ["--data", "moving-mnist", "--out", str(run), "--no-progress", "--sample-every", "0", *sets]
    assert train_cli.main([*base, "--steps", "2"]) == 0
    assert train_cli.main([*base, "--steps", "3", "--resume"]) == 0
    records = [json.loads(x)["step"] for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert records == [1, 2, 3]
    assert load_generator(run / "generator")[1]["steps"] == 3


def _non_default(value, choices=("border", "reflection", "zeros")):
    """A valid value other than ``value`` for a generator setting (``choices``: a string setting's)."""
    if isinstance(value, str):
        return next(m for m in choices if m != value)
    return value + 1 if isinstance(value, int) else value + 0.05


def test_every_generator_setting_of_the_config_reaches_the_generator(tmp_path):
    # every field of [model.generator], set to a non-default value in a TOML file, is what the trained generator
    # is built with and what its checkpoint records: a field dropped on the way fails here
    from videoaug.gan.networks import GeneratorSettings

    base = tiny_cfg(steps=1).model.generator
    from videoaug.gan.networks import RECURRENT_CORES

    choices = {"core": tuple(RECURRENT_CORES)}
    wanted = {f.name: _non_default(getattr(base, f.name), *([choices[f.name]] if f.name in choices else []))
              for f in dataclasses.fields(GeneratorSettings)}
    toml = "\n".join(f"{k} = {json.dumps(v)}" for k, v in wanted.items())
    path = tmp_path / "g.toml"
    path.write_text(f"[model.generator]\n{toml}\n")
    loaded = load_config(path)
    cfg = tiny_cfg(steps=1)
    cfg.model.generator = loaded.model.generator
    trainer = Trainer(cfg, tmp_path / "run", progress=False)
    built = dataclasses.asdict(trainer.G.config)
    assert {k: built[k] for k in wanted} == wanted
    z, e = trainer.G.sample_noise(2, 4)
    assert z.shape == (2, wanted["z_dim"]) and e.shape == (2, 4, wanted["frame_noise_dim"])
    default_g = Trainer(tiny_cfg(steps=1), tmp_path / "default", progress=False).G
    assert sum(p.numel() for p in trainer.G.parameters()) > sum(p.numel() for p in default_g.parameters())
    saved = load_generator(trainer.run())[0].config
    assert {k: getattr(saved, k) for k in wanted} == wanted
    # and through the command line
    parser = argparse.ArgumentParser()
    train_cli.add_arguments(parser)
    cli = train_cli.resolve_config(parser.parse_args(
        ["--data", "moving-mnist", "--out", str(tmp_path / "x"), "--set", "model.generator.max_warp=0.03"]))
    assert cli.model.generator.max_warp == 0.03


def test_old_flat_model_keys_still_work_with_a_warning(tmp_path):
    path = tmp_path / "old.toml"
    path.write_text("[model]\nwidth = 6\nd_width = 5\n")
    with pytest.warns(FutureWarning, match=r"\[model\] width is now \[model.generator\] width"):
        cfg = load_config(path)
    assert cfg.model.generator.width == 6 and cfg.model.d_width == 5
    with pytest.warns(FutureWarning, match="model.generator.hidden"):
        cfg = config_from_dict({"model": {"hidden": 7}}, base=cfg, source="--set")
    assert cfg.model.generator.hidden == 7 and cfg.model.generator.width == 6
    path.write_text("[model]\nwidth = 6\n[model.generator]\nwidth = 8\n")
    with pytest.raises(ValueError, match="width given both as"):
        load_config(path)
    with pytest.raises(TypeError, match=r"\[model\] generator must be a table \[model.generator\]"):
        config_from_dict({"model": {"generator": 3}})
    with pytest.raises(ValueError, match=r"unknown key 'wdith' in \[model.generator\]"):
        config_from_dict({"model": {"generator": {"wdith": 3}}})


def test_teach_objective_trains_the_student_and_resumes_exactly(tmp_path):
    teach = {"teach": 0.5, "teach_width": 2, "teach_warmup": 2}
    cfg = tiny_cfg(steps=6)
    cfg.loss = dataclasses.replace(cfg.loss, **teach)
    trainer = Trainer(cfg, tmp_path / "unbroken", progress=False)
    student0 = {k: v.clone() for k, v in trainer.teach.student.state_dict().items()}
    trainer.run()
    records = [json.loads(line) for line in (tmp_path / "unbroken" / "metrics.jsonl").read_text().splitlines()]
    assert all("teach_student" in r for r in records)  # the student trains from the first step
    assert ["g_teach" in r for r in records] == [False, False, True, True, True, True]  # after the warm-up
    moved = [k for k, v in trainer.teach.student.state_dict().items() if not torch.equal(v, student0[k])]
    assert moved, "the student did not train"
    state = _weights(tmp_path / "unbroken")
    assert any(k.startswith("teach_student/") for k in state) and any(k.startswith("opt_teach/") for k in state)
    # stopped at step 3 and resumed: the same weights as the unbroken run, student and teacher included
    short = tiny_cfg(steps=3)
    short.loss = dataclasses.replace(short.loss, **teach)
    Trainer(short, tmp_path / "broken", progress=False).run()
    cfg2 = tiny_cfg(steps=6)
    cfg2.loss = dataclasses.replace(cfg2.loss, **teach)
    Trainer(cfg2, tmp_path / "broken", resume=True, progress=False).run()
    a, b = state, _weights(tmp_path / "broken")
    assert [k for k in a if not k.startswith("rng/cuda") and not torch.equal(a[k], b[k])] == []


def test_teach_generator_loss_rewards_clips_the_student_gets_wrong():
    from videoaug.gan.teach import TeachObjective

    teach = TeachObjective(1, 3, width=2, lr=1e-3, ema=0.5, device=torch.device("cpu"))
    fake = torch.rand(4, 4, 1, 16, 16, requires_grad=True)
    y = torch.tensor([0, 1, 2, 0])
    loss, logs = teach.generator_loss(fake, y)
    assert torch.isclose(loss, torch.tensor(logs["teach_teacher_ce"] - logs["teach_student_ce"]), atol=1e-5)
    loss.backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0
    assert all(p.grad is None for p in teach.student.parameters())  # the generator's term trains no classifier
    before_t = [p.clone() for p in teach.teacher.parameters()]
    before_s = [p.clone() for p in teach.student.parameters()]
    teach.student_step(torch.rand(4, 4, 1, 16, 16), fake, y)
    for pt, ps, t0 in zip(teach.teacher.parameters(), teach.student.parameters(), before_t,
                              strict=True):
        # EMA with decay 0.5: teacher = (old teacher + new student) / 2, and the teacher started as the student
        torch.testing.assert_close(pt, 0.5 * t0 + 0.5 * ps)
    assert any(not torch.equal(ps, s0) for ps, s0 in zip(teach.student.parameters(), before_s, strict=True))
    with pytest.raises(ValueError, match="at least 2 classes"):
        TeachObjective(1, 1, width=2, lr=1e-3, ema=0.5, device=torch.device("cpu"))


def test_per_class_trains_on_exactly_the_ablations_few_shot_clips(tmp_path):
    from videoaug.datasets.moving_mnist import MovingMNIST, first_per_class

    cfg = tiny_cfg(steps=1)
    cfg.data = dataclasses.replace(cfg.data, num_samples=200, per_class=2, seed=1003, digit_source="uci")
    trainer = Trainer(cfg, tmp_path / "run", progress=False)
    ds = trainer.pairs.dataset
    assert len(ds) == 20 and sorted(ds.targets) == sorted(list(range(10)) * 2)
    reference = MovingMNIST(200, num_frames=4, size=16, seed=1003, digit_source="uci")
    for j, i in enumerate(first_per_class(reference, 2)):
        clip, label = ds[j]
        ref_clip, ref_label = reference[i]
        assert label == ref_label and torch.equal(clip, ref_clip)
    with pytest.raises(ValueError, match="data.per_class"):
        bad = tiny_cfg()
        bad.data = dataclasses.replace(bad.data, kind="folder", path="x", per_class=2)
        bad.validate()


def test_resume_reads_a_checkpoint_config_of_the_old_flat_layout():
    from videoaug.gan.train import _as_current_layout, _flat

    new = tiny_cfg().to_dict()
    old = json.loads(json.dumps(new))
    old["model"] = {**old["model"].pop("generator"), **old["model"]}
    assert _flat(_as_current_layout(old)) == _flat(new)
    flat = _flat({"model": {"generator": {"width": 4}, "d_width": 2}})
    assert flat == {"model.generator.width": 4, "model.d_width": 2}
