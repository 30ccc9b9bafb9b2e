"""The GAN objective's phases (videoaug/gan/loss.py) apart from the loop (videoaug/gan/train.py)."""

import dataclasses

import pytest
import torch
from test_gan_train import tiny_cfg

from videoaug.gan.train import Trainer


def _trainer(tmp_path, name, **loss):
    cfg = tiny_cfg(steps=1)
    loss = {"r1_every": 1, "teach": 0.5, "teach_width": 2, "teach_warmup": 0, **loss}
    cfg.loss = dataclasses.replace(cfg.loss, **loss)
    return Trainer(cfg, tmp_path / name, progress=False)


def _state(t: Trainer) -> dict[str, torch.Tensor]:
    return {f"{m}/{k}": v.clone() for m, mod in t._modules().items() for k, v in mod.state_dict().items()}


def test_a_loop_step_equals_its_phases_run_by_hand(tmp_path):
    a, b = _trainer(tmp_path, "a"), _trainer(tmp_path, "b")
    assert _state(a).keys() == _state(b).keys()
    batch = next(a._batches())
    logs = a.train_step(*batch)
    assert {"d_adv", "r1", "g_adv", "g_teach", "teach_student"} <= logs.keys()  # every phase ran
    x = b.make_batch(*batch)
    b.opt_d.zero_grad(set_to_none=True)
    b.loss.accumulate("Dmain", x)
    b.loss.accumulate("Dreg", x)
    b.opt_d.step()
    b.opt_g.zero_grad(set_to_none=True)
    b.loss.accumulate("Gmain", x)
    b.opt_g.step()
    b.loss.accumulate("Tstudent", x)
    b._update_ema()
    sa, sb = _state(a), _state(b)
    assert [k for k in sa if not torch.equal(sa[k], sb[k])] == []
    assert torch.equal(a.gen.get_state(), b.gen.get_state())  # the same random draws, in the same order
    with pytest.raises(ValueError, match="phase: expected one of"):
        b.loss.accumulate("Greg", x)


def _grads(params):
    return [p.grad is not None and bool(p.grad.abs().sum() > 0) for p in params]


@pytest.mark.parametrize("phase, trains", [("Dmain", "D"), ("Dreg", "D"), ("Gmain", "G")])
def test_each_phase_trains_its_network_only_and_lowers_its_loss(tmp_path, phase, trains):
    t = _trainer(tmp_path, phase, teach=0.0)
    g_params, d_params = list(t.G.parameters()), t.loss.d_parameters()
    x = t.make_batch(*next(t._batches()))
    state = t.gen.get_state()
    logs = t.loss.accumulate(phase, x)
    own, other = (d_params, g_params) if trains == "D" else (g_params, d_params)
    assert any(_grads(own)) and not any(_grads(other))
    opt = torch.optim.Adam(own, lr=1e-3)  # a first Adam step: lr * sign(grad), a descent direction
    opt.step()
    for p in g_params + d_params:
        p.grad = None
    t.gen.set_state(state)  # the same noise and frames again
    after = t.loss.accumulate(phase, x)
    assert _total(phase, after) < _total(phase, logs), (phase, logs, after)
    if phase == "Dmain":  # the discriminator moved real pairs' logits up relative to generated ones'
        assert after["d_real"] - after["d_fake"] > logs["d_real"] - logs["d_fake"], (logs, after)


def _total(phase, logs):
    """The phase's loss from its logged terms (r1 is logged before its weight)."""
    keys = {"Dmain": ("d_adv", "d_aux"), "Dreg": ("r1",)}.get(phase)
    return sum(v for k, v in logs.items() if (k in keys if keys else k.startswith("g_")))


def test_motion_diversity_alone_trains_the_trajectory_head_and_is_logged(tmp_path):
    cfg = tiny_cfg(steps=1)
    cfg.loss = dataclasses.replace(cfg.loss, teach=0.0, diversity=0.0, motion_diversity=0.5)
    cfg.model.generator.max_drift = 0.4
    t = Trainer(cfg, tmp_path / "mdiv", progress=False)
    x = t.make_batch(*next(t._batches()))
    logs = t.loss.accumulate("Gmain", x)
    assert "g_mdiv" in logs and "g_div" not in logs and logs["g_mdiv"] > 0
    assert t.G.drift_head.weight.grad is not None and t.G.drift_head.weight.grad.abs().sum() > 0
    # with both weights 0 neither term runs
    off = _trainer(tmp_path, "off", teach=0.0, diversity=0.0, motion_diversity=0.0)
    logs = off.loss.accumulate("Gmain", off.make_batch(*next(off._batches())))
    assert "g_mdiv" not in logs and "g_div" not in logs
