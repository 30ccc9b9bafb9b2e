"""The RCGAN objective, composed in phases apart from the training loop (as StyleGAN2-ADA's ``loss.py``).

:class:`RCGANLoss` knows the networks and the ``[loss]`` weights; it does not know optimisers, EMA,
checkpoints or data loading (``train.py`` owns those). Each phase computes its terms on one :class:`Batch`,
checks them and calls ``backward()``; the loop zeroes and steps the optimiser of each :class:`Phase`:

- ``"Dmain"``: adversarial + auxiliary class loss of both discriminators on real and generated pairs;
- ``"Dreg"``: lazy R1 on real pairs (every ``loss.r1_every`` steps), accumulated into the same D update;
- ``"Gmain"``: adversarial, auxiliary class, temporal consistency, field smoothness and magnitude, diversity (of
  the pixels and of the translation trajectories), ping-pong and (after ``loss.teach_warmup``) the teach term of
  :mod:`videoaug.gan.teach`;
- ``"Tstudent"``: the teach objective's student update on the clips ``Gmain`` just made (its own optimiser).

Everything random is drawn from one ``torch.Generator`` (``gen``) in a fixed order, so the same phases run on the
same batch give the same weights. The term functions live in :mod:`videoaug.gan.losses`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from videoaug.gan import losses as L
from videoaug.gan.config import LossConfig
from videoaug.gan.guard import DivergenceError, NonFiniteLossError, loss_problem
from videoaug.gan.teach import TeachObjective

__all__ = ["PHASES", "Batch", "DivergenceError", "NonFiniteLossError", "Phase", "RCGANLoss"]

PHASES = ("Dmain", "Dreg", "Gmain", "Tstudent")


@dataclass
class Batch:
    """One step's inputs, shared by its phases.

    Attributes:
        x: anchors, float ``(B, T, C, H, W)`` in [0, 1] on the training device.
        xp: partners (another clip of the anchor's class), like ``x``.
        y: labels ``(B,)`` long.
        g_labels: the labels the generator sees (``y`` with label dropout: ``-1`` for "no label").
        step: the global step (0-based) this batch is trained at.
        generated: set by ``Gmain``: ``(anchors, generated clips detached, their labels)`` for ``Tstudent``.
    """

    x: torch.Tensor
    xp: torch.Tensor
    y: torch.Tensor
    g_labels: torch.Tensor
    step: int
    generated: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None


@dataclass
class Phase:
    """A group of loss phases feeding one optimiser update.

    Attributes:
        names: the :data:`PHASES` accumulated (in order) before ``opt.step()``.
        opt: the optimiser stepped after them; ``None`` for a phase that updates its own model (``Tstudent``).
    """

    names: Sequence[str]
    opt: torch.optim.Optimizer | None = None


class RCGANLoss:
    """The generator's and discriminators' objectives as phases.

    Args:
        G: the raw generator (noise sampling); ``G_fwd`` its forward wrapper (DDP / compile), used for passes
            that train it.
        D_frame, D_clip: the raw discriminators (R1 and the generator phase run them directly).
        Df_fwd, Dc_fwd: their forward wrappers.
        cfg: the ``[loss]`` weights.
        d_frames: frames per clip the frame discriminator sees (``model.d_frames``).
        gen: the CPU ``torch.Generator`` every random draw comes from.
        teach: the TeachAugment objective, or ``None``.
        autocast: a factory of the mixed-precision context (``contextlib.nullcontext`` for none).
        world: the number of processes (R1 gradients are averaged by hand across them).
        max_loss: a phase loss whose absolute value exceeds this stops the run (:class:`DivergenceError`);
            0 only refuses NaN and inf (:class:`NonFiniteLossError`).
        describe: completes the error message from ``(step, problem)`` (the loop adds its last checkpoint).
    """

    def __init__(
        self,
        G: nn.Module,
        G_fwd: nn.Module,
        D_frame: nn.Module,
        D_clip: nn.Module,
        Df_fwd: nn.Module,
        Dc_fwd: nn.Module,
        cfg: LossConfig,
        d_frames: int,
        gen: torch.Generator,
        teach: TeachObjective | None = None,
        autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
        world: int = 1,
        max_loss: float = 0.0,
        describe: Callable[[int, str], str] | None = None,
    ) -> None:
        self.G, self.G_fwd = G, G_fwd
        self.D_frame, self.D_clip, self.Df_fwd, self.Dc_fwd = D_frame, D_clip, Df_fwd, Dc_fwd
        self.cfg, self.k, self.gen, self.teach = cfg, d_frames, gen, teach
        self.autocast, self.world = autocast, world
        self.max_loss, self.describe = max_loss, describe

    # ------------------------------------------------------------------------------------------ helpers
    def d_parameters(self) -> list[nn.Parameter]:
        return list(self.D_frame.parameters()) + list(self.D_clip.parameters())

    def _frames(self, clips: list[torch.Tensor]) -> list[torch.Tensor]:
        """The same ``k`` random frames of each clip from every tensor in ``clips``: ``(B * k, C, H, W)``."""
        B, T = clips[0].shape[:2]
        k = min(self.k, T)
        idx = torch.rand(B, T, generator=self.gen).argsort(dim=1)[:, :k].to(clips[0].device)
        rows = torch.arange(B, device=idx.device)[:, None]
        return [c[rows, idx].flatten(0, 1) for c in clips]

    def _noise(self, batch: int, T: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        z, e = self.G.sample_noise(batch, T, generator=self.gen, device="cpu")
        return z.to(device), e.to(device)

    def _check(self, step: int, name: str, value: torch.Tensor) -> None:
        """Raise before ``backward()`` when the loss is NaN/inf or explodes (on every process alike)."""
        problem = loss_problem(name, value, self.max_loss)
        if self.world > 1:  # one process alone must not raise while the others wait in a collective
            flag = torch.tensor([0.0 if problem is None else 1.0], device=value.device)
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            if flag.item() > 0 and problem is None:
                head = f"training diverged at step {step}: {name} exploded or became non-finite on another process"
                raise DivergenceError(self.describe(step, head) if self.describe is not None else head)
        if problem is None:
            return
        finite = bool(torch.isfinite(value).all())
        cls = DivergenceError if finite else NonFiniteLossError
        head = f"{'training diverged' if finite else 'non-finite loss'} at step {step}: {problem}"
        raise cls(self.describe(step, head) if self.describe is not None else head)

    def active(self, name: str, step: int) -> bool:
        """Whether phase ``name`` runs at ``step`` (lazy R1, teach only with a teach objective)."""
        if name == "Dreg":
            return self.cfg.r1_gamma > 0 and step % self.cfg.r1_every == 0
        if name == "Tstudent":
            return self.teach is not None
        return name in PHASES

    def accumulate(self, name: str, batch: Batch) -> dict[str, float]:
        """Run phase ``name`` on ``batch``: compute, check and backpropagate its loss; return its log values."""
        if name not in PHASES:
            raise ValueError(f"phase: expected one of {PHASES}, got {name!r}")
        return getattr(self, f"_{name}")(batch)

    # ------------------------------------------------------------------------------------------ phases
    def _Dmain(self, b: Batch) -> dict[str, float]:
        lw, x, xp, y = self.cfg, b.x, b.xp, b.y
        B, T = x.shape[:2]
        noise = self._noise(B, T, x.device)
        with torch.no_grad(), self.autocast():
            fake = self.G(x, b.g_labels, noise).float()
        fa, fp, ff = self._frames([x, xp, fake])
        with self.autocast():
            rc, rc_cls = self.Dc_fwd(x, xp)
            fc, _ = self.Dc_fwd(x, fake)
            rf, rf_cls = self.Df_fwd(fa, fp)
            frf, _ = self.Df_fwd(fa, ff)
        yk = y.repeat_interleave(min(self.k, T))
        d_adv = lw.adv_clip * L.d_adversarial_loss(rc.float(), fc.float()) + lw.adv_frame * L.d_adversarial_loss(
            rf.float(), frf.float()
        )
        d_aux = lw.aux * (L.aux_classification_loss(rc_cls, y) + L.aux_classification_loss(rf_cls, yk))
        d_loss = d_adv + d_aux
        self._check(b.step, "d_loss", d_loss)
        d_loss.backward()
        return {
            "d_adv": float(d_adv.detach()),
            "d_aux": float(d_aux.detach()),
            "d_real": float(rc.detach().float().mean()),
            "d_fake": float(fc.detach().float().mean()),
        }

    def _Dreg(self, b: Batch) -> dict[str, float]:
        lw = self.cfg
        xr = b.x.detach().requires_grad_(True)
        xpr = b.xp.detach().requires_grad_(True)
        fa_r, fp_r = self._frames([xr, xpr])
        r1 = L.r1_penalty(self.D_clip(xr, xpr)[0], [xr, xpr]) + L.r1_penalty(
            self.D_frame(fa_r, fp_r)[0], [fa_r, fp_r]
        )
        r1_loss = lw.r1_gamma / 2 * lw.r1_every * r1
        self._check(b.step, "r1", r1_loss)
        r1_loss.backward()
        if self.world > 1:  # the R1 gradients did not go through DDP: average them by hand
            for p in self.d_parameters():
                if p.grad is not None:
                    dist.all_reduce(p.grad)
                    p.grad.div_(self.world)
        return {"r1": float(r1.detach())}

    def _Gmain(self, b: Batch) -> dict[str, float]:
        lw, x, y = self.cfg, b.x, b.y
        B, T = x.shape[:2]
        logs: dict[str, float] = {}
        use_div = (lw.diversity > 0 or lw.motion_diversity > 0) and B >= 2
        base = x[: B // 2] if use_div else x
        base_y = b.g_labels[: B // 2] if use_div else b.g_labels
        n = base.shape[0]
        z1, e1 = self._noise(n, T, x.device)
        inputs, labs, zs, es = [base], [base_y], [z1], [e1]
        if use_div:
            z2, e2 = self._noise(n, T, x.device)
            inputs, labs, zs, es = inputs + [base], labs + [base_y], zs + [z2], es + [e2]
        if lw.pingpong > 0:
            inputs, labs, zs, es = inputs + [base.flip(1)], labs + [base_y], zs + [z1], es + [e1.flip(1)]
        xin = torch.cat(inputs)
        with self.autocast():
            out, fields = self.G_fwd(xin, torch.cat(labs), (torch.cat(zs), torch.cat(es)), return_fields=True)
        out = out.float()
        m = n * (2 if use_div else 1)
        gen, anchors = out[:m], xin[:m]
        true_y = y[: B // 2].repeat(2) if use_div else y
        ga, gf = self._frames([anchors, gen])
        d_params = self.d_parameters()
        for p in d_params:  # the G phase needs gradients through D, not for D
            p.requires_grad_(False)
        try:
            with self.autocast():
                gc, gc_cls = self.D_clip(anchors, gen)
                gfl, gf_cls = self.D_frame(ga, gf)
            g_adv = lw.adv_clip * L.g_adversarial_loss(gc.float()) + lw.adv_frame * L.g_adversarial_loss(
                gfl.float()
            )
            g_aux = lw.aux * (
                L.aux_classification_loss(gc_cls, true_y)
                + L.aux_classification_loss(gf_cls, true_y.repeat_interleave(min(self.k, T)))
            )
            fields_m = {key: v[:m].float() for key, v in fields.items()}
            g_temp = lw.temporal * L.temporal_consistency_loss(gen, anchors)
            g_smooth = lw.smooth * L.field_smoothness_loss(fields_m)
            g_mag = lw.magnitude * L.field_magnitude_penalty(fields_m)
            g_loss = g_adv + g_aux + g_temp + g_smooth + g_mag
            if use_div and lw.diversity > 0:
                g_div = lw.diversity * L.diversity_loss(gen[:n], gen[n:], (z1, e1), (z2, e2))
                g_loss = g_loss + g_div
                logs["g_div"] = float(g_div.detach())
            if use_div and lw.motion_diversity > 0:
                shifts = fields_m["shift"]
                g_mdiv = lw.motion_diversity * L.diversity_loss(shifts[:n], shifts[n:], (z1, e1), (z2, e2))
                g_loss = g_loss + g_mdiv
                logs["g_mdiv"] = float(g_mdiv.detach())
            if lw.pingpong > 0:
                g_pp = lw.pingpong * L.pingpong_loss(out[:n], out[m:])
                g_loss = g_loss + g_pp
                logs["g_pp"] = float(g_pp.detach())
            if self.teach is not None and b.step >= lw.teach_warmup:
                g_teach, teach_logs = self.teach.generator_loss(gen, true_y)
                g_loss = g_loss + lw.teach * g_teach
                logs.update(teach_logs, g_teach=float(g_teach.detach()))
        finally:
            for p in d_params:
                p.requires_grad_(True)
        self._check(b.step, "g_loss", g_loss)
        g_loss.backward()
        b.generated = (anchors, gen.detach(), true_y)
        logs.update(
            g_adv=float(g_adv.detach()),
            g_aux=float(g_aux.detach()),
            g_temp=float(g_temp.detach()),
            g_smooth=float(g_smooth.detach()),
            g_mag=float(g_mag.detach()),
            shift=float(fields_m["shift"].detach().abs().mean()),
            warp=float(fields_m["warp"].detach().abs().mean()),
        )
        return logs

    def _Tstudent(self, b: Batch) -> dict[str, float]:
        if self.teach is None or b.generated is None:
            raise RuntimeError("phase Tstudent: needs a teach objective and a Gmain phase before it in the step")
        anchors, gen, true_y = b.generated
        return {"teach_student": self.teach.student_step(anchors, gen, true_y)}
