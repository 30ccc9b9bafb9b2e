"""The RCGAN training loop behind ``videoaug fit``.

:class:`Trainer` builds the data, networks and optimisers from a :class:`~videoaug.gan.config.FitConfig`; per
step it runs the phases of :class:`~videoaug.gan.loss.RCGANLoss` (``Dmain`` + ``Dreg`` into one discriminator
update, ``Gmain`` into one generator update, then the teach student), then updates the EMA generator. The
objective itself lives in ``loss.py`` (terms in ``losses.py``); the loop owns optimisers, EMA, checkpoints,
samples, logging and signals.

Real pairs are (anchor, another clip of the same class); generated pairs are (anchor, G(anchor)). Everything
random in a step is drawn from one ``torch.Generator`` whose state is checkpointed, and the data order comes
from a seeded :class:`~torch.utils.data.DistributedSampler` positioned by the step, so on a CPU a run stopped
and resumed ends with the same weights as an unbroken one.

Under ``torchrun`` (``WORLD_SIZE`` set) each process trains on its shard with ``DistributedDataParallel``;
rank 0 alone logs, writes samples and checkpoints.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import signal
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, Dataset

from videoaug.checkpoint import (
    load_module_tensors,
    load_optimizer_tensors,
    module_tensors,
    optimizer_tensors,
    restore_rng,
    rng_tensors,
)
from videoaug.gan.checkpoint import (
    CheckpointError,
    latest_checkpoint,
    load_generator,
    load_training_state,
    save_generator,
    save_training_checkpoint,
)
from videoaug.gan.config import FitConfig, config_from_dict
from videoaug.gan.data import (
    PairDataset,
    PositionedSampler,
    build_dataset,
    check_dataset,
)
from videoaug.gan.guard import (
    DivergenceError,
    NonFiniteLossError,
    gradient_problem,
    state_problem,
)
from videoaug.gan.loss import Batch, Phase, RCGANLoss
from videoaug.gan.networks import (
    ClipDiscriminator,
    FrameDiscriminator,
    Generator,
    GeneratorConfig,
)
from videoaug.gan.rundir import (
    newest_intact_checkpoint,
    remove_stale_tmp,
    repair_metrics,
)
from videoaug.gan.teach import TeachObjective

__all__ = ["DivergenceError", "NonFiniteLossError", "Trainer", "TrainingInterrupted", "fit"]



class TrainingInterrupted(KeyboardInterrupt):
    """SIGTERM or SIGINT stopped the run after a checkpoint; ``exit_code`` is ``128 + signum`` (143, 130).

    Attributes:
        signum: the signal. step, steps: where the run stopped, of how many. checkpoint: the checkpoint written
            (``None`` on processes other than rank 0).
    """

    def __init__(self, signum: int, step: int, steps: int, checkpoint: Path | None) -> None:
        self.signum, self.step, self.steps, self.checkpoint = signum, step, steps, checkpoint
        self.exit_code = 128 + signum
        where = f"; checkpoint {checkpoint}" if checkpoint is not None else ""
        super().__init__(
            f"stopped by {signal.Signals(signum).name} at step {step} of {steps}{where}; no final generator was "
            "written. Continue with --resume."
        )


def _resolve_device(name: str, local_rank: int) -> torch.device:
    if name == "auto":
        return torch.device(f"cuda:{local_rank}") if torch.cuda.is_available() else torch.device("cpu")
    if name == "cuda" and torch.cuda.is_available():
        return torch.device(f"cuda:{local_rank}")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("train.device: CUDA was asked for but torch sees no CUDA device")
    return device


class Trainer:
    """Train an RCGAN generator from a :class:`FitConfig` into ``out_dir``.

    Args:
        cfg: the validated configuration.
        out_dir: run directory: ``checkpoints/step_*``, ``generator/`` (the final EMA generator),
            ``samples/``, ``metrics.jsonl``, ``config.json``.
        resume: continue from the newest checkpoint in ``out_dir/checkpoints``.
        command: the command line recorded in checkpoints.
        dataset: use this dataset instead of building one from ``cfg.data`` (tests).
        progress: show a tqdm progress bar (rank 0).

    Example:
        >>> Trainer(cfg, "runs/mm").run()  # doctest: +SKIP
    """

    def __init__(
        self,
        cfg: FitConfig,
        out_dir: str | os.PathLike,
        resume: bool = False,
        command: str = "",
        dataset: Dataset | None = None,
        progress: bool = True,
    ) -> None:
        cfg.validate()
        self.cfg = cfg
        self.out = Path(out_dir)
        self.command = command
        self.progress = progress
        t = cfg.train
        self._threads_before = torch.get_num_threads()
        if t.threads:
            torch.set_num_threads(t.threads)
        # distributed
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.device = _resolve_device(t.device, self.local_rank)
        self.distributed = self.world > 1
        if self.distributed and not dist.is_initialized():
            dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        self.is_main = self.rank == 0
        self.amp = t.amp and self.device.type == "cuda"

        # data (validated before any model is built)
        where = "moving-mnist" if cfg.data.kind == "moving-mnist" else repr(cfg.data.path)
        base = dataset if dataset is not None else build_dataset(cfg)
        targets, classes = check_dataset(base, where)
        self.class_names = classes
        self.num_classes = max(1, len(classes))
        res = tuple(cfg.data.resolution)
        self.pairs = PairDataset(base, targets, t.seed, cfg.data.num_frames, res, cfg.data.channels)
        self.sampler = PositionedSampler(
            self.pairs, num_replicas=self.world, rank=self.rank, shuffle=True, seed=t.seed, drop_last=True
        )
        self.batches_per_epoch = len(self.sampler) // t.batch_size
        if self.batches_per_epoch < 1:
            raise ValueError(
                f"data: {where} has {len(base)} clips, fewer than one batch of {t.batch_size} per process"
            )

        # networks
        torch.manual_seed(t.seed)
        m = cfg.model
        self.gcfg = GeneratorConfig.from_settings(m.generator, cfg.data.channels, self.num_classes, res)
        self.G = Generator(self.gcfg).to(self.device)
        self.D_frame = FrameDiscriminator(cfg.data.channels, self.num_classes, m.d_width).to(self.device)
        self.D_clip = ClipDiscriminator(cfg.data.channels, self.num_classes, m.d_clip_width).to(self.device)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=t.lr_g, betas=tuple(t.betas))
        d_params = list(self.D_frame.parameters()) + list(self.D_clip.parameters())
        self.opt_d = torch.optim.Adam(d_params, lr=t.lr_d, betas=tuple(t.betas))
        lo = cfg.loss
        self.teach = (TeachObjective(cfg.data.channels, self.num_classes, lo.teach_width, lo.teach_lr,
                                     lo.teach_ema, self.device) if lo.teach > 0 else None)
        self.gen = torch.Generator(device="cpu").manual_seed(t.seed * 1000 + 17 + self.rank)
        self.step = 0
        self.elapsed = 0.0
        self.resumed_from: Path | None = None
        if resume:
            self._resume()
        # wrappers for the forward passes (DDP, compile); the raw modules stay for R1, EMA and saving
        self.G_fwd: nn.Module = self.G
        self.Df_fwd: nn.Module = self.D_frame
        self.Dc_fwd: nn.Module = self.D_clip
        if t.compile:
            self.G_fwd = torch.compile(self.G)
            self.Df_fwd = torch.compile(self.D_frame)
            self.Dc_fwd = torch.compile(self.D_clip)
        if self.distributed:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.G_fwd = DDP(self.G_fwd, device_ids=ids)
            self.Df_fwd = DDP(self.Df_fwd, device_ids=ids)
            self.Dc_fwd = DDP(self.Dc_fwd, device_ids=ids)
        self.loss = RCGANLoss(
            self.G, self.G_fwd, self.D_frame, self.D_clip, self.Df_fwd, self.Dc_fwd, cfg.loss, m.d_frames,
            self.gen, teach=self.teach, autocast=self._autocast, world=self.world, max_loss=t.max_loss,
            describe=self._stopped_message,
        )
        # the updates of a step, in order: D (main + lazy R1, one Adam step), G, then the teach student
        self.phases = [Phase(("Dmain", "Dreg"), self.opt_d), Phase(("Gmain",), self.opt_g), Phase(("Tstudent",))]
        self._opt_names = {id(opt): name for name, opt in self._optimizers().items()}
        self._stop: str | None = None
        self._tb = None

    # ------------------------------------------------------------------------------------------ state
    def _info(self) -> dict[str, Any]:
        return {
            "num_frames": self.cfg.data.num_frames,
            "class_names": self.class_names or [str(i) for i in range(self.num_classes)],
            "data": {k: v for k, v in self.cfg.to_dict()["data"].items()},
            "steps": self.step,
            "command": self.command,
            "training": self.cfg.to_dict(),
        }

    def _modules(self) -> dict[str, nn.Module]:
        """The trained modules by checkpoint prefix."""
        modules = {"G": self.G, "G_ema": self.G_ema, "D_frame": self.D_frame, "D_clip": self.D_clip}
        return {**modules, **(self.teach.modules() if self.teach is not None else {})}

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        opts = {"opt_g": self.opt_g, "opt_d": self.opt_d}
        return {**opts, **({"opt_teach": self.teach.opt} if self.teach is not None else {})}

    def state_tensors(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """Everything needed to resume, as flat tensors plus a JSON-able dict."""
        tensors: dict[str, torch.Tensor] = {}
        for name, module in self._modules().items():
            module_tensors(name, module, tensors)
        meta: dict[str, Any] = {}
        for name, opt in self._optimizers().items():
            optimizer_tensors(name, opt, tensors, meta)
        rng_tensors(tensors, {"train": self.gen})
        meta.update(
            {
                "epoch": self.step // self.batches_per_epoch,
                "batch_in_epoch": self.step % self.batches_per_epoch,
                "batch_size": self.cfg.train.batch_size,
                "world_size": self.world,
                "elapsed_s": self.elapsed,
                "config": self.cfg.to_dict(),
            }
        )
        return tensors, meta

    def save(self) -> Path:
        """Write a training checkpoint for the current step (rank 0) and return its directory."""
        tensors, meta = self.state_tensors()
        return save_training_checkpoint(
            self.out / "checkpoints",
            self.step,
            self.G_ema,
            self._info(),
            tensors,
            meta,
            keep_last=self.cfg.train.keep_last,
        )

    @staticmethod
    def _read_checkpoint(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """A checkpoint's training state, after checking its generator files too (sha256 and shapes)."""
        tensors, meta = load_training_state(path)
        load_generator(path)
        for key in ("step", "config", "batch_size", "world_size"):
            if key not in meta:
                raise CheckpointError(f"{path / 'training_state.json'}: no {key!r}")
        return tensors, meta

    def _resume(self) -> None:
        root = self.out / "checkpoints"
        found = newest_intact_checkpoint(root, self._read_checkpoint)
        if found is None:
            raise FileNotFoundError(f"--resume: no checkpoint in {root}")
        ckpt, (tensors, meta), damaged = found
        for path, why in damaged:
            if self.is_main:  # set aside, so that it is neither resumed from nor named as the last good one
                aside = path.with_name(f".damaged_{path.name}")
                shutil.rmtree(aside, ignore_errors=True)
                path.rename(aside)
                print(f"videoaug fit: warning: --resume: {path.name} is damaged ({why}); moved to {aside.name}",
                      file=sys.stderr)
        if damaged and self.is_main:
            print(f"videoaug fit: resuming from {ckpt.name}, the newest intact checkpoint", file=sys.stderr)
        saved = _flat(_as_current_layout(meta["config"]))
        now = _flat(self.cfg.to_dict())
        for section in ("data", "model"):
            diff = sorted(k for k in now if k.startswith(section + ".") and saved.get(k) != now[k])
            if diff:
                raise ValueError(f"--resume: [{section}] differs from the checkpoint's ({', '.join(diff)})")
        if meta["batch_size"] != self.cfg.train.batch_size or meta["world_size"] != self.world:
            print(
                f"videoaug fit: warning: batch size / processes changed since {ckpt.name}; the data order "
                "will differ from an unbroken run",
                file=sys.stderr,
            )
        for name, module in self._modules().items():
            load_module_tensors(name, module, tensors)
        for name, opt in self._optimizers().items():
            load_optimizer_tensors(name, opt, tensors, meta)
        restore_rng(tensors, {"train": self.gen})
        self.step = int(meta["step"])
        self.elapsed = float(meta.get("elapsed_s", 0.0))
        self.resumed_from = ckpt

    # ------------------------------------------------------------------------------------------ data
    def _batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Batches from the current step on, epoch after epoch (deterministic from seed and step)."""
        t = self.cfg.train
        while True:
            epoch, offset = divmod(self.step, self.batches_per_epoch)
            self.sampler.set_epoch(epoch)
            self.pairs.epoch = epoch
            self.sampler.start = offset * t.batch_size
            loader_gen = torch.Generator().manual_seed(t.seed * 7919 + epoch)
            loader = DataLoader(
                self.pairs,
                batch_size=t.batch_size,
                sampler=self.sampler,
                drop_last=True,
                num_workers=self.cfg.data.num_workers,
                generator=loader_gen,
                persistent_workers=False,
                pin_memory=self.device.type == "cuda",
                timeout=600 if self.cfg.data.num_workers else 0,
            )
            for i, batch in enumerate(loader):
                if offset + i >= self.batches_per_epoch:
                    break
                yield batch

    # ------------------------------------------------------------------------------------------ steps
    def _autocast(self):
        if self.amp:
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _label_dropout(self, labels: torch.Tensor) -> torch.Tensor:
        drop = torch.rand(labels.shape, generator=self.gen).to(labels.device) < self.cfg.train.label_dropout
        return torch.where(drop, torch.full_like(labels, -1), labels)

    def make_batch(self, anchor: torch.Tensor, partner: torch.Tensor, labels: torch.Tensor) -> Batch:
        """The step's :class:`~videoaug.gan.loss.Batch` from a loader batch (uint8 clips, labels)."""
        x = anchor.to(self.device, non_blocking=True).float().div_(255)
        xp = partner.to(self.device, non_blocking=True).float().div_(255)
        y = labels.to(self.device).long()
        return Batch(x, xp, y, self._label_dropout(y), self.step)

    def train_step(
        self, anchor: torch.Tensor, partner: torch.Tensor, labels: torch.Tensor
    ) -> dict[str, float]:
        """One update per :class:`~videoaug.gan.loss.Phase` on a batch, then the EMA; returns the loss values."""
        batch = self.make_batch(anchor, partner, labels)
        logs: dict[str, float] = {}
        for phase in self.phases:
            names = [n for n in phase.names if self.loss.active(n, batch.step)]
            if not names:
                continue
            if phase.opt is not None:
                phase.opt.zero_grad(set_to_none=True)
            for name in names:
                logs.update(self.loss.accumulate(name, batch))
            if phase.opt is not None:
                name = self._opt_names[id(phase.opt)]
                self._check_update(name, phase.opt, batch.step, after=False)
                phase.opt.step()
                self._check_update(name, phase.opt, batch.step, after=True)
        if self.teach is not None:
            self._check_update("opt_teach", self.teach.opt, batch.step, after=True)
        self._update_ema()
        return logs

    def _stopped_message(self, step: int, problem: str) -> str:
        """``problem`` with what happens next: the last good checkpoint and what to change."""
        last = latest_checkpoint(self.out / "checkpoints")
        return (
            f"{problem}; training stopped without saving this step. The last good checkpoint is "
            f"{last or 'none (no checkpoint written yet)'}. Lower train.lr_g / train.lr_d (--lr), raise "
            "loss.r1_gamma, or disable train.amp."
        )

    def _check_update(self, opt_name: str, opt: torch.optim.Optimizer, step: int, after: bool) -> None:
        """Stop on non-finite gradients (before ``opt.step()``) or weights / optimiser state (after it)."""
        if after:
            problem = state_problem(opt_name, opt)
        else:
            params = {f"{opt_name}[{i}]": p for i, p in enumerate(
                p for group in opt.param_groups for p in group["params"])}
            problem = gradient_problem(params)
            problem = problem and f"{opt_name}: {problem}"
        if problem is not None:
            raise DivergenceError(self._stopped_message(step, f"training diverged at step {step}: {problem}"))

    @torch.no_grad()
    def _update_ema(self) -> None:
        decay = self.cfg.train.ema_decay
        decay = min(decay, (1 + self.step) / (10 + self.step))
        for pe, p in zip(self.G_ema.parameters(), self.G.parameters(), strict=True):
            pe.lerp_(p.detach(), 1 - decay)
        for be, b in zip(self.G_ema.buffers(), self.G.buffers(), strict=True):
            be.copy_(b)

    # ------------------------------------------------------------------------------------------ outputs
    def _sample_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        n = min(4, len(self.pairs))
        items = [self.pairs[i] for i in range(n)]
        return torch.stack([a for a, _, _ in items]), torch.tensor([lab for _, _, lab in items])

    @torch.no_grad()
    def write_samples(self) -> Path:
        """A GIF grid: each row an anchor and two generated variants (EMA generator, fixed noise)."""
        from videoaug.io import write_gif

        anchors, labels = self._sample_batch()
        x = anchors.to(self.device).float() / 255
        g = torch.Generator().manual_seed(1234)
        n, T = x.shape[:2]
        v1 = self.G_ema(x, labels.to(self.device), self.G_ema.sample_noise(n, T, g, "cpu"))
        v2 = self.G_ema(x, labels.to(self.device), self.G_ema.sample_noise(n, T, g, "cpu"))
        grid = torch.stack([x, v1.float(), v2.float()], dim=1).flatten(0, 1).cpu()  # (3n, T, C, H, W)
        path = self.out / "samples" / f"step_{self.step:08d}.gif"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_gif(path, grid, fps=8, nrow=3)
        return path

    def _log(self, record: dict[str, Any]) -> None:
        with open(self.out / "metrics.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")
        if self._tb is not None:
            for k, v in record.items():
                if isinstance(v, (int, float)) and k != "step":
                    self._tb.add_scalar(k, v, record["step"])

    def _setup_outputs(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        for name in remove_stale_tmp(self.out / "checkpoints"):
            print(f"videoaug fit: removed {name}, left by a run killed while checkpointing", file=sys.stderr)
        fixed = repair_metrics(self.out / "metrics.jsonl", self.step if self.resumed_from is not None else None)
        if fixed["partial"] or fixed["dropped"]:
            print(
                f"videoaug fit: metrics.jsonl: removed {'a half-written last line and ' if fixed['partial'] else ''}"
                f"{fixed['dropped']} records after step {self.step}",
                file=sys.stderr,
            )
        (self.out / "config.json").write_text(self.cfg.to_json() + "\n")
        if self.cfg.train.tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self._tb = SummaryWriter(str(self.out / "tensorboard"))
            except ImportError:
                self._tb = None

    # ------------------------------------------------------------------------------------------ run
    def _on_signal(self, signum, frame) -> None:
        if self._stop is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now
        self._stop = signal.Signals(signum).name
        if self.is_main:
            print(f"\nvideoaug fit: {self._stop}: saving a checkpoint after this step...", file=sys.stderr)

    def _should_stop(self) -> int:
        """The number of the signal that asks every process to stop (0: none); agreed across processes."""
        signum = int(signal.Signals[self._stop]) if self._stop is not None else 0
        if self.distributed:
            t = torch.tensor([float(signum)], device=self.device)
            dist.all_reduce(t, op=dist.ReduceOp.MAX)
            signum = int(t.item())
        return signum

    def run(self) -> Path:
        """Train up to ``train.steps``; return the directory of the final generator (``out_dir/generator``).

        On SIGTERM or Ctrl-C, a checkpoint is written at the end of the current step and
        :class:`TrainingInterrupted` (a ``KeyboardInterrupt``) is raised; no ``generator/`` is written, since
        the run did not finish. A diverging run raises :class:`DivergenceError`.
        """
        t = self.cfg.train
        if self.is_main:
            self._setup_outputs()
        handlers = {}
        if threading_is_main():
            for sig in (signal.SIGINT, signal.SIGTERM):
                handlers[sig] = signal.signal(sig, self._on_signal)
        bar = None
        try:
            if self.is_main and self.progress:
                from tqdm import tqdm

                bar = tqdm(total=t.steps, initial=self.step, unit="step", dynamic_ncols=True, desc="fit")
            last_saved = self.step if self.resumed_from is not None else -1
            batches = self._batches()
            t_log, s_log = time.perf_counter(), self.step
            while self.step < t.steps:
                anchor, partner, labels = next(batches)
                t0 = time.perf_counter()
                logs = self.train_step(anchor, partner, labels)
                self.step += 1
                self.elapsed += time.perf_counter() - t0
                if self.is_main:
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(
                            {
                                k: f"{v:.3g}"
                                for k, v in logs.items()
                                if k in ("d_adv", "g_adv", "g_aux", "g_div", "warp")
                            }
                        )
                    if self.step % t.log_every == 0 or self.step == t.steps:
                        now = time.perf_counter()
                        rate = (self.step - s_log) / max(now - t_log, 1e-9)
                        t_log, s_log = now, self.step
                        self._log({"step": self.step, "time": time.time(), "steps_per_s": rate, **logs})
                    if t.sample_every and self.step % t.sample_every == 0:
                        self.write_samples()
                    if t.checkpoint_every and self.step % t.checkpoint_every == 0:
                        self.save()
                        last_saved = self.step
                stop = self._should_stop()
                if stop:
                    break
            else:
                stop = 0
            checkpoint = None
            if self.is_main:
                checkpoint = self.save() if last_saved != self.step else latest_checkpoint(self.out / "checkpoints")
                if not stop:
                    if t.sample_every:
                        self.write_samples()
                    save_generator(self.out / "generator", self.G_ema, self._info())
            if self.distributed:
                dist.barrier()
            if stop:
                raise TrainingInterrupted(stop, self.step, t.steps, checkpoint)
            return self.out / "generator"
        finally:
            if bar is not None:
                bar.close()
            for sig, h in handlers.items():
                signal.signal(sig, h)
            if self._tb is not None:
                self._tb.close()
            torch.set_num_threads(self._threads_before)


def _as_current_layout(saved: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint's config dict in today's layout (older runs kept the generator's keys flat in [model])."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return config_from_dict(saved, source="checkpoint").to_dict()
    except (ValueError, TypeError):
        return saved


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"model": {"generator": {"width": 4}}}`` -> ``{"model.generator.width": 4}``."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def threading_is_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def fit(cfg: FitConfig, out_dir: str | os.PathLike, **options: Any) -> Path:
    """``Trainer(cfg, out_dir, **options).run()``: train and return the final generator directory.

    ``options`` are :class:`Trainer`'s keyword arguments (``resume``, ``command``, ``dataset``, ``progress``).
    """
    return Trainer(cfg, out_dir, **options).run()
