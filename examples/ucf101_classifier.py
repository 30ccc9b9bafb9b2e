"""Train and evaluate a 3-D ResNet on UCF-101 with videoaug augmentation.

The recipe is the usual one for clip classifiers trained on UCF-101 (as in torchvision's video classification
reference): 16-frame clips decoded at 128x171, 112x112 crops, SGD with momentum and a cosine learning rate
with linear warm-up, label smoothing when the labels are not mixed, mixed precision on CUDA. What it adds is
videoaug:

- ``--augment none``: a centre crop, nothing random (the baseline);
- ``--augment classical``: per-clip ``RandomResizedCrop``, ``RandomHorizontalFlip``, ``ColorJitter(p=0.8)``
  and ``RandomTubeErasing`` on the batch;
- ``--augment mix``: the centre crop, then MixUp or spatio-temporal CutMix (VideoMix) on the batch;
- ``--augment rcgan``: the centre crop, then the RCGAN generator (``--rcgan-checkpoint``, one you trained on
  your own videos with ``videoaug fit``) replacing clips by generated variants of the same class;
- ``--augment all``: the classical crop, RCGAN, the other classical ops, then mixing.

Clips are decoded in DataLoader workers (uint8, short side 128) and augmented *as a batch* on the training
device: on the GPU when CUDA is there, else on the CPU. Every epoch reports the clip accuracy on the test
split (one centre clip per video); at the end, the video accuracy averages the softmax of ``--eval-clips``
clips spread over each test video. Checkpoints (safetensors for tensors, JSON for the rest, no pickle) are
written after every epoch; ``--resume`` continues from the last one. Results go to ``<out>/results.json``.

Example (UCF-101 from https://www.crcv.ucf.edu/data/UCF101.php, split archive unpacked beside it)::

    python examples/ucf101_classifier.py --root data/UCF-101 --splits data/ucfTrainTestlist \\
        --model r3d_18 --augment all --rcgan-checkpoint checkpoints/ucf101 --epochs 45 --out runs/r3d18-all

On several GPUs, the same command under ``torchrun`` (one process per GPU, ``--batch-size`` clips per process)::

    torchrun --nproc_per_node 4 examples/ucf101_classifier.py --root data/UCF-101 --splits data/ucfTrainTestlist \\
        --model r3d_18 --augment all --rcgan-checkpoint checkpoints/ucf101 --epochs 45 --out runs/r3d18-all

Each process then trains ``DistributedDataParallel`` on its share of every epoch (a ``DistributedSampler``
reshuffled per epoch from ``--seed``), augments its batches on its own GPU with its own random draws, and the
gradients are averaged; rank 0 alone prints, evaluates, writes checkpoints and ``results.json``. ``--resume``
works the same (every process reads the checkpoint; random draws are seeded per epoch and rank, so a resumed
run repeats the epochs it had not finished). Without CUDA the processes use the gloo backend on the CPU.

Pretrained weights are only read from a local file (``--pretrained r3d_18.safetensors``); this script never
downloads anything. A classifier head whose shape does not match the number of classes is re-initialised."""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from torchvision.models import video as video_models
from torchvision.transforms import v2
from tqdm import tqdm

import videoaug.transforms as VT
from videoaug import checkpoint as ckpt
from videoaug.classifier import ReferenceClassifier
from videoaug.datasets.ucf101 import UCF101
from videoaug.mix import CutMix, MixUp, RandomMix

# Kinetics-400 statistics, which torchvision's video models were trained with.
MEAN = (0.43216, 0.394666, 0.37645)
STD = (0.22803, 0.22145, 0.216989)
AUGMENTS = ("none", "classical", "mix", "rcgan", "all")
MODELS = ("r3d_18", "r2plus1d_18", "mc3_18", "small")


# -- command line --------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Train a 3-D ResNet on UCF-101 with videoaug augmentation.")
    p.add_argument("--root", required=True, help="folder with the UCF-101 videos (one sub-folder per class)")
    p.add_argument("--splits", required=True,
                   help="folder with classInd.txt, trainlist0N.txt, testlist0N.txt")
    p.add_argument("--fold", type=int, default=1, choices=(1, 2, 3), help="official split")
    p.add_argument("--out", default="runs/ucf101", help="output folder: checkpoints and results.json")
    p.add_argument("--model", default="r3d_18", choices=MODELS,
                   help="torchvision video ResNet; 'small' is videoaug's 0.3 M-parameter reference 3-D CNN")
    p.add_argument("--pretrained", default=None,
                   help="local weights file (.safetensors, or a .pth state dict read with "
                   "torch.load(weights_only=True)); nothing is downloaded")
    p.add_argument("--augment", default="classical", choices=AUGMENTS)
    p.add_argument("--rcgan-checkpoint", default=None,
                   help="generator for --augment rcgan|all: a `videoaug fit` folder trained on your videos")
    p.add_argument("--rcgan-p", type=float, default=0.5, help="probability that a clip is replaced")
    p.add_argument("--rcgan-strength", type=float, default=1.0)
    p.add_argument("--frames", type=int, default=16, help="frames per clip")
    p.add_argument("--stride", type=int, default=2, help="temporal stride between sampled frames")
    p.add_argument("--resize", type=int, nargs=2, default=(128, 171), metavar=("H", "W"),
                   help="frame size the clips are decoded to")
    p.add_argument("--crop", type=int, default=112, help="side of the square crop the model sees")
    p.add_argument("--epochs", type=int, default=45)
    p.add_argument("--batch-size", type=int, default=24)
    p.add_argument("--lr", type=float, default=0.05, help="peak learning rate for --batch-size")
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--warmup-epochs", type=float, default=2.0)
    p.add_argument("--label-smoothing", type=float, default=0.1, help="used when labels are not mixed")
    p.add_argument("--eval-clips", type=int, default=10, help="clips per video for the final video accuracy")
    p.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1))
    p.add_argument("--device", default="auto", help="'auto' (cuda when available), 'cpu', 'cuda', 'cuda:1'")
    p.add_argument("--no-amp", action="store_true", help="disable mixed precision on CUDA")
    p.add_argument("--resume", action="store_true", help="continue from <out>/last.json when it exists")
    p.add_argument("--stop-after", type=int, default=0, metavar="E",
                   help="leave after E epochs of this invocation (to fit a job's time limit; then --resume)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-steps-per-epoch", type=int, default=0, help="0: whole epoch (for smoke tests)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


# -- model ---------------------------------------------------------------------------------------------------
class _SmallNet(nn.Module):
    """videoaug's reference 3-D CNN behind the ``(B, C, T, H, W)`` interface of torchvision's video models."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.net = ReferenceClassifier(in_channels=3, num_classes=num_classes, width=8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.transpose(1, 2))


def build_model(name: str, num_classes: int, pretrained: str | None = None) -> nn.Module:
    """A video classifier taking normalised clips ``(B, C, T, H, W)``, from scratch or from a local file."""
    if name == "small":
        model: nn.Module = _SmallNet(num_classes)
    elif name in ("r3d_18", "r2plus1d_18", "mc3_18"):
        model = getattr(video_models, name)(weights=None, num_classes=num_classes)
    else:
        raise ValueError(f"model: expected one of {MODELS}, got {name!r}")
    if pretrained:
        load_pretrained(model, pretrained)
    return model


def load_pretrained(model: nn.Module, path: str) -> None:
    """Load a state dict from ``path`` (safetensors or a tensor-only ``.pth``), skipping a mismatched head."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"--pretrained: expected a weights file, {path} not found")
    if path.endswith(".safetensors"):
        state = load_file(path)
    else:  # a plain state dict; weights_only refuses anything but tensors and containers (no code runs)
        state = torch.load(path, map_location="cpu", weights_only=True)
    own = model.state_dict()
    unexpected = sorted(set(state) - set(own))
    if unexpected:
        raise ValueError(f"--pretrained: {path} has tensors this model does not: {unexpected[:5]}")
    skipped = [k for k in state if state[k].shape != own[k].shape]
    for k in skipped:  # e.g. a 400-class Kinetics head on a 101-class model
        del state[k]
    missing = sorted(set(own) - set(state))
    if any(not k.startswith(("fc.", "net.head.")) for k in missing):
        raise ValueError(f"--pretrained: {path} lacks tensors of the backbone: {missing[:5]}")
    model.load_state_dict(state, strict=False)
    print(f"loaded {len(state)} tensors from {path}; re-initialised: {missing or 'none'}")


# -- processes -----------------------------------------------------------------------------------------------
class Dist:
    """Where this process stands under ``torchrun`` (``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``); one process
    otherwise (``world == 1``, nothing initialised)."""

    def __init__(self) -> None:
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))

    @property
    def distributed(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def start(self, device: torch.device) -> None:
        if self.distributed and not torch.distributed.is_initialized():
            backend = "nccl" if device.type == "cuda" else "gloo"
            torch.distributed.init_process_group(backend, rank=self.rank, world_size=self.world)

    def barrier(self) -> None:
        if self.distributed:
            torch.distributed.barrier()

    def sum(self, *values: float, device: torch.device) -> list[float]:
        """The sums of ``values`` over all processes."""
        if not self.distributed:
            return list(values)
        t = torch.tensor(values, dtype=torch.float64, device=device)
        torch.distributed.all_reduce(t)
        return t.tolist()

    def stop(self) -> None:
        if self.distributed and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


# -- data ----------------------------------------------------------------------------------------------------
def build_loaders(args: argparse.Namespace, dist: Dist | None = None
                  ) -> tuple[DataLoader, DataLoader, DataLoader, list[str]]:
    """Train loader (random clip per video), test loader (centre clip), video loader (K clips per video).

    Under ``torchrun`` the train loader draws this process's share through a ``DistributedSampler`` (seeded
    with ``--seed``; :func:`train_one_epoch` sets its epoch); the test loaders are read by rank 0 alone."""
    dist = dist or Dist()
    common = {"root": args.root, "split_dir": args.splits, "fold": args.fold, "num_frames": args.frames,
              "stride": args.stride, "size": tuple(args.resize), "progress": not args.no_progress}
    train = UCF101(train=True, sampling="dense", **common)  # a random window of frames `stride` apart
    test = UCF101(train=False, sampling="center", **common)  # the centred window
    # K windows, evenly spaced from the first to the last possible start
    videos = UCF101(train=False, sampling="center", num_clips=args.eval_clips, **common)
    loader = {"num_workers": args.workers, "pin_memory": torch.cuda.is_available(),
              "persistent_workers": False}
    g = torch.Generator().manual_seed(args.seed)
    if dist.distributed:
        sampler = DistributedSampler(train, num_replicas=dist.world, rank=dist.rank, shuffle=True, seed=args.seed,
                                     drop_last=True)
        train_loader = DataLoader(train, batch_size=args.batch_size, sampler=sampler, drop_last=True, generator=g,
                                  **loader)
    else:
        train_loader = DataLoader(train, batch_size=args.batch_size, shuffle=True, drop_last=True, generator=g,
                                  **loader)
    test_loader = DataLoader(test, batch_size=args.batch_size, **loader)
    video_loader = DataLoader(videos, batch_size=max(1, args.batch_size // args.eval_clips), **loader)
    return train_loader, test_loader, video_loader, list(train.classes)


# -- augmentation on the batch -------------------------------------------------------------------------------
Batch = tuple[torch.Tensor, torch.Tensor]


def build_train_augment(args: argparse.Namespace,
                        num_classes: int) -> tuple[Callable[[torch.Tensor, torch.Tensor], Batch], bool]:
    """The training pipeline: ``(uint8 (B, T, C, H, W), labels (B,)) -> (float (B, C, T, h, w), targets)``.

    It runs on the device the batch is on (the GPU in a CUDA run), every random parameter drawn per clip.

    Returns the pipeline and whether it mixes labels (then the targets are soft ``(B, num_classes)``).
    """
    classical = args.augment in ("classical", "all")
    mixing = args.augment in ("mix", "all")
    use_rcgan = args.augment in ("rcgan", "all")
    # crop first (the generator then works at the model's resolution), the photometric ops after the generator
    crop = VT.RandomResizedCrop(args.crop, scale=(0.25, 1.0)) if classical else VT.CenterCrop(args.crop)
    after = []
    if classical:
        after = [VT.RandomHorizontalFlip(), VT.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8),
                 VT.RandomTubeErasing(p=0.25)]
    rcgan = None
    if use_rcgan:
        from videoaug.gan.augment import RCGANAugment

        if not args.rcgan_checkpoint:
            raise ValueError(f"--augment {args.augment} needs --rcgan-checkpoint: a generator trained on "
                             "videos like yours, e.g. `videoaug fit --data UCF101_ROOT --ucf101-splits "
                             "SPLITS_DIR --fold 1 --out RUN_DIR`")

        rcgan = RCGANAugment(args.rcgan_checkpoint, p=args.rcgan_p, strength=args.rcgan_strength,
                             device="auto")  # runs where the batch is
    mix = None
    if mixing:
        mix = RandomMix([MixUp(alpha=0.8, num_classes=num_classes, mode="elem"),
                         CutMix(alpha=1.0, num_classes=num_classes, kind="spatiotemporal", mode="elem")])
    to_model = v2.Compose([VT.ToDtype(torch.float32, scale=True), VT.Normalize(MEAN, STD)])
    to_cthw = VT.ToCTHW()

    def augment(videos: torch.Tensor, labels: torch.Tensor) -> Batch:
        videos = crop(videos)
        if rcgan is not None:
            videos = _apply_rcgan(rcgan, videos, labels, num_classes)
        for t in after:
            videos = t(videos)
        videos = to_model(videos)
        targets = labels
        if mix is not None:
            videos, targets = mix(videos, labels)
        return to_cthw(videos), targets

    return augment, mixing


def _apply_rcgan(rcgan: nn.Module, videos: torch.Tensor, labels: torch.Tensor,
                 num_classes: int) -> torch.Tensor:
    """Condition on the labels when the generator knows these classes, else use its "no label" entry."""
    if getattr(rcgan, "num_classes", None) == num_classes:
        videos, _ = rcgan(videos, labels)
        return videos
    return rcgan(videos)


def build_eval_transform(args: argparse.Namespace) -> Callable[[torch.Tensor], torch.Tensor]:
    """uint8 ``(B, T, C, H, W)`` -> normalised float ``(B, C, T, crop, crop)``, deterministic."""
    return v2.Compose([VT.CenterCrop(args.crop), VT.ToDtype(torch.float32, scale=True),
                       VT.Normalize(MEAN, STD), VT.ToCTHW()])


# -- training and evaluation ---------------------------------------------------------------------------------
def cosine_lr(step: int, total: int, warmup: int, peak: float) -> float:
    """Linear warm-up to ``peak`` over ``warmup`` steps, then a cosine decay to 0 at ``total``."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * peak * (1.0 + math.cos(math.pi * min(1.0, progress)))


def train_one_epoch(model: nn.Module, loader: DataLoader, augment: Callable[..., Batch],
                    loss_fn: nn.Module, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler,
                    state: dict, args: argparse.Namespace, device: torch.device, amp: bool,
                    dist: Dist | None = None) -> dict:
    """One pass over ``loader``; ``state["step"]`` counts optimiser steps across epochs (for the schedule).
    Under ``torchrun`` the loss and accuracy returned are over all processes' clips."""
    dist = dist or Dist()
    model.train()
    steps = len(loader) if not args.max_steps_per_epoch else min(len(loader), args.max_steps_per_epoch)
    if steps == 0:
        raise ValueError(f"expected at least one training batch, got {len(loader.dataset)} training videos "
                         f"for --batch-size {args.batch_size}")
    # the shuffle (and worker seeds) of epoch e depend only on (seed, e): a resumed run sees the same batches
    loader.generator.manual_seed(args.seed * 100_003 + state["epoch"])
    if dist.distributed:
        # this process's share of epoch e, and its own augmentation draws, depend only on (seed, e, rank)
        loader.sampler.set_epoch(state["epoch"])
        torch.manual_seed((args.seed * 100_003 + state["epoch"]) * 1_009 + dist.rank)
    total_steps = steps * args.epochs
    warmup = round(args.warmup_epochs * steps)
    loss_sum = correct = seen = 0.0
    bar = tqdm(loader, total=steps, desc=f"epoch {state['epoch'] + 1}/{args.epochs}", leave=False,
               disable=args.no_progress or not dist.main)
    for i, (videos, labels) in enumerate(bar):
        if i >= steps:
            break
        lr = cosine_lr(state["step"], total_steps, warmup, args.lr)
        for group in optimizer.param_groups:
            group["lr"] = lr
        videos, labels = videos.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        with torch.no_grad():
            inputs, targets = augment(videos, labels)
        with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
            logits = model(inputs)
            loss = loss_fn(logits.float(), targets)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        state["step"] += 1
        if not math.isfinite(loss.item()):
            raise RuntimeError(f"loss became {loss.item()} at step {state['step']}: lower --lr")
        hard = targets.argmax(1) if targets.ndim == 2 else targets
        loss_sum += loss.item() * len(labels)
        correct += (logits.argmax(1) == hard).sum().item()
        seen += len(labels)
        bar.set_postfix(loss=f"{loss_sum / seen:.3f}", lr=f"{lr:.4f}")
    loss_sum, correct, seen = dist.sum(loss_sum, correct, seen, device=device)
    return {"train_loss": loss_sum / max(seen, 1), "train_acc": correct / max(seen, 1), "lr": lr}


@torch.no_grad()
def evaluate(model: nn.Module, loader: DataLoader, transform: Callable[[torch.Tensor], torch.Tensor],
             device: torch.device, amp: bool, progress: bool = True) -> float:
    """Top-1 accuracy over single clips ``(B, T, C, H, W)``, or over videos when the loader gives ``(B, K, T, C,
    H, W)`` items: the softmax averaged over each video's K clips."""
    model.eval()
    correct = total = 0
    for videos, labels in tqdm(loader, desc="test", leave=False, disable=not progress):
        b, k = videos.shape[0], (videos.shape[1] if videos.ndim == 6 else None)
        with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
            logits = model(transform(videos.flatten(0, videos.ndim - 5).to(device, non_blocking=True)))
        scores = logits if k is None else F.softmax(logits.float(), dim=1).view(b, k, -1).mean(1)
        correct += (scores.argmax(1).cpu() == labels).sum().item()
        total += b
    return correct / total


# -- checkpoints: tensors in safetensors, the rest in JSON ---------------------------------------------------
def save_checkpoint(out: Path, model: nn.Module, optimizer: torch.optim.Optimizer,
                    scaler: torch.amp.GradScaler, state: dict) -> None:
    """Write ``last.safetensors`` (weights, optimiser buffers, RNG), then ``last.json`` (the rest and the
    tensors' sha256), both with :mod:`videoaug.checkpoint`."""
    tensors: dict[str, torch.Tensor] = {}
    meta: dict = {"state": state, "scaler": scaler.state_dict()}
    ckpt.module_tensors("model", model, tensors)
    ckpt.optimizer_tensors("optim", optimizer, tensors, meta)
    ckpt.rng_tensors(tensors)
    meta["sha256"] = ckpt.save_tensors(out / "last.safetensors", tensors)
    ckpt.write_json(out / "last.json", meta, indent=1)


def load_checkpoint(out: Path, model: nn.Module, optimizer: torch.optim.Optimizer,
                    scaler: torch.amp.GradScaler) -> dict:
    """Restore what :func:`save_checkpoint` wrote (sha256 checked) and return the training state (epoch, step,
    history)."""
    meta = ckpt.read_json(out / "last.json")
    tensors = ckpt.load_tensors(out / "last.safetensors", sha256=meta.get("sha256"), what="last.json")
    ckpt.load_module_tensors("model", model, tensors)
    ckpt.load_optimizer_tensors("optim", optimizer, tensors, meta)
    scaler.load_state_dict(meta["scaler"])
    ckpt.restore_rng(tensors)
    return meta["state"]


# -- main ----------------------------------------------------------------------------------------------------
def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    dist = Dist()
    device = resolve_device(args.device)
    if dist.distributed and device.type == "cuda":
        device = torch.device("cuda", dist.local_rank)  # one GPU per process
        torch.cuda.set_device(device)
    dist.start(device)
    try:
        return _train(args, argv, dist, device)
    finally:
        dist.stop()


def _train(args: argparse.Namespace, argv: list[str], dist: Dist, device: torch.device) -> int:
    torch.manual_seed(args.seed)
    amp = device.type == "cuda" and not args.no_amp
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    log = print if dist.main else (lambda *a, **k: None)

    train_loader, test_loader, video_loader, classes = build_loaders(args, dist)
    num_classes = len(classes)
    # same seed, same initial weights on every process (DDP also broadcasts rank 0's)
    model = build_model(args.model, num_classes, args.pretrained).to(device)
    augment, mixing = build_train_augment(args, num_classes)
    eval_transform = build_eval_transform(args)
    # soft (mixed) targets carry their own smoothing; hard labels get label smoothing here
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.0 if mixing else args.label_smoothing)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                                weight_decay=args.weight_decay)
    scaler = torch.amp.GradScaler(device.type, enabled=amp)

    state = {"epoch": 0, "step": 0, "history": []}
    if args.resume and (out / "last.json").is_file():
        state = load_checkpoint(out, model, optimizer, scaler)
        log(f"resumed from {out / 'last.json'} after epoch {state['epoch']}")
    trained = model  # what is saved and evaluated; the DDP wrapper only trains
    if dist.distributed:
        model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    log(f"{args.model} on {device} ({'AMP' if amp else 'fp32'}), {num_classes} classes, "
        f"{len(train_loader.dataset)} train / {len(test_loader.dataset)} test videos, augment={args.augment}"
        + (f", {dist.world} processes x {args.batch_size} clips" if dist.distributed else ""))

    progress = not args.no_progress
    first_epoch = state["epoch"]
    while state["epoch"] < args.epochs:
        if args.stop_after and state["epoch"] - first_epoch >= args.stop_after:
            log(f"stopping after {args.stop_after} epoch(s) as asked; continue with --resume")
            return 0
        t0 = time.perf_counter()
        stats = train_one_epoch(model, train_loader, augment, loss_fn, optimizer, scaler, state, args, device,
                                amp, dist)
        state["epoch"] += 1
        if dist.main:  # rank 0 evaluates and writes; the others wait for the checkpoint
            stats["test_clip_acc"] = evaluate(trained, test_loader, eval_transform, device, amp, progress)
            stats.update(epoch=state["epoch"], seconds=round(time.perf_counter() - t0, 2))
            state["history"].append(stats)
            save_checkpoint(out, trained, optimizer, scaler, state)
            log(f"epoch {state['epoch']}/{args.epochs}: loss {stats['train_loss']:.4f}, train acc "
                f"{stats['train_acc']:.4f}, test clip acc {stats['test_clip_acc']:.4f} "
                f"({stats['seconds']:.0f}s)")
        dist.barrier()

    if not dist.main:
        return 0
    video_acc = evaluate(trained, video_loader, eval_transform, device, amp, progress)
    results = {
        "command": ("torchrun --nproc_per_node " + os.environ.get("LOCAL_WORLD_SIZE", str(dist.world)) + " "
                    if dist.distributed else "python ") + "examples/ucf101_classifier.py "
        + " ".join(shlex.quote(a) for a in argv),
        "model": args.model, "augment": args.augment, "fold": args.fold, "num_classes": num_classes,
        "device": str(device) if device.type != "cuda" else torch.cuda.get_device_name(device),
        "amp": amp, "torch": torch.__version__, "world_size": dist.world, "epochs": state["epoch"],
        "history": state["history"],
        "test_clip_acc": state["history"][-1]["test_clip_acc"] if state["history"] else None,
        "test_video_acc": video_acc, "eval_clips": args.eval_clips,
        "wall_seconds": round(time.perf_counter() - start, 1),
    }
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    log(f"video accuracy ({args.eval_clips} clips per video): {video_acc:.4f}; "
          f"wrote {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
