"""The learned augmentation as a transform: a pretrained RCGAN generator turns a clip into a new clip of
its class.

:class:`RCGANAugment` is a ``torchvision.transforms.v2.Transform`` for dataset pipelines (one clip, in a
DataLoader worker, on the CPU) and for batches; :class:`GPUAugment` runs the same thing in the training loop
on batches already on the GPU. Both load the generator once per process and device (:func:`load_cached`),
validate the checkpoint (safetensors only, config, sha256: :func:`videoaug.gan.checkpoint.load_generator`) and
run it batched under ``torch.inference_mode`` (bf16 autocast on CUDA).

The generator (:class:`videoaug.gan.networks.Generator`) is anchored on the input clip (DAGAN, Antoniou et
al., 2017), recurrent over frames and conditioned on the class (RCGAN, Esteban et al., 2017). It predicts
smooth per-frame warps and brightness fields in normalised coordinates, so it serves any input size.
"""

from __future__ import annotations

import numbers
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import get_worker_info
from torchvision import tv_tensors

from .._video import as_batch, from_float, to_float
from ..functional import luma
from ..transforms import RandomVideoTransform, VideoShape, default_labels_getter
from ..transforms._utils import positive_int

__all__ = [
    "RCGANAugment",
    "GPUAugment",
    "resolve_checkpoint",
    "load_cached",
    "clear_cache",
    "CHECKPOINTS_ENV",
]

CHECKPOINTS_ENV = "VIDEOAUG_CHECKPOINTS"
# The shipped checkpoints are package data: ``videoaug/_checkpoints`` is, in a source checkout, a link to the
# repository's ``checkpoints/`` folder and, in a built wheel, a copy of it (setup.cfg's package_data).
_SHIPPED_CHECKPOINTS = Path(__file__).resolve().parents[1] / "_checkpoints"
_PADDING_MODES = (None, "zeros", "border", "reflection")

_cache: dict[tuple[str, str], tuple[int | None, Any, dict]] = {}
_cache_lock = threading.Lock()


def resolve_checkpoint(checkpoint: str | os.PathLike) -> Path:
    """Find a generator checkpoint directory.

    ``checkpoint`` is a directory path, or the name of a shipped checkpoint (``"moving_mnist"``), looked up as
    ``$VIDEOAUG_CHECKPOINTS/<name>`` and then among the package data, ``videoaug/_checkpoints/<name>`` (the
    repository's ``checkpoints/`` folder, linked in a source checkout or editable install and copied into a
    wheel), so a wheel install finds ``"moving_mnist"``.

    Raises:
        FileNotFoundError: naming every place that was searched.
    """
    if not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(f"checkpoint: expected a name or a path, got {type(checkpoint).__name__}")
    path = Path(checkpoint).expanduser()
    if path.is_dir():
        return path.resolve()
    searched = [str(path)]
    if len(path.parts) == 1:
        roots = [Path(os.environ[CHECKPOINTS_ENV])] if os.environ.get(CHECKPOINTS_ENV) else []
        for root in [*roots, _SHIPPED_CHECKPOINTS]:
            candidate = root / path
            if candidate.is_dir():
                return candidate.resolve()
            searched.append(str(candidate))
    raise FileNotFoundError(
        f"checkpoint {str(checkpoint)!r}: expected a checkpoint directory (config.json + safetensors "
        f"weights); searched {', '.join(searched)}. Train one with `videoaug fit` or set ${CHECKPOINTS_ENV}."
    )


def load_cached(path: Path, device: torch.device) -> tuple[Any, dict]:
    """The generator of checkpoint ``path`` on ``device``, in eval mode, loaded once per process and device.

    A checkpoint rewritten in place (another modification time of its ``config.json``) is loaded again; one
    deleted after loading (a training run rotating its checkpoints) keeps serving the loaded generator.
    Returns ``(generator, config)``.
    """
    from .checkpoint import load_generator

    config_file = path / "config.json"
    mtime = config_file.stat().st_mtime_ns if config_file.exists() else None
    key = (str(path), str(device))
    with _cache_lock:
        entry = _cache.get(key)
        if entry is None or (mtime is not None and entry[0] != mtime):
            generator, config = load_generator(path, device=device)
            generator.eval().requires_grad_(False)
            entry = _cache[key] = (mtime, generator, config)
        return entry[1], entry[2]


def clear_cache() -> None:
    """Forget every loaded generator (the next call loads from disk again)."""
    with _cache_lock:
        _cache.clear()


def _in_worker() -> bool:
    return get_worker_info() is not None


class RCGANAugment(RandomVideoTransform):
    """Replace each clip, with probability ``p``, by a variant a pretrained RCGAN generator makes from it.

    The generator is anchored on the input clip (DAGAN, Antoniou et al., 2017) and recurrent over its frames
    with the class as condition at every step (RCGAN, Esteban et al., 2017): it predicts a smooth per-frame
    warp and a low-frequency brightness gain and bias, and applies them to the clip. See ``docs/rcgan.md``.

    Labels: in ``aug(video, label)`` (or a dict with a ``label`` / ``labels`` / ``target`` key; the rule of
    :func:`~videoaug.transforms.default_labels_getter`, shared with MixUp / CutMix) an ``int`` for a clip or an
    integer tensor (or array, list) ``(B,)`` for a batch, ``-1`` meaning unknown, conditions the generator; it is
    returned unchanged. Without one, or with ``use_labels=False``, or for labels of another kind (soft labels
    ``(B, K)``, strings) the generator's "no label" entry is used. Labels that do not fit the batch (another
    count, float or bool values, one ``int`` for a batch) and labels outside ``[-1, num_classes)`` of the
    checkpoint raise ``ValueError`` (pass ``use_labels=False`` to ignore them). The labels are read from each
    call's own inputs and travel in its parameters (``params["labels"]``), never on ``self``, so one instance
    can serve several threads.

    Sizes: any ``T >= 1`` and ``H, W``. The generator's encoder sees the frames resized to the checkpoint's
    resolution (``config.json``); the predicted fields live in normalised coordinates and are upsampled to the
    input's size, so a warp moves content by the same *fraction* of the frame at 32×32, 64×64 or 112×112. On a
    non-square clip a horizontal shift is a fraction of the width and a vertical one a fraction of the height.

    Channels: when the clip's channels differ from the checkpoint's, the generator runs on a version of the
    clip with its channel count (the luminance ``0.2989 R + 0.587 G + 0.114 B`` of an RGB clip for a 1-channel
    checkpoint; the grey channel repeated for a 3-channel one) and the warp and brightness fields it predicts
    are applied to the clip's own channels (a 1-channel gain acts on R, G and B alike; a 3-channel gain is
    averaged). Colours are kept and every channel moves together.

    Borders: a warp pulls pixels from outside the frame. ``padding_mode=None`` (default) chooses by the input
    (:meth:`padding_for`): a grey clip on a grey checkpoint gets the checkpoint's own mode (``"zeros"`` for
    ``moving_mnist``, whose digits move on black); an RGB clip, or any clip whose channel count differs from the
    checkpoint's, is taken for natural video and gets ``"reflection"`` where the checkpoint says ``"zeros"``
    (mirrored content, no black bands, brightness kept); a checkpoint trained with ``"border"`` or
    ``"reflection"`` keeps its own. ``"zeros"``, ``"border"`` or ``"reflection"`` force one mode for every input.

    Brightness: the gain and bias a checkpoint learned belong to its own data (the shipped one dims white digits
    on black by up to 15 %, and on natural frames it dims everything by that much). ``keep_brightness=None``
    (default) re-centres them when the clip's channels differ from the checkpoint's (:meth:`keeps_brightness_for`):
    each frame's gain and bias are shifted to mean zero over the frame, so its mean brightness is kept while the
    local variation of brightness stays (a re-centred gain lies within twice the checkpoint's ``max_gain``).
    ``True`` or ``False`` force it for every input.

    Device: ``"auto"`` runs where the input is; ``"cpu"``/``"cuda"`` run there and return the result on the
    input's device. Inside a DataLoader worker it always runs on the CPU (CUDA cannot be used after fork; a
    warning says so once if another device was asked for): use :class:`GPUAugment` on batches in the training
    loop to run on the GPU. On CUDA the generator runs under bf16 autocast.

    Args:
        checkpoint: ``"moving_mnist"`` (the shipped checkpoint, see :func:`resolve_checkpoint`) or a
            checkpoint directory written by ``videoaug fit``. Loaded and validated at construction.
        p: probability, per clip, that the clip is replaced.
        strength: scales the generator's fields: 0 gives the input back, 1 the trained amount.
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or a ``torch.device``.
        batch_size: clips per generator call (larger batches are processed in chunks).
        generator: optional ``torch.Generator`` for the per-clip draws and the generator noise.
        use_labels: condition on labels found among the inputs (default) or always use "no label".
        padding_mode: ``None`` (the rule above), ``"zeros"``, ``"border"`` or ``"reflection"``.
        keep_brightness: ``None`` (the rule above), ``True`` or ``False``.

    Shape:
        ``(T, C, H, W)`` or ``(B, T, C, H, W)``, ``C`` 1 or 3, uint8 or float in [0, 1], plain or
        ``tv_tensors.Video``; the output has the input's type, dtype, shape and device.

    Example:
        >>> aug = RCGANAugment("moving_mnist", p=1.0)  # doctest: +SKIP
        >>> clip, label = aug(torch.zeros(16, 1, 64, 64, dtype=torch.uint8), 3)  # doctest: +SKIP
    """

    def __init__(
        self,
        checkpoint: str | os.PathLike = "moving_mnist",
        p: float = 0.5,
        strength: float = 1.0,
        device: str | torch.device = "auto",
        batch_size: int = 64,
        generator: torch.Generator | None = None,
        use_labels: bool = True,
        padding_mode: str | None = None,
        keep_brightness: bool | None = None,
    ) -> None:
        super().__init__(p=p, generator=generator)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode: expected one of {_PADDING_MODES}, got {padding_mode!r}")
        if keep_brightness not in (None, True, False):
            raise ValueError(f"keep_brightness: expected None, True or False, got {keep_brightness!r}")
        if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not 0.0 <= float(strength) <= 4.0:
            raise ValueError(f"strength: expected a number in [0, 4], got {strength!r}")
        batch_size = positive_int(batch_size, "batch_size")
        if device != "auto":
            try:
                torch.device(device)
            except (RuntimeError, TypeError):
                raise ValueError(
                    f"device: expected 'auto', 'cpu', 'cuda' or a torch.device, got {device!r}"
                ) from None
        self.checkpoint = resolve_checkpoint(checkpoint)
        self.strength = float(strength)
        self.device = device if device == "auto" else str(torch.device(device))
        self.batch_size = batch_size
        self.use_labels = bool(use_labels)
        self.padding_mode = padding_mode
        self.keep_brightness = keep_brightness
        model, _ = load_cached(self.checkpoint, torch.device("cpu"))  # validates the checkpoint now
        cfg = model.config
        self.checkpoint_padding_mode = str(cfg.padding_mode)
        self.channels = int(cfg.channels)
        self.num_classes = int(cfg.num_classes)
        self.z_dim = int(cfg.z_dim)
        self.frame_noise_dim = int(cfg.frame_noise_dim)
        self._warned_worker = False

    def extra_repr(self) -> str:
        return (
            f"checkpoint={str(self.checkpoint)!r}, p={self.p}, strength={self.strength}, "
            f"device={self.device!r}, batch_size={self.batch_size}, padding_mode={self.padding_mode!r}, "
            f"keep_brightness={self.keep_brightness!r}"
        )

    def padding_for(self, channels: int) -> str:
        """The ``grid_sample`` padding used for clips with ``channels`` channels (the rule in the class docstring).

        Example: the shipped 1-channel ``moving_mnist`` checkpoint (``"zeros"``) gives ``"zeros"`` for a grey clip
        and ``"reflection"`` for an RGB one.
        """
        if self.padding_mode is not None:
            return self.padding_mode
        own = self.checkpoint_padding_mode
        if channels == self.channels == 1 or own != "zeros":
            return own
        return "reflection"

    def keeps_brightness_for(self, channels: int) -> bool:
        """Whether the brightness fields are re-centred for clips with ``channels`` channels (see the class
        docstring): by default exactly when ``channels`` differs from the checkpoint's."""
        if self.keep_brightness is not None:
            return self.keep_brightness
        return channels != self.channels

    # -- parameters ------------------------------------------------------------------------------------------
    def add_call_params(self, params: dict[str, Any], inputs: Any, video: torch.Tensor) -> dict[str, Any]:
        """``labels``: the integer classes :func:`default_labels_getter` finds in the call, ``None`` without."""
        found = default_labels_getter(inputs) if self.use_labels else None
        params["labels"] = self._as_class_labels(found, video.shape[0] if video.ndim == 5 else 1, video.ndim == 4)
        return params

    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        """``apply`` bool ``(B,)``; generator noise ``z`` ``(B, z_dim)`` and ``frame_noise`` ``(B, T, D)``."""
        apply = self._apply_mask(shape.batch)
        z = torch.randn(shape.batch, self.z_dim, generator=self.generator, device=self._rng_device)
        e = torch.randn(
            shape.batch, shape.frames, self.frame_noise_dim, generator=self.generator, device=self._rng_device
        )
        return {"apply": apply, "z": z, "frame_noise": e}

    def _as_class_labels(self, x: Any, batch: int, is_clip: bool) -> torch.Tensor | None:
        """``x`` as long ``(B,)`` when it is integer classes (an ``int`` for a clip, an integer tensor, array or
        list ``(B,)``); ``None`` when there is no label the generator could use (none, strings, masks or boxes,
        soft labels ``(B, K)``). Numbers that do not fit the batch -- another count, floats, bools, an ``int`` for
        a batch -- raise ``ValueError``: conditioning silently on nothing would hide the mistake."""
        if x is None or isinstance(x, (str, bytes, tv_tensors.TVTensor)):
            return None
        what = "a clip (an int or a 0-d/1-element integer tensor)" if is_clip else \
            f"a batch of {batch} clips (an integer tensor, array or list of shape ({batch},))"
        hint = "; pass use_labels=False to augment without conditioning on them"
        if isinstance(x, (bool, np.bool_)) or isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral):
            raise ValueError(f"labels: expected integer class labels for {what}, got {x!r}{hint}")
        if isinstance(x, numbers.Integral):
            if not is_clip:
                raise ValueError(f"labels: expected one label per clip for {what}, got the single int {x!r}{hint}")
            x = torch.tensor(int(x))
        elif isinstance(x, (np.ndarray, list, tuple)):
            try:
                x = torch.as_tensor(np.asarray(x))
            except (TypeError, ValueError, RuntimeError):
                return None  # not numbers: not a label the generator knows
        if not isinstance(x, torch.Tensor):
            return None
        soft = x.is_floating_point() and x.ndim == 2 and x.shape[1] > 1
        if soft and x.shape[0] == batch:
            return None  # soft labels (after MixUp / CutMix): the "no label" entry
        fits = x.shape == (batch,) or (is_clip and x.numel() == 1 and x.ndim <= 1)
        integer = not (x.is_floating_point() or x.is_complex() or x.dtype == torch.bool)
        if not (fits and integer):
            kind = "soft labels" if soft else f"{x.dtype} labels"
            raise ValueError(f"labels: expected integer class labels for {what}, got {kind} of shape "
                             f"{tuple(x.shape)}{hint}")
        labels = x.reshape(batch).long()
        if labels.numel() and (int(labels.min()) < -1 or int(labels.max()) >= self.num_classes):
            raise ValueError(
                f"labels: the checkpoint {self.checkpoint.name!r} knows classes "
                f"0..{self.num_classes - 1} (and -1 for no label), got values in "
                f"[{int(labels.min())}, {int(labels.max())}]; pass use_labels=False to augment "
                f"without conditioning on them"
            )
        return labels

    # -- applying --------------------------------------------------------------------------------------------
    def _compute_device(self, video: torch.Tensor) -> torch.device:
        if _in_worker():
            if self.device not in ("auto", "cpu") and not self._warned_worker:
                warnings.warn(
                    f"RCGANAugment(device={self.device!r}) runs on the CPU inside a DataLoader worker (CUDA "
                    f"cannot be used after fork); use videoaug.gan.GPUAugment in the training loop for GPUs",
                    RuntimeWarning,
                    stacklevel=2,
                )
                self._warned_worker = True
            return torch.device("cpu")
        return video.device if self.device == "auto" else torch.device(self.device)

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        apply = params["apply"].to(video.device)
        if self.strength == 0 or not bool(apply.any()):
            return video.clone()
        index = apply.nonzero().squeeze(1)
        device = self._compute_device(video)
        model, _ = load_cached(self.checkpoint, device)
        labels = params.get("labels")
        pieces = []
        for chunk in index.split(self.batch_size):
            clips = video.index_select(0, chunk).to(device, non_blocking=True)
            lab = labels.to(chunk.device).index_select(0, chunk).to(device) if labels is not None else None
            z = params["z"].to(chunk.device).index_select(0, chunk).to(device)
            e = params["frame_noise"].to(chunk.device).index_select(0, chunk).to(device)
            pieces.append(self._generate(model, clips, lab, z, e))
        generated = torch.cat(pieces).to(video.device).clone()  # a normal tensor, usable by autograd later
        out = video.clone()
        out[index] = (
            from_float(generated, video.dtype) if video.dtype == torch.uint8 else generated.to(video.dtype)
        )
        return out

    def _generate(
        self, model, clips: torch.Tensor, labels: torch.Tensor | None, z: torch.Tensor, e: torch.Tensor
    ) -> torch.Tensor:
        """Float32 variants ``(n, T, C, H, W)`` in [0, 1] of ``clips`` (any dtype) on their device."""
        x = to_float(clips).float()
        c = x.shape[2]
        padding, keep = self.padding_for(c), self.keeps_brightness_for(c)
        with (
            torch.inference_mode(),
            torch.autocast("cuda", dtype=torch.bfloat16, enabled=x.device.type == "cuda"),
        ):
            if c == self.channels and padding == self.checkpoint_padding_mode and not keep:
                out = model(x, labels, noise=(z, e), strength=self.strength)
            else:
                out = self._generate_with_fields(model, x, labels, z, e, padding, keep)
            out = out.float().clamp(0, 1)
        return out

    def _generate_with_fields(
        self, model, x: torch.Tensor, labels, z, e, padding: str, keep_brightness: bool
    ) -> torch.Tensor:
        """Run the generator on ``x`` (or on a proxy with the checkpoint's channel count) for its fields, then
        apply them to ``x``'s own channels with ``padding`` (and the brightness fields re-centred)."""
        n, t, c, h, w = x.shape
        if c == self.channels:
            proxy = x
        elif self.channels == 1:  # RGB clip, grey checkpoint: run on luminance
            proxy = luma(x)
        else:  # grey clip, RGB checkpoint: run on the grey channel repeated
            proxy = x.expand(n, t, 3, h, w)
        _, fields = model(proxy, labels, noise=(z, e), strength=self.strength, return_fields=True)
        gain, bias = fields["gain"], fields["bias"]
        if self.channels != c and self.channels == 3:
            gain, bias = gain.mean(2, keepdim=True), bias.mean(2, keepdim=True)
        if keep_brightness:  # (n, t, C, h, w): zero mean over each frame
            gain = gain - gain.mean(dim=(2, 3, 4), keepdim=True)
            bias = bias - bias.mean(dim=(2, 3, 4), keepdim=True)
        gain = gain.expand(n, t, c, *gain.shape[-2:]).reshape(n * t, c, *gain.shape[-2:])
        bias = bias.expand(n, t, c, *bias.shape[-2:]).reshape(n * t, c, *bias.shape[-2:])
        out = model.apply_fields(
            x.reshape(n * t, c, h, w),
            fields["affine"].reshape(n * t, 2, 2),
            fields["shift"].reshape(n * t, 2),
            fields["warp"].reshape(n * t, 2, *fields["warp"].shape[-2:]),
            gain,
            bias,
            self.strength,
            padding_mode=padding,
        )
        return out.reshape(n, t, c, h, w)


class GPUAugment:
    """The RCGAN augmentation for the training loop: moves a batch to ``device`` and augments it there.

    DataLoader workers cannot use CUDA, so a GPU pipeline loads clips on the CPU and augments whole batches on
    the GPU after collation::

        gpu_aug = GPUAugment("moving_mnist", p=0.5, device="cuda")
        for video, labels in loader:              # uint8 (B, T, C, H, W) on the CPU
            video, labels = gpu_aug(video, labels)  # on the GPU, same dtype, labels condition the generator
            loss = criterion(model(video.float() / 255), labels)

    The output is an ordinary tensor (not an inference tensor), so it can go through a model under autograd.

    Args:
        checkpoint, p, strength, batch_size, generator, use_labels, padding_mode, keep_brightness: as for
            :class:`RCGANAugment`.
        device: where to run (default: ``"cuda"`` when available, else ``"cpu"``).

    Shape:
        ``video``: ``(B, T, C, H, W)`` (or a clip); ``labels``: optional ``(B,)`` integers. Returns the
        augmented video on ``device``, or ``(video, labels)`` with both on ``device`` when labels were given.
    """

    def __init__(
        self,
        checkpoint: str | os.PathLike = "moving_mnist",
        p: float = 0.5,
        strength: float = 1.0,
        device: str | torch.device | None = None,
        batch_size: int = 256,
        generator: torch.Generator | None = None,
        use_labels: bool = True,
        padding_mode: str | None = None,
        keep_brightness: bool | None = None,
    ) -> None:
        self.device = torch.device(
            device if device is not None else ("cuda" if torch.cuda.is_available() else "cpu")
        )
        self.augment = RCGANAugment(
            checkpoint,
            p=p,
            strength=strength,
            device="auto",
            batch_size=batch_size,
            generator=generator,
            use_labels=use_labels,
            padding_mode=padding_mode,
            keep_brightness=keep_brightness,
        )

    def __call__(self, video: torch.Tensor, labels: torch.Tensor | None = None):
        if _in_worker():
            raise RuntimeError(
                "GPUAugment is for the training loop, not for DataLoader workers: use "
                "RCGANAugment in the dataset's transform there"
            )
        batch, restore = as_batch(video)
        batch = batch.to(self.device, non_blocking=True)
        if labels is None:
            return restore(self.augment(batch))
        labels = torch.as_tensor(labels).to(self.device, non_blocking=True)
        out, _ = self.augment(batch, labels.reshape(1) if labels.ndim == 0 else labels)
        return restore(out), labels

    def __repr__(self) -> str:
        return f"GPUAugment(device={str(self.device)!r}, {self.augment.extra_repr()})"
