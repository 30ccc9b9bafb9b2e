"""Divergence stops training (issue 12 item 3): exploding losses, non-finite gradients, weights or Adam state."""

import pytest
import torch
from test_gan_train import TINY_SETS, tiny_cfg

from videoaug.cli import fit as train_cli
from videoaug.gan import losses as L
from videoaug.gan.checkpoint import latest_checkpoint, load_generator
from videoaug.gan.guard import gradient_problem, loss_problem, state_problem
from videoaug.gan.train import DivergenceError, Trainer


def test_fit_with_a_huge_learning_rate_exits_non_zero_without_a_final_generator(tmp_path, capsys):
    run = tmp_path / "run"
    sets = [x for s in TINY_SETS for x in ("--set", s)]
    argv = ["--data", "moving-mnist", "--out", str(run), "--no-progress", "--sample-every", "0", "--steps", "20",
            "--lr", "3", *sets]
    assert train_cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "training diverged at step 0: g_loss = " in err and "exceeds train.max_loss = 10000" in err
    assert "last good checkpoint is none" in err and "Traceback" not in err
    assert not (run / "generator").exists()


def test_divergence_keeps_the_last_good_checkpoint(tmp_path):
    trainer = Trainer(tiny_cfg(steps=10, checkpoint_every=1), tmp_path / "run", progress=False)
    save = trainer.save

    def save_then_raise_the_lr():
        path = save()
        if trainer.step == 2:
            for opt in (trainer.opt_g, trainer.opt_d):
                for group in opt.param_groups:
                    group["lr"] = 3.0
        return path

    trainer.save = save_then_raise_the_lr
    with pytest.raises(DivergenceError, match=r"diverged at step 2: .*exceeds.*step_00000002"):
        trainer.run()
    ckpt = latest_checkpoint(tmp_path / "run" / "checkpoints")
    assert ckpt.name == "step_00000002" and not (tmp_path / "run" / "generator").exists()
    g, _ = load_generator(ckpt)
    assert all(torch.isfinite(p).all() for p in g.parameters())


def test_overflowing_adam_state_stops_the_run_even_with_finite_losses(tmp_path):
    # the symptom: no loss bound, losses ~1e11 but finite, inf in the discriminator's exp_avg_sq
    cfg = tiny_cfg(steps=40, max_loss=0.0)
    cfg.train.lr_g = cfg.train.lr_d = 3.0
    with pytest.raises(DivergenceError, match=r"opt_d: \d+ non-finite values in its exp_avg_sq"):
        Trainer(cfg, tmp_path / "run", progress=False).run()
    assert not (tmp_path / "run" / "generator").exists()


class _InfGrad(torch.autograd.Function):
    """Identity forward, infinite gradient backward: a finite loss whose gradient is not."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return g * float("inf")


def test_non_finite_gradients_stop_the_run_before_the_update(tmp_path, monkeypatch):
    real = L.temporal_consistency_loss
    monkeypatch.setattr(L, "temporal_consistency_loss", lambda fake, clip: _InfGrad.apply(real(fake, clip)))
    trainer = Trainer(tiny_cfg(steps=3), tmp_path / "run", progress=False)
    before = [p.clone() for p in trainer.G.parameters()]
    with pytest.raises(DivergenceError, match=r"step 0: opt_g: \d+ non-finite gradient values \(in opt_g\["):
        trainer.run()
    assert all(torch.equal(a, b) for a, b in zip(before, trainer.G.parameters(), strict=True))


def test_the_checks_themselves():
    assert loss_problem("d", torch.tensor(3.0), 10.0) is None
    assert loss_problem("d", torch.tensor(30.0), 10.0) == "d = 30 exceeds train.max_loss = 10"
    assert loss_problem("d", torch.tensor(30.0), 0.0) is None
    assert loss_problem("d", torch.tensor(float("nan")), 0.0) == "d = nan"
    p = torch.nn.Parameter(torch.ones(3))
    p.grad = torch.tensor([1.0, float("inf"), float("nan")])
    assert gradient_problem({"w": p}) == "2 non-finite gradient values (in w)"
    p.grad = torch.ones(3)
    assert gradient_problem({"w": p}) is None
    opt = torch.optim.Adam([p])
    opt.step()
    assert state_problem("opt", opt) is None
    opt.state[p]["exp_avg_sq"][0] = float("inf")
    assert state_problem("opt", opt) == "opt: 1 non-finite values in its exp_avg_sq"
    with torch.no_grad():
        p[1] = float("nan")
    assert state_problem("opt", opt) == "opt: 1 non-finite weights, 1 non-finite values in its exp_avg_sq"
