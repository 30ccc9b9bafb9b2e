"""RCGAN checkpoints: safetensors for tensors, JSON for everything else, never pickle.

A checkpoint is a directory::

    model.safetensors            EMA generator weights (what inference needs)
    config.json                  format and version, generator architecture, resolution, channels, classes,
                                 data, steps, the command that made it, sha256 of every file it lists
    training_state.safetensors   (training checkpoints only) G, D, EMA, optimiser tensors and RNG states
    training_state.json          (training checkpoints only) step, optimiser hyper-parameters, data position

Directories are written under a temporary name and renamed into place (``os.replace``), so a crash never
leaves a half-written checkpoint where :func:`latest_checkpoint` would find it. :func:`load_generator`
checks everything (format, version, file hashes, keys and shapes, and that no file is a pickle) and says
what is wrong.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from videoaug.checkpoint import (
    PICKLE_SUFFIXES,
    CheckpointError,
    check_not_pickle,
    check_tensors,
    load_tensors,
    read_json,
    save_tensors,
    sha256_file,
    write_json,
)
from videoaug.gan.networks import Generator, GeneratorConfig

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "CheckpointError",
    "save_generator",
    "save_training_checkpoint",
    "load_training_state",
    "load_generator",
    "read_config",
    "latest_checkpoint",
    "list_checkpoints",
    "sha256_file",
]

FORMAT = "videoaug-rcgan"
FORMAT_VERSION = 1
ARCHITECTURE = "rcgan-warp"
MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
STATE_FILE = "training_state.safetensors"
STATE_JSON = "training_state.json"
_STEP_DIR = re.compile(r"^step_(\d{8,})$")
_PICKLE_SUFFIXES = PICKLE_SUFFIXES
REQUIRED_KEYS = (
    "format",
    "format_version",
    "videoaug_version",
    "architecture",
    "generator",
    "resolution",
    "channels",
    "num_frames",
    "num_classes",
    "class_names",
    "steps",
    "command",
    "sha256",
)


def _videoaug_version() -> str:
    from videoaug import __version__

    return __version__


def save_generator(
    directory: str | os.PathLike,
    generator: Generator,
    info: dict[str, Any],
) -> Path:
    """Write ``model.safetensors`` and ``config.json`` for ``generator`` into ``directory`` (created).

    Args:
        directory: target directory.
        generator: the (EMA) generator whose weights are saved.
        info: provenance merged into ``config.json``: ``num_frames``, ``class_names``, ``data``, ``steps``,
            ``command`` and optionally ``training`` (the run's config) or anything else.

    Returns:
        The directory.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    gcfg = generator.config
    weights = directory / MODEL_FILE
    digest = save_tensors(
        weights, generator.state_dict(), metadata={"format": FORMAT, "format_version": str(FORMAT_VERSION)}
    )
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "videoaug_version": _videoaug_version(),
        "torch_version": torch.__version__,
        "architecture": ARCHITECTURE,
        "generator": gcfg.to_dict(),
        "resolution": list(gcfg.resolution),
        "channels": gcfg.channels,
        "num_classes": gcfg.num_classes,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **info,
    }
    config.setdefault("class_names", [str(i) for i in range(gcfg.num_classes)])
    config["sha256"] = {MODEL_FILE: digest}
    missing = [k for k in REQUIRED_KEYS if k not in config]
    if missing:
        raise ValueError(f"save_generator: info lacks {', '.join(missing)}")
    write_json(directory / CONFIG_FILE, config)
    return directory


def save_training_checkpoint(
    checkpoint_dir: str | os.PathLike,
    step: int,
    generator_ema: Generator,
    info: dict[str, Any],
    tensors: Mapping[str, torch.Tensor],
    state: dict[str, Any],
    keep_last: int | None = None,
) -> Path:
    """Write ``checkpoint_dir/step_<step>`` atomically: a generator checkpoint plus the training state.

    Args:
        checkpoint_dir: folder holding the run's checkpoints.
        step: completed optimisation steps.
        generator_ema: the generator saved as ``model.safetensors``.
        info: as for :func:`save_generator`.
        tensors: flat dict of training-state tensors (models, optimisers, RNG states).
        state: JSON-serialisable rest of the training state.
        keep_last: delete older ``step_*`` directories beyond this many (``None`` keeps all).

    Returns:
        The checkpoint directory.
    """
    root = Path(checkpoint_dir)
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step_{step:08d}"
    tmp = root / f".tmp_step_{step:08d}_{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    save_generator(tmp, generator_ema, info)
    digest = save_tensors(tmp / STATE_FILE, tensors)
    state = {**state, "step": step, "format_version": FORMAT_VERSION, "sha256": {STATE_FILE: digest}}
    write_json(tmp / STATE_JSON, state)
    if final.exists():  # re-saving the same step (e.g. interrupted right after a periodic save)
        shutil.rmtree(final)
    os.replace(tmp, final)
    if keep_last is not None:
        for old in list_checkpoints(root)[:-keep_last]:
            shutil.rmtree(old, ignore_errors=True)
    return final


def list_checkpoints(checkpoint_dir: str | os.PathLike) -> list[Path]:
    """Complete ``step_*`` checkpoint directories, oldest first."""
    root = Path(checkpoint_dir)
    if not root.is_dir():
        return []
    found = []
    for p in root.iterdir():
        m = _STEP_DIR.match(p.name)
        if m and p.is_dir() and (p / CONFIG_FILE).is_file() and (p / STATE_JSON).is_file():
            found.append((int(m.group(1)), p))
    return [p for _, p in sorted(found)]


def latest_checkpoint(checkpoint_dir: str | os.PathLike) -> Path | None:
    """The newest complete checkpoint directory, or ``None``."""
    found = list_checkpoints(checkpoint_dir)
    return found[-1] if found else None


def load_training_state(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read the training state of a checkpoint directory: ``(tensors, state)``, verifying its sha256."""
    path = Path(path)
    tfile, jfile = path / STATE_FILE, path / STATE_JSON
    for f in (tfile, jfile):
        if not f.is_file():
            raise CheckpointError(
                f"{path}: missing {f.name}; not a training checkpoint (cannot resume from it)"
            )
    state = read_json(jfile)
    if state.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{jfile}: training-state format version {state.get('format_version')!r}, this videoaug reads "
            f"{FORMAT_VERSION}"
        )
    expected = state.get("sha256", {}).get(STATE_FILE)
    if not isinstance(expected, str):
        raise CheckpointError(f"{jfile}: no sha256 of {STATE_FILE}")
    return load_tensors(tfile, sha256=expected, what=jfile.name), state


def _resolve_dir(path: str | os.PathLike) -> Path:
    p = Path(path).expanduser()
    if p.is_file():
        if p.suffix in _PICKLE_SUFFIXES:
            check_not_pickle(p)  # raises the pickle message for a real pickle
            raise CheckpointError(f"{p}: expected a checkpoint directory or its {MODEL_FILE} / {CONFIG_FILE}")
        return p.parent
    if not p.exists():
        raise FileNotFoundError(f"checkpoint {str(p)!r}: no such file or directory")
    return p


def read_config(path: str | os.PathLike) -> dict[str, Any]:
    """Read and validate ``config.json`` of a generator checkpoint (without loading weights)."""
    directory = _resolve_dir(path)
    cfile = directory / CONFIG_FILE
    if not cfile.is_file():
        pickles = sorted(q.name for q in directory.iterdir() if q.suffix in _PICKLE_SUFFIXES)
        hint = f" (found {', '.join(pickles)}: pickled checkpoints are refused)" if pickles else ""
        raise CheckpointError(
            f"{directory}: missing {CONFIG_FILE}; not a videoaug generator checkpoint{hint}"
        )
    config = read_json(cfile)
    missing = [k for k in REQUIRED_KEYS if k not in config]
    if missing:
        raise CheckpointError(f"{cfile}: missing keys {', '.join(missing)}")
    if config["format"] != FORMAT:
        raise CheckpointError(f"{cfile}: format {config['format']!r}, expected {FORMAT!r}")
    version = config["format_version"]
    if not isinstance(version, int) or version != FORMAT_VERSION:
        raise CheckpointError(
            f"{cfile}: format version {version!r}; this videoaug ({_videoaug_version()}) reads version "
            f"{FORMAT_VERSION}" + (" - upgrade videoaug" if isinstance(version, int) and version > 1 else "")
        )
    if config["architecture"] != ARCHITECTURE:
        raise CheckpointError(
            f"{cfile}: architecture {config['architecture']!r}; this videoaug loads {ARCHITECTURE!r} generators"
        )
    if not isinstance(config["sha256"], dict) or MODEL_FILE not in config["sha256"]:
        raise CheckpointError(f"{cfile}: 'sha256' must map {MODEL_FILE} to its hex digest")
    names, n = config["class_names"], config["num_classes"]
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise CheckpointError(f"{cfile}: num_classes: expected an integer >= 1, got {n!r}")
    if not isinstance(names, list) or not all(isinstance(c, str) for c in names):
        raise CheckpointError(f"{cfile}: class_names: expected a list of strings, got {names!r}")
    if len(config["class_names"]) != config["num_classes"]:
        raise CheckpointError(
            f"{cfile}: {len(config['class_names'])} class_names for num_classes={config['num_classes']}"
        )
    return config


def _generator_config(config: dict[str, Any], where: Path) -> GeneratorConfig:
    raw = config["generator"]
    if not isinstance(raw, dict):
        raise CheckpointError(f"{where}: 'generator' must be an object of constructor arguments")
    known = set(GeneratorConfig.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise CheckpointError(
            f"{where}: unknown generator arguments {', '.join(unknown)} (known: {sorted(known)})"
        )
    gcfg = GeneratorConfig(**raw)
    gcfg.resolution = tuple(gcfg.resolution)  # type: ignore[assignment]
    for key, value in (("channels", gcfg.channels), ("num_classes", gcfg.num_classes)):
        if config[key] != value:
            raise CheckpointError(
                f"{where}: {key}={config[key]} disagrees with the generator's {key}={value}"
            )
    return gcfg


def load_generator(
    path: str | os.PathLike, device: str | torch.device = "cpu"
) -> tuple[Generator, dict[str, Any]]:
    """Load and validate a generator checkpoint.

    Checks, in order: the directory and ``config.json`` exist and parse; format name and version; required
    keys; the architecture is this package's (``"rcgan-warp"``); ``class_names`` is a list of strings, one
    per class; the weights file is safetensors (a pickle is refused before anything reads it); its sha256
    equals the one in ``config.json``; its tensor names, shapes and dtypes equal the generator's (nothing is
    converted); every weight is finite (see :func:`videoaug.checkpoint.check_tensors`).

    Args:
        path: checkpoint directory, or its ``model.safetensors`` / ``config.json``.
        device: where to put the generator.

    Returns:
        ``(generator in eval mode, config dict)``.

    Raises:
        FileNotFoundError: nothing at ``path``. CheckpointError (a ``ValueError``): anything else wrong.
    """
    directory = _resolve_dir(path)
    config = read_config(directory)
    cfile = directory / CONFIG_FILE
    weights = directory / MODEL_FILE
    if not weights.is_file():
        raise CheckpointError(f"{directory}: missing {MODEL_FILE}")
    check_not_pickle(weights)  # before anything else reads it
    if sha256_file(weights) != config["sha256"][MODEL_FILE]:  # before the config builds a network
        load_tensors(weights, sha256=config["sha256"][MODEL_FILE], what=CONFIG_FILE)  # raises the message
    gcfg = _generator_config(config, cfile)
    try:
        generator = Generator(gcfg)
    except (TypeError, ValueError, RuntimeError) as exc:  # e.g. width=-4: torch's "negative dimension"
        raise CheckpointError(f"{cfile}: invalid generator arguments ({exc})") from exc
    tensors = load_tensors(weights)
    check_tensors(weights, tensors, generator.state_dict(), what="the generator")
    generator.load_state_dict(tensors)
    return generator.to(device).eval(), config
