"""The one way the package saves and loads models and training state: safetensors for tensors, JSON for the rest,
sha256 of every tensor file, atomic writes, never pickle.

The generator (:mod:`videoaug.gan.checkpoint`), the reference classifier (:mod:`videoaug.classifier`) and the
examples build their checkpoint layouts on these pieces:

- :func:`save_tensors` / :func:`load_tensors`: a safetensors file written under a temporary name and renamed into
  place (``os.replace``), read back only after its header shows it is not a pickle and, when a digest is given,
  its sha256 matches;
- :func:`write_json` / :func:`read_json`: the same for the JSON beside it;
- :func:`module_tensors` / :func:`load_module_tensors`, :func:`optimizer_tensors` / :func:`load_optimizer_tensors`,
  :func:`rng_tensors` / :func:`restore_rng`: training state flattened to named tensors plus a JSON-able dict.

Every failure to read is a :class:`CheckpointError` (a ``ValueError``) naming the file and what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = [
    "CheckpointError",
    "sha256_file",
    "check_not_pickle",
    "save_tensors",
    "load_tensors",
    "check_tensors",
    "write_json",
    "read_json",
    "module_tensors",
    "load_module_tensors",
    "optimizer_tensors",
    "load_optimizer_tensors",
    "rng_tensors",
    "restore_rng",
]

#: File names that are refused before they are opened as anything but a pickle check.
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".bin", ".ckpt")


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupted, tampered with, of another version, or not safetensors."""


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp{os.getpid()}")


def write_json(path: str | os.PathLike, obj: Any, indent: int = 2) -> None:
    """Write ``obj`` as JSON atomically (a temporary file renamed into place)."""
    path = Path(path)
    tmp = _tmp_name(path)
    tmp.write_text(json.dumps(obj, indent=indent) + "\n")
    os.replace(tmp, path)


def read_json(path: str | os.PathLike) -> dict[str, Any]:
    """A JSON object from ``path``; :class:`CheckpointError` when it does not parse or is not an object."""
    path = Path(path)
    try:
        obj = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CheckpointError(f"{path}: not valid JSON (not UTF-8 text: {exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: expected a JSON object, got {type(obj).__name__}")
    return obj


def check_not_pickle(path: str | os.PathLike) -> None:
    """Raise :class:`CheckpointError` unless ``path`` starts like a safetensors file (a pickle gets its own
    message; nothing here ever unpickles)."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(9)
    size = path.stat().st_size
    header_len = int.from_bytes(head[:8], "little") if len(head) >= 8 else -1
    if len(head) == 9 and head[8:9] == b"{" and 0 < header_len <= size - 8:
        return  # a safetensors header: 8-byte little-endian length, then a JSON object
    if head[:1] == b"\x80" or head[:2] == b"PK":  # pickle protocol 2+ / torch.save's zip archive
        raise CheckpointError(
            f"{path}: this is a pickle / torch.save file, not safetensors; videoaug never unpickles "
            "checkpoints (unpickling can run arbitrary code). Convert it with safetensors.torch.save_file."
        )
    raise CheckpointError(f"{path}: not a safetensors file (bad header)")


def save_tensors(path: str | os.PathLike, tensors: Mapping[str, torch.Tensor],
                 metadata: dict[str, str] | None = None) -> str:
    """Write ``tensors`` (detached, contiguous, on the CPU) as safetensors atomically; returns the sha256."""
    from safetensors.torch import save_file

    path = Path(path)
    tmp = _tmp_name(path)
    save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp), metadata=metadata)
    os.chmod(tmp, 0o644)  # safetensors creates the file owner-only; checkpoints are meant to be shared
    digest = sha256_file(tmp)
    os.replace(tmp, path)
    return digest


def load_tensors(path: str | os.PathLike, sha256: str | None = None, what: str = "") -> dict[str, torch.Tensor]:
    """Read a safetensors file after checking it is not a pickle and (``sha256`` given) that its digest matches.

    Args:
        path: the file.
        sha256: the expected hex digest, or ``None`` not to check it.
        what: where the digest was recorded, for the message (e.g. ``"config.json"``).
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: missing")
    check_not_pickle(path)
    if sha256 is not None:
        digest = sha256_file(path)
        if digest != sha256:
            raise CheckpointError(
                f"{path}: sha256 {digest[:12]}... does not match {str(sha256)[:12]}...{' in ' + what if what else ''}"
                "; the file is corrupted or was modified"
            )
    try:
        return load_file(str(path))
    except SafetensorError as exc:
        raise CheckpointError(f"{path}: cannot read safetensors ({exc})") from exc


def check_tensors(path: str | os.PathLike, tensors: Mapping[str, torch.Tensor],
                  expected: Mapping[str, torch.Tensor], what: str = "the model") -> None:
    """Check that ``tensors`` read from ``path`` can be loaded into a model whose state dict is ``expected``.

    Names, shapes and dtypes must equal ``expected``'s (a float64, integer or bool tensor where float32 is
    expected is refused, not converted), and every floating tensor must be finite (NaN or inf weights make a
    network return garbage silently, even when the file's sha256 is intact).

    Raises:
        CheckpointError: naming ``path`` and every offending tensor.
    """
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: tensors do not match {what}: missing {missing or 'none'}, unexpected {unexpected or 'none'}"
        )
    shapes = [f"{k} {tuple(tensors[k].shape)} (expected {tuple(v.shape)})"
              for k, v in expected.items() if tensors[k].shape != v.shape]
    if shapes:
        raise CheckpointError(f"{path}: wrong shapes: {'; '.join(shapes)}")
    dtypes = [f"{k} {tensors[k].dtype} (expected {v.dtype})"
              for k, v in expected.items() if tensors[k].dtype != v.dtype]
    if dtypes:
        raise CheckpointError(f"{path}: wrong dtypes: {'; '.join(dtypes)}")
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        raise CheckpointError(f"{path}: non-finite values (NaN or inf) in {', '.join(bad)}")


# -- training state as named tensors + JSON --------------------------------------------------------------
def module_tensors(prefix: str, module: nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    """Add ``module``'s state dict to ``tensors`` under ``prefix/NAME``."""
    for k, v in module.state_dict().items():
        tensors[f"{prefix}/{k}"] = v


def load_module_tensors(prefix: str, module: nn.Module, tensors: Mapping[str, torch.Tensor]) -> None:
    """Load what :func:`module_tensors` stored under ``prefix`` into ``module`` (strict)."""
    n = len(prefix) + 1
    module.load_state_dict({k[n:]: v for k, v in tensors.items() if k.startswith(prefix + "/")})


def optimizer_tensors(prefix: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor],
                      meta: dict[str, Any]) -> None:
    """Split ``opt``'s state dict into tensors (``prefix/PARAM/NAME``) and JSON (``meta[prefix]``)."""
    sd = opt.state_dict()
    rest: dict[str, dict[str, Any]] = {}
    for pid, st in sd["state"].items():
        for k, v in st.items():
            if isinstance(v, torch.Tensor):
                tensors[f"{prefix}/{pid}/{k}"] = v
            else:
                rest.setdefault(str(pid), {})[k] = v
    meta[prefix] = {"param_groups": sd["param_groups"], "state": rest}


def load_optimizer_tensors(prefix: str, opt: torch.optim.Optimizer, tensors: Mapping[str, torch.Tensor],
                           meta: Mapping[str, Any]) -> None:
    """Restore what :func:`optimizer_tensors` split."""
    state: dict[int, dict[str, Any]] = {}
    for key, v in tensors.items():
        if key.startswith(prefix + "/"):
            _, pid, name = key.split("/", 2)
            state.setdefault(int(pid), {})[name] = v
    for pid, extra in meta[prefix]["state"].items():
        state.setdefault(int(pid), {}).update(extra)
    opt.load_state_dict({"state": state, "param_groups": meta[prefix]["param_groups"]})


def rng_tensors(tensors: dict[str, torch.Tensor], generators: Mapping[str, torch.Generator] | None = None,
                prefix: str = "rng") -> None:
    """Add torch's CPU RNG state (``rng/torch``), every CUDA device's (``rng/cuda/I``) and each of
    ``generators`` (``rng/NAME``) to ``tensors``."""
    tensors[f"{prefix}/torch"] = torch.get_rng_state()
    for name, g in (generators or {}).items():
        tensors[f"{prefix}/{name}"] = g.get_state()
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"{prefix}/cuda/{i}"] = s


def restore_rng(tensors: Mapping[str, torch.Tensor], generators: Mapping[str, torch.Generator] | None = None,
                prefix: str = "rng") -> None:
    """Set the RNG states :func:`rng_tensors` stored (CUDA only when the device count is the same)."""
    torch.set_rng_state(tensors[f"{prefix}/torch"])
    for name, g in (generators or {}).items():
        g.set_state(tensors[f"{prefix}/{name}"])
    if torch.cuda.is_available():
        states = [tensors[k] for k in sorted(tensors) if k.startswith(f"{prefix}/cuda/")]
        if len(states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(states)
