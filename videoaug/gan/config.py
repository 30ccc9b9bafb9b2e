"""Training configuration of ``videoaug fit``: dataclasses, TOML loading and validation.

A config file has four tables, ``[data]``, ``[model]`` (with ``[model.generator]``), ``[loss]`` and ``[train]``,
whose keys are the fields of :class:`DataConfig`, :class:`ModelConfig` (and
:class:`~videoaug.gan.networks.GeneratorSettings`), :class:`LossConfig` and :class:`TrainConfig`. Missing keys keep
their defaults; an unknown key or a value of the wrong type raises ``ValueError``/``TypeError`` naming the
table, the key and what was expected, before anything is trained. Defaults for each kind of data ship in
``videoaug/gan/configs/`` (``moving_mnist.toml``, ``folder.toml``, ``ucf101.toml``).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import tomllib
import types
import typing
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from videoaug.gan.networks import RECURRENT_CORES, GeneratorSettings

__all__ = [
    "DataConfig",
    "ModelConfig",
    "LossConfig",
    "TrainConfig",
    "FitConfig",
    "load_config",
    "config_from_dict",
    "default_config_path",
    "CONFIG_DIR",
]

CONFIG_DIR = Path(__file__).with_name("configs")


@dataclass
class DataConfig:
    """What to train on.

    Args:
        kind: ``"moving-mnist"``, ``"folder"`` (one sub-folder per class) or ``"ucf101"``.
        path: data root (folders and UCF-101); ignored for Moving MNIST.
        ucf101_splits: folder with ``classInd.txt`` and ``trainlist0N.txt`` (UCF-101 only).
        fold: UCF-101 split 1..3.
        num_frames: frames per clip T.
        resolution: (H, W) clips are resized to.
        channels: 1 or 3; clips with the other count are converted (luma or repeat).
        num_samples: Moving MNIST clips per epoch (generated).
        num_digits: Moving MNIST digits per clip.
        num_workers: DataLoader workers.
        digit_source: Moving MNIST digit images: ``""`` (the default source), ``"uci"``, ``"glyphs"`` (rendered
            font digits: another digit source, for a generator that must not see the evaluation's handwriting)
            or a folder with MNIST idx files.
        per_class: Moving MNIST only: train on the first ``per_class`` clips of each class of the stream (the
            few-shot subset :func:`videoaug.datasets.moving_mnist.first_per_class` picks, the one the ablation's
            classifier gets); 0 uses every clip.
        seed: Moving MNIST only: the stream's seed; -1 uses ``train.seed``.
    """

    kind: str = "moving-mnist"
    path: str = ""
    ucf101_splits: str = ""
    fold: int = 1
    num_frames: int = 16
    resolution: list[int] = field(default_factory=lambda: [64, 64])
    channels: int = 1
    num_samples: int = 10000
    num_digits: int = 1
    num_workers: int = 0
    digit_source: str = ""
    per_class: int = 0
    seed: int = -1


@dataclass
class ModelConfig:
    """The networks: the generator's settings (``[model.generator]``, a
    :class:`~videoaug.gan.networks.GeneratorSettings`, completed with the data's channels, classes and
    resolution when the generator is built) and the discriminators' sizes.

    Args:
        generator: the generator's sizes and bounds.
        d_width: the frame discriminator's first width.
        d_clip_width: the clip discriminator's first width.
        d_frames: frames per clip the frame discriminator sees.
    """

    generator: GeneratorSettings = field(default_factory=GeneratorSettings)
    d_width: int = 24
    d_clip_width: int = 16
    d_frames: int = 4


@dataclass
class LossConfig:
    """Loss weights. ``r1_gamma`` is the R1 weight gamma (applied as ``gamma / 2 * r1_every``).

    ``teach`` > 0 adds the classifier-aware objective of TeachAugment (Suzuki et al., CVPR 2022; see
    :mod:`videoaug.gan.teach`): a student classifier (width ``teach_width``, AdamW at ``teach_lr``) trains on the
    generator's clips beside the GAN, its EMA (decay ``teach_ema``) is the teacher, and the generator is rewarded,
    with weight ``teach``, for clips the student gets wrong while the teacher still gets them right. The term
    starts after ``teach_warmup`` steps, once the student has learned something.

    ``diversity`` weights the mode-seeking term on the generated pixels; ``motion_diversity`` the same term on the
    translation trajectories (``shift`` over the frames) of two noise draws, so that the noise buys different
    motions rather than frame-to-frame flicker.
    """

    adv_frame: float = 1.0
    adv_clip: float = 1.0
    r1_gamma: float = 1.0
    r1_every: int = 4
    aux: float = 1.0
    temporal: float = 1.0
    smooth: float = 1.0
    pingpong: float = 0.0
    diversity: float = 0.1
    motion_diversity: float = 0.0
    magnitude: float = 0.05
    teach: float = 0.0
    teach_width: int = 8
    teach_lr: float = 2e-3
    teach_ema: float = 0.99
    teach_warmup: int = 200


@dataclass
class TrainConfig:
    """Optimisation and bookkeeping.

    Args:
        steps: total optimisation steps (one D and one G update each).
        batch_size: clips per step (per process under DDP).
        lr_g, lr_d: Adam learning rates; ``betas`` its betas.
        ema_decay: decay of the generator's exponential moving average (0 disables it).
        label_dropout: probability that the generator sees "no label" for a clip, so the unconditional entry
            is trained too.
        seed: seeds the data order, the noise and the weights.
        log_every, sample_every, checkpoint_every: intervals in steps (0 disables samples/checkpoints).
        keep_last: periodic checkpoints kept.
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        amp: bf16 autocast on CUDA.
        compile: ``torch.compile`` the networks.
        threads: torch CPU threads (0 keeps torch's default).
        tensorboard: also log to TensorBoard when it is installed.
        max_loss: a discriminator, R1 or generator loss above this (in absolute value) means the run diverged:
            it stops with an error, keeping its last good checkpoint (0: stop on NaN / inf only). Healthy
            losses are orders of magnitude smaller; non-finite gradients, weights or Adam state always stop the run.
    """

    steps: int = 2000
    batch_size: int = 16
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: list[float] = field(default_factory=lambda: [0.0, 0.99])
    ema_decay: float = 0.995
    label_dropout: float = 0.2
    seed: int = 0
    log_every: int = 10
    sample_every: int = 250
    checkpoint_every: int = 250
    keep_last: int = 3
    device: str = "auto"
    amp: bool = True
    compile: bool = False
    threads: int = 0
    tensorboard: bool = True
    max_loss: float = 1e4


@dataclass
class FitConfig:
    """The whole configuration of a training run."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def validate(self) -> FitConfig:
        """Check value ranges; raise ``ValueError`` naming the key. Returns ``self``."""
        d, m, lo, t = self.data, self.model, self.loss, self.train
        _check(
            d.kind in ("moving-mnist", "folder", "ucf101"),
            "data.kind",
            "'moving-mnist', 'folder' or 'ucf101'",
            d.kind,
        )
        _check(d.kind == "moving-mnist" or bool(d.path), "data.path", "a data folder for this kind", d.path)
        _check(d.kind != "ucf101" or bool(d.ucf101_splits), "data.ucf101_splits", "the split folder", "")
        _check(d.fold in (1, 2, 3), "data.fold", "1, 2 or 3", d.fold)
        _check(d.num_frames >= 2, "data.num_frames", "an int >= 2", d.num_frames)
        _check(
            len(d.resolution) == 2 and min(d.resolution) >= 16,
            "data.resolution",
            "[H, W] with H, W >= 16",
            d.resolution,
        )
        _check(d.channels in (1, 3), "data.channels", "1 or 3", d.channels)
        _check(d.num_samples >= 1, "data.num_samples", "a positive int", d.num_samples)
        _check(d.num_digits >= 1, "data.num_digits", "a positive int", d.num_digits)
        _check(d.num_workers >= 0, "data.num_workers", "an int >= 0", d.num_workers)
        _check(d.per_class >= 0, "data.per_class", "an int >= 0 (0: every clip)", d.per_class)
        _check(d.per_class == 0 or d.kind == "moving-mnist", "data.per_class", "0 unless data.kind is "
               "'moving-mnist'", d.per_class)
        _check(d.seed >= -1, "data.seed", "an int >= -1 (-1: train.seed)", d.seed)
        g = m.generator
        for name in ("width", "hidden", "embed_dim", "z_dim", "frame_noise_dim"):
            _check(getattr(g, name) >= 1, f"model.generator.{name}", "a positive int", getattr(g, name))
        for name in ("max_shift", "max_affine", "max_warp", "max_gain", "max_bias", "max_drift"):
            _check(getattr(g, name) >= 0, f"model.generator.{name}", "a number >= 0", getattr(g, name))
        _check(
            g.padding_mode in ("zeros", "border", "reflection"),
            "model.generator.padding_mode",
            "'zeros', 'border' or 'reflection'",
            g.padding_mode,
        )
        _check(g.core in RECURRENT_CORES, "model.generator.core", " or ".join(map(repr, RECURRENT_CORES)), g.core)
        for name in ("d_width", "d_clip_width", "d_frames"):
            _check(getattr(m, name) >= 1, f"model.{name}", "a positive int", getattr(m, name))
        for f in dataclasses.fields(lo):
            _check(getattr(lo, f.name) >= 0, f"loss.{f.name}", "a value >= 0", getattr(lo, f.name))
        _check(lo.r1_every >= 1, "loss.r1_every", "an int >= 1", lo.r1_every)
        _check(lo.teach_width >= 1, "loss.teach_width", "an int >= 1", lo.teach_width)
        _check(lo.teach_ema < 1, "loss.teach_ema", "a number in [0, 1)", lo.teach_ema)
        _check(t.steps >= 1, "train.steps", "a positive int", t.steps)
        _check(t.batch_size >= 2, "train.batch_size", "an int >= 2", t.batch_size)
        _check(t.lr_g > 0 and t.lr_d > 0, "train.lr_g/lr_d", "positive numbers", (t.lr_g, t.lr_d))
        _check(
            len(t.betas) == 2 and all(0 <= b < 1 for b in t.betas),
            "train.betas",
            "[b1, b2] in [0, 1)",
            t.betas,
        )
        _check(0 <= t.ema_decay < 1, "train.ema_decay", "a number in [0, 1)", t.ema_decay)
        _check(t.max_loss >= 0, "train.max_loss", "a number >= 0 (0: no bound)", t.max_loss)
        _check(0 <= t.label_dropout <= 1, "train.label_dropout", "a number in [0, 1]", t.label_dropout)
        for name in ("log_every", "keep_last"):
            _check(getattr(t, name) >= 1, f"train.{name}", "a positive int", getattr(t, name))
        for name in ("sample_every", "checkpoint_every", "threads"):
            _check(getattr(t, name) >= 0, f"train.{name}", "an int >= 0", getattr(t, name))
        _check(
            t.device == "auto" or t.device == "cpu" or t.device.startswith("cuda"),
            "train.device",
            "'auto', 'cpu' or 'cuda[:N]'",
            t.device,
        )
        return self


def _check(ok: bool, key: str, expected: str, got: Any) -> None:
    if not ok:
        raise ValueError(f"config: {key}: expected {expected}, got {got!r}")


_SECTIONS = {"data": DataConfig, "model": ModelConfig, "loss": LossConfig, "train": TrainConfig}


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    """Check ``value`` against a field annotation (int, float, str, bool, list[int], list[float])."""
    origin = typing.get_origin(annotation)
    if origin in (list, typing.List):  # noqa: UP006
        (item,) = typing.get_args(annotation)
        if not isinstance(value, (list, tuple)):
            raise TypeError(
                f"{where}: expected a list of {item.__name__}, got {type(value).__name__} {value!r}"
            )
        return [_coerce(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin in (typing.Union, types.UnionType):
        raise TypeError(f"{where}: unsupported annotation {annotation}")  # pragma: no cover
    if annotation is bool:
        if not isinstance(value, bool):
            raise TypeError(f"{where}: expected true or false, got {type(value).__name__} {value!r}")
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{where}: expected an int, got {type(value).__name__} {value!r}")
        return value
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
        return float(value)
    if annotation is str:
        if not isinstance(value, str):
            raise TypeError(f"{where}: expected a string, got {type(value).__name__} {value!r}")
        return value
    raise TypeError(f"{where}: unsupported annotation {annotation}")  # pragma: no cover


#: Keys that moved into a nested table: ``[model] width`` is now ``[model.generator] width``. The old spelling
#: still works, with a FutureWarning naming the new one.
_MOVED = {("model", f.name): "generator" for f in dataclasses.fields(GeneratorSettings)}


def config_from_dict(raw: dict[str, Any], base: FitConfig | None = None, source: str = "config") -> FitConfig:
    """Build a :class:`FitConfig` from nested dicts (as read from TOML), on top of ``base`` (or defaults).

    A field that is itself a dataclass (``model.generator``) is a nested table (``[model.generator]``).

    Raises:
        ValueError: unknown table or key, or a key given both at its old place and its new one.
        TypeError: a value of the wrong type.
    """
    cfg = copy.deepcopy(base) if base is not None else FitConfig()
    for section, values in raw.items():
        if section not in _SECTIONS:
            raise ValueError(f"{source}: unknown table [{section}] (known: {', '.join(_SECTIONS)})")
        if not isinstance(values, dict):
            raise TypeError(f"{source}: [{section}] must be a table, got {type(values).__name__}")
        values = _move_old_keys(section, values, source)
        _set_table(getattr(cfg, section), values, section, source)
    return cfg


def _move_old_keys(section: str, values: dict[str, Any], source: str) -> dict[str, Any]:
    """``values`` with keys of their old place (``[model] width``) moved into their table (``generator``)."""
    moved = {k: t for k, t in ((k, _MOVED.get((section, k))) for k in values) if t is not None}
    if not moved:
        return values
    out = {k: v for k, v in values.items() if k not in moved}
    for key, table in moved.items():
        sub = out.setdefault(table, {})
        if not isinstance(sub, dict):
            raise TypeError(f"{source}: [{section}.{table}] must be a table, got {type(sub).__name__}")
        if key in sub:
            raise ValueError(
                f"{source}: {key} given both as [{section}] {key} and [{section}.{table}] {key}; keep the second"
            )
        out[table] = {**sub, key: values[key]}
        warnings.warn(
            f"{source}: [{section}] {key} is now [{section}.{table}] {key} (--set {section}.{table}.{key}=...); "
            "the old spelling will be removed",
            FutureWarning,
            stacklevel=4,
        )
    return out


def _set_table(target: Any, values: dict[str, Any], where: str, source: str) -> None:
    """Set the fields of the dataclass ``target`` from ``values``; nested dataclass fields take tables."""
    hints = typing.get_type_hints(type(target))
    known = [f.name for f in dataclasses.fields(target)]
    for key, value in values.items():
        if key not in known:
            raise ValueError(f"{source}: unknown key '{key}' in [{where}] (known: {', '.join(known)})")
        current = getattr(target, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise TypeError(
                    f"{source}: [{where}] {key} must be a table [{where}.{key}], got {type(value).__name__} "
                    f"{value!r}"
                )
            _set_table(current, value, f"{where}.{key}", source)
        else:
            setattr(target, key, _coerce(value, hints[key], f"{source}: [{where}] {key}"))


def load_config(path: str | Path | None = None, kind: str = "moving-mnist") -> FitConfig:
    """Read a TOML config (``None``: the shipped default for ``kind``) on top of the defaults and validate
    types.

    Range checks run in :meth:`FitConfig.validate`, after command-line overrides are applied.
    """
    path = Path(path).expanduser() if path is not None else default_config_path(kind)
    if path.is_dir():
        raise ValueError(f"config {str(path)!r}: is a directory, expected a TOML file (e.g. {path}/fit.toml)")
    if not path.is_file():
        raise FileNotFoundError(f"config: no such file {str(path)!r}")
    try:
        raw = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"config {path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config {path}: not valid TOML ({exc})") from exc
    return config_from_dict(raw, source=f"config {path.name}")


def default_config_path(kind: str) -> Path:
    """The shipped config for a data kind: ``moving-mnist``, ``folder`` or ``ucf101``."""
    names = {"moving-mnist": "moving_mnist.toml", "folder": "folder.toml", "ucf101": "ucf101.toml"}
    if kind not in names:
        raise ValueError(f"config: unknown data kind {kind!r}, expected one of {', '.join(names)}")
    return CONFIG_DIR / names[kind]
