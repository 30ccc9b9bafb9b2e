"""Data for the RCGAN trainer: the configured dataset, clips fitted to the training size, and pairs.

Real pairs for the DAGAN-style discriminators are (anchor, another clip of the same class); the sampler is a
:class:`~torch.utils.data.DistributedSampler` that can start at a given position, so a resumed run continues the
data order exactly where it stopped.
"""

from __future__ import annotations

import bisect
import hashlib
import os
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset, DistributedSampler

from videoaug.functional import luma
from videoaug.gan.config import FitConfig

__all__ = [
    "build_dataset",
    "check_dataset",
    "check_readable",
    "fit_clip",
    "LabelledSubset",
    "PairDataset",
    "PositionedSampler",
]


def build_dataset(cfg: FitConfig, split: str = "train") -> Dataset:
    """The dataset of ``cfg.data``: items ``(uint8 clip (T, C, H, W), label)``, with classes and targets."""
    d = cfg.data
    if d.kind == "moving-mnist":
        from videoaug.datasets import MovingMNIST
        from videoaug.datasets.moving_mnist import first_per_class

        ds = MovingMNIST(
            d.num_samples if split == "train" else max(1, d.num_samples // 5),
            split=split,
            num_frames=d.num_frames,
            size=d.resolution[0],
            num_digits=d.num_digits,
            seed=cfg.train.seed if d.seed < 0 else d.seed,
            digit_source=d.digit_source or None,
        )
        if d.per_class and split == "train":
            return LabelledSubset(ds, first_per_class(ds, d.per_class))
        return ds
    if d.kind == "folder":
        from videoaug.datasets import VideoFolder

        return VideoFolder(
            d.path, num_frames=d.num_frames, sampling="random", size=tuple(d.resolution), on_error="skip"
        )
    from videoaug.datasets import UCF101

    return UCF101(
        d.path,
        d.ucf101_splits,
        fold=d.fold,
        train=split == "train",
        num_frames=d.num_frames,
        sampling="random",
        size=tuple(d.resolution),
        on_error="skip",
    )


class LabelledSubset(Dataset):
    """The clips ``indices`` of ``dataset``, keeping its ``classes`` and the matching ``targets``."""

    def __init__(self, dataset: Dataset, indices: list[int]) -> None:
        self.dataset = dataset
        self.indices = list(indices)
        self.classes = list(getattr(dataset, "classes", []))
        all_targets = getattr(dataset, "targets", None)
        self.targets = [all_targets[i] for i in self.indices] if all_targets is not None else []

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int):
        return self.dataset[self.indices[index]]


def check_dataset(dataset: Dataset, where: str) -> tuple[list[int], list[str]]:
    """Return ``(targets, class names)``; raise ``ValueError`` for no clips or a class without clips."""
    if len(dataset) == 0:
        raise ValueError(f"data: {where} has no clips")
    classes = list(getattr(dataset, "classes", []))
    targets = list(getattr(dataset, "targets", [-1] * len(dataset)))
    if len(targets) != len(dataset):
        raise ValueError(f"data: {where}: {len(targets)} labels for {len(dataset)} clips")
    if classes:
        counts = [0] * len(classes)
        for t in targets:
            if 0 <= t < len(classes):
                counts[t] += 1
        empty = [c for c, n in zip(classes, counts, strict=True) if n == 0]
        if empty:
            raise ValueError(
                f"data: {where}: class {empty[0]!r} has no clips"
                + (f" (nor {', '.join(map(repr, empty[1:]))})" if len(empty) > 1 else "")
            )
    return targets, classes


def check_readable(dataset: Dataset, max_decode: int = 32) -> tuple[int, dict[str, str]]:
    """Open what a run will train on: ``(readable files, {path: cause} of the unreadable ones)``.

    Every file is probed (through the dataset's :class:`~videoaug.datasets._common.VideoIndex`, already built);
    of the files the probe found readable, up to ``max_decode`` spread evenly over the dataset are decoded too
    (a clip read with the dataset's sampling), which finds files whose header is fine but frames are not. A
    dataset without files (Moving MNIST) gives ``(len(dataset), {})``.
    """
    samples, index = getattr(dataset, "samples", None), getattr(dataset, "index", None)
    if samples is None or index is None:
        return len(dataset), {}
    from videoaug.io import VideoReadError

    root = dataset.root
    bad = {os.path.join(root, rel): entry for rel, entry in index.entries.items() if isinstance(entry, str)}
    good = [i for i, (path, _) in enumerate(samples) if path not in bad]
    step = max(1, len(good) // max_decode) if good else 1
    for i in good[::step][:max_decode]:
        try:
            dataset.load(i)
        except VideoReadError as exc:
            bad[samples[i][0]] = exc.cause or str(exc)
    return len(samples) - len(bad), bad


def fit_clip(clip: torch.Tensor, num_frames: int, resolution: tuple[int, int], channels: int) -> torch.Tensor:
    """Bring a uint8 clip to ``(num_frames, channels, *resolution)``: resize, convert channels, loop."""
    clip = clip.as_subclass(torch.Tensor)
    if clip.ndim != 4:
        raise ValueError(f"data: expected clips (T, C, H, W), got shape {tuple(clip.shape)}")
    if clip.shape[0] != num_frames:
        idx = torch.arange(num_frames) % clip.shape[0]
        clip = clip[idx]
    x = None
    if clip.shape[1] != channels:
        x = clip.float()
        x = luma(x) if channels == 1 else x.expand(-1, 3, -1, -1)
    if tuple(clip.shape[-2:]) != tuple(resolution):
        x = clip.float() if x is None else x
        x = F.interpolate(x, size=tuple(resolution), mode="bilinear", antialias=True, align_corners=False)
    if x is not None:
        clip = x.round().clamp(0, 255).to(torch.uint8)
    if clip.dtype != torch.uint8:
        raise ValueError(f"data: expected uint8 clips, got {clip.dtype}")
    return clip.contiguous()


class PairDataset(Dataset):
    """Items ``(anchor, partner, label)``: the partner is another clip of the anchor's class (any clip when
    unlabelled), chosen deterministically from ``(seed, epoch, index)``; both fitted by :func:`fit_clip`."""

    def __init__(
        self,
        dataset: Dataset,
        targets: list[int],
        seed: int,
        num_frames: int,
        resolution: tuple[int, int],
        channels: int,
    ) -> None:
        self.dataset = dataset
        self.targets = targets
        self.seed = seed
        self.epoch = 0
        self.shape = (num_frames, tuple(resolution), channels)
        by_class: dict[int, list[int]] = {}
        for i, t in enumerate(targets):
            by_class.setdefault(t, []).append(i)
        self.by_class = by_class

    def __len__(self) -> int:
        return len(self.dataset)

    def partner_of(self, index: int) -> int:
        pool = self.by_class[self.targets[index]]
        if len(pool) == 1:
            return index
        key = hashlib.blake2b(f"{self.seed}:{self.epoch}:{index}".encode(), digest_size=8).digest()
        j = int.from_bytes(key, "little") % (len(pool) - 1)
        pos = bisect.bisect_left(pool, index)  # pools are sorted
        return pool[j if j < pos else j + 1]  # any clip of the class but the anchor itself

    def __getitem__(self, index: int):
        anchor, label = self.dataset[index]
        partner, _ = self.dataset[self.partner_of(index)]
        t, res, c = self.shape
        return fit_clip(anchor, t, res, c), fit_clip(partner, t, res, c), int(label)


class PositionedSampler(DistributedSampler):
    """A ``DistributedSampler`` that can start part-way through an epoch (the data position of a resume)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.start = 0

    def __iter__(self) -> Iterator[int]:
        it = super().__iter__()
        for _ in range(self.start):
            next(it)
        return it

    def __len__(self) -> int:
        return self.num_samples - self.start


# ---------------------------------------------------------------------------------------------- trainer
