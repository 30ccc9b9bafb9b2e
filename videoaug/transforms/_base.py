"""Base classes shared by every videoaug transform.

A videoaug transform is a :class:`torchvision.transforms.v2.Transform`: a call flattens ``(video, label)`` tuples and
dicts, calls :meth:`make_params` once (or takes the parameters given to :meth:`~VideoTransform.replay`), then
:meth:`transform` on each input that needs it -- v2's own ``forward``, with the parameters passed along instead of
kept on ``self``. Labels and other plain values pass through as the same objects. The one base for everything
random in the package (transforms, MixUp / CutMix, ``RCGANAugment``) is :class:`RandomVideoTransform`: ``p``,
``generator=``, the RNG's device, replay, ``last_params``, pickling and one ``sample_params(shape)``. Transforms
that need the labels (mixing, the generator) find them with :func:`default_labels_getter`.

Randomness lives in :meth:`RandomVideoTransform.sample_params` only. It returns a dict of tensors with a leading
batch dimension ``B`` (one row per clip, ``B = 1`` for a single clip), already folded with the per-clip ``p`` draw:
a clip that is not augmented gets its transform's identity parameters, so a kernel never sees ``p``. The kernels in
:mod:`videoaug.functional` apply explicit parameters and hold no randomness, so

    params = t.make_params([video])          # or t.last_params after a call
    t.replay(video, params=params)           # same output as the call that drew them

Masks (``tv_tensors.Mask``) and boxes (``tv_tensors.BoundingBoxes``) given with the video get the same
parameters (layouts in :mod:`videoaug.transforms._targets`). A class says how they follow through
:attr:`VideoTransform.targets`: ``"unchanged"`` (photometric and erasing transforms: no pixel moves, the same
objects come back), ``"transformed"`` (geometric and temporal transforms implement :meth:`~VideoTransform.apply_mask`
and :meth:`~VideoTransform.box_maps` or :meth:`~VideoTransform.apply_boxes`), or ``"unsupported"`` (the default:
a mask or box raises ``TypeError`` rather than coming back silently unaligned).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

import torch
from torch.utils._pytree import tree_flatten, tree_unflatten
from torchvision import tv_tensors
from torchvision.transforms import v2

from .._video import as_batch, check_video
from ..functional._boxes import warp_boxes
from ._dynamic import vary
from ._targets import Targets, boxes_as_xyxy, collect_targets, mask_as_batch, restore_boxes
from ._utils import probability

__all__ = ["VideoShape", "VideoTransform", "RandomVideoTransform", "LABEL_KEYS", "default_labels_getter"]

#: Dict keys (any case) under which :func:`default_labels_getter` looks for labels, in this order.
LABEL_KEYS = ("label", "labels", "target", "targets")


@dataclass(frozen=True)
class VideoShape:
    """What parameter sampling needs to know about the input batch."""

    batch: int
    frames: int
    channels: int
    height: int
    width: int
    dtype: torch.dtype
    device: torch.device

    @classmethod
    def of(cls, video: torch.Tensor) -> VideoShape:
        """The shape of a clip ``(T, C, H, W)`` (``batch=1``) or a batch ``(B, T, C, H, W)``."""
        b = video.shape[0] if video.ndim == 5 else 1
        t, c, h, w = video.shape[-4:]
        return cls(b, t, c, h, w, video.dtype, video.device)


def default_labels_getter(inputs: Any) -> Any | None:
    """The labels in a call's inputs, torchvision's ``labels_getter="default"`` rule for videos.

    In a dict, the value of the first key in :data:`LABEL_KEYS` (compared in lower case); in a tuple or list of two
    or more, the second element (``(video, label)``); ``None`` when there is none. The caller checks what it
    found (a mix needs class indices or soft labels, the generator integer classes).
    """
    if isinstance(inputs, dict):
        keys = {k.lower(): k for k in inputs if isinstance(k, str)}
        key = next((keys[k] for k in LABEL_KEYS if k in keys), None)
        return None if key is None else inputs[key]
    if isinstance(inputs, (tuple, list)) and len(inputs) >= 2:
        return inputs[1]
    return None


def _fold(params: dict[str, Any], batch: int, frames: int) -> dict[str, Any]:
    """Parameters with per-frame entries (named in ``params["per_frame"]``, ``(B, T, ...)``) as ``B * T``
    one-frame clips: those entries reshaped to ``(B * T, ...)``, the per-clip ones ``(B, ...)`` repeated."""
    per_frame = params["per_frame"]
    out: dict[str, Any] = {}
    for k, v in params.items():
        if k in per_frame:
            out[k] = v.reshape(batch * frames, *v.shape[2:])
        elif isinstance(v, torch.Tensor) and v.ndim > 0 and v.shape[0] == batch:
            out[k] = v.repeat_interleave(frames, dim=0)
        else:
            out[k] = v
    return out


def _per_frame(fn: Any, x: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
    """``fn(x, params)`` with each frame of ``x`` (``(B, T, ...)``) a one-frame clip with its own parameters."""
    b, t = x.shape[:2]
    out = fn(x.reshape(b * t, 1, *x.shape[2:]), _fold(params, b, t))
    return out.reshape(b, t, *out.shape[2:])


def _find_video(flat_inputs: list[Any]) -> torch.Tensor:
    """The ``tv_tensors.Video`` among the inputs, else the first plain tensor (v2's rule for images)."""
    plain = None
    for inpt in flat_inputs:
        if isinstance(inpt, tv_tensors.Video):
            return inpt
        if plain is None and isinstance(inpt, torch.Tensor) and not isinstance(inpt, tv_tensors.TVTensor):
            plain = inpt
    if plain is not None:
        return plain
    raise TypeError("expected a video tensor (T, C, H, W) or (B, T, C, H, W) among the inputs, found none")


_TARGET_TYPES = (tv_tensors.Mask, tv_tensors.BoundingBoxes)


class VideoTransform(v2.Transform):
    """A deterministic video transform. Subclasses implement :meth:`apply` on a batch ``(B, T, C, H, W)``."""

    # Videos are transformed; a plain tensor only when no Video is present and it is the first one (v2's rule), so
    # in ``(video, label)`` the label always passes through.
    # Masks and boxes are tensors too, so they reach :meth:`transform`, which routes them by :attr:`targets`.
    _transformed_types = (tv_tensors.Video, torch.Tensor)

    #: How masks and boxes follow: ``"unsupported"``, ``"unchanged"`` or ``"transformed"`` (module docstring).
    targets: ClassVar[str] = "unsupported"

    def __init__(self) -> None:
        super().__init__()
        self._targets: Targets | None = None
        self.last_params: dict[str, Any] | None = None

    # -- the call -------------------------------------------------------------------------------------------------
    def forward(self, *inputs: Any) -> Any:
        return self._forward(inputs, None)

    def replay(self, *inputs: Any, params: dict[str, Any]) -> Any:
        """Run the transform on ``inputs`` with the given parameters instead of drawing new ones."""
        return self._forward(inputs, params)

    def _forward(self, inputs: tuple[Any, ...], params: dict[str, Any] | None) -> Any:
        """v2's ``forward`` with ``params`` (``None``: :meth:`make_params` draws them)."""
        structure = inputs if len(inputs) > 1 else inputs[0]
        flat_inputs, spec = tree_flatten(structure)
        self.check_inputs(flat_inputs)
        needs = self._needs_transform_list(flat_inputs)
        selected = [x for x, n in zip(flat_inputs, needs, strict=True) if n]
        video = _find_video(selected)
        # every video of the call is checked once: the one parameters are drawn for by make_params, the others
        # (and all of them on replay) here; transform() and the kernels it calls do not check again
        for x in selected:
            if (x is not video or params is not None) and not isinstance(x, _TARGET_TYPES):
                check_video(x)
        if params is None:
            params = self.make_params(selected)  # also collects the call's masks and boxes
            params = self.add_call_params(params, structure, video)
        else:
            self._targets = collect_targets(selected, video)
        flat_outputs = [self.transform(x, params) if n else x for x, n in zip(flat_inputs, needs, strict=True)]
        return tree_unflatten(flat_outputs, spec)

    # -- v2 hooks -------------------------------------------------------------------------------------------------
    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        video = _find_video(flat_inputs)
        check_video(video)
        self._targets = collect_targets(flat_inputs, video)
        params = self.sample_params(VideoShape.of(video))
        params = {k: v.to(video.device, non_blocking=True) if isinstance(v, torch.Tensor) else v
                  for k, v in params.items()}
        self.last_params = params
        return params

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if isinstance(inpt, (tv_tensors.Mask, tv_tensors.BoundingBoxes)):
            return self._transform_target(inpt, params)
        batch, restore = as_batch(inpt, check=False)  # checked once by _forward / make_params
        if params.get("per_frame") and not self._native_per_frame:
            return restore(_per_frame(self.apply, batch, params))
        return restore(self.apply(batch, params))

    #: With ``params["per_frame"]`` (``dynamic=True``), :meth:`apply` gets each frame as a one-frame clip with
    #: its own parameters, unless the class handles ``(B, T, ...)`` parameters itself.
    _native_per_frame: ClassVar[bool] = False

    def _transform_target(self, inpt: tv_tensors.Mask | tv_tensors.BoundingBoxes, params: dict[str, Any]) -> Any:
        if self.targets == "unchanged":
            return inpt
        kind = "masks (tv_tensors.Mask)" if isinstance(inpt, tv_tensors.Mask) else "boxes (tv_tensors.BoundingBoxes)"
        if self.targets != "transformed":
            raise TypeError(f"{type(self).__name__}: {kind} are not supported by this transform; "
                            "give it the video alone")
        t = self._call_targets()
        if isinstance(inpt, tv_tensors.Mask):
            mask, restore = mask_as_batch(inpt, t)
            if params.get("per_frame"):
                return restore(_per_frame(self.apply_mask, mask, params))
            return restore(self.apply_mask(mask, params))
        out, canvas = self.apply_boxes(boxes_as_xyxy(inpt), t.box_clip[id(inpt)], params, per_frame=inpt.ndim == 3)
        return restore_boxes(out, inpt, canvas)

    # -- what subclasses implement --------------------------------------------------------------------------------
    def sample_params(self, shape: VideoShape) -> dict[str, Any]:
        """Per-clip parameters as tensors with leading dimension ``shape.batch``. Deterministic transforms: ``{}``."""
        return {}

    def apply(self, video: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        """Apply the functional kernel to a plain batch ``(B, T, C, H, W)`` with explicit ``params``."""
        raise NotImplementedError

    def _call_targets(self) -> Targets:
        if self._targets is None:  # make_params sets it in the same call; transform() alone has no video
            raise RuntimeError(f"{type(self).__name__}: masks and boxes need the video in the same call")
        return self._targets

    def apply_mask(self, mask: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        """Move a plain mask batch ``(B, T, K, H, W)`` as :meth:`apply` moves the video: same parameters,
        nearest neighbour, dtype kept. Implemented by the ``targets = "transformed"`` classes."""
        raise NotImplementedError

    def box_maps(self, params: dict[str, Any], shape: Targets) -> tuple[torch.Tensor, tuple[int, int]]:
        """The map of each clip's input frame onto its output frame, ``(B, 3, 3)`` (or ``(B, T, 3, 3)``, one per
        frame), in continuous pixel coordinates (:mod:`videoaug.functional._boxes`), and the output
        ``(height, width)``; ``shape`` is the input's layout. Spatial classes implement it; :meth:`apply_boxes`
        uses it."""
        raise NotImplementedError

    def apply_boxes(self, boxes: torch.Tensor, clip: int, params: dict[str, Any], per_frame: bool
                    ) -> tuple[torch.Tensor, tuple[int, int]]:
        """Move clip ``clip``'s ``XYXY`` boxes ``(F, N, 4)`` (``F = T`` for a track, ``per_frame``; 1 for boxes
        on every frame); returns the boxes ``(F', N, 4)``, clamped to the output canvas, and that canvas
        ``(height, width)``."""
        t = self._call_targets()
        if "box_maps" not in t.cache:  # once per call, shared by the clips of a batch
            if params.get("per_frame"):  # one map per frame: the frames as clips of one frame
                maps, canvas = self.box_maps(_fold(params, t.batch, t.frames),
                                             replace(t, batch=t.batch * t.frames, frames=1))
                t.cache["box_maps"] = maps.view(t.batch, t.frames, 3, 3), canvas
            else:
                t.cache["box_maps"] = self.box_maps(params, t)
        maps, canvas = t.cache["box_maps"]
        m = maps[clip].to(boxes.device)  # maps live on the video's device, boxes often on the CPU
        return warp_boxes(boxes, m if m.ndim == 3 else m.unsqueeze(0), canvas), canvas

    def add_call_params(self, params: dict[str, Any], inputs: Any, video: torch.Tensor) -> dict[str, Any]:
        """Parameters that come from the call's other inputs rather than from the RNG (e.g. the labels that
        condition the generator), added to ``params``; ``inputs`` is the whole call (tuple or dict), ``video``
        the input transformed. Default: none."""
        return params

    # -- pickling -------------------------------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["last_params"] = None
        state["_targets"] = None
        return state


class RandomVideoTransform(VideoTransform):
    """A random video transform: parameters drawn once per clip, the same on every frame, independent across clips.

    Classes with continuous parameters offer ``dynamic=True`` (DynaAugment, :mod:`videoaug.transforms._dynamic`):
    each clip's parameters then follow a smooth random curve over its frames, ``(B, T, ...)`` in ``last_params``
    with ``params["per_frame"]`` naming those entries.

    Args:
        p: probability, drawn independently for each clip, that the clip is augmented. A clip that is not gets the
            transform's identity parameters.
        generator: optional ``torch.Generator``; parameters are drawn from it on its device (CPU by default) and
            moved to the input's device. ``None`` uses torch's global RNG, so ``torch.manual_seed`` and DataLoader
            worker seeding make runs reproducible.
        dynamic: parameters follow smooth curves over the frames (only for classes that offer it; the others
            leave it ``False``).
    """

    def __init__(self, p: float = 1.0, generator: torch.Generator | None = None, dynamic: bool = False) -> None:
        super().__init__()
        p = probability(p, "p")
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator: expected a torch.Generator or None, got {type(generator).__name__}")
        if not isinstance(dynamic, bool):
            raise TypeError(f"dynamic: expected a bool, got {dynamic!r}")
        self.p = float(p)
        self.generator = generator
        self.dynamic = dynamic

    def _vary(self, v0: torch.Tensor, lo: float | torch.Tensor, hi: float | torch.Tensor, frames: int
              ) -> torch.Tensor:
        """``(B, ...)`` draws -> ``(B, T, ...)`` along smooth per-clip curves within ``[lo, hi]``."""
        return vary(v0, lo, hi, frames, self.generator)

    @staticmethod
    def _frames(v: torch.Tensor, frames: int) -> torch.Tensor:
        """A per-clip parameter ``(B, ...)`` held on every frame: ``(B, T, ...)``."""
        return v.unsqueeze(1).expand(v.shape[0], frames, *v.shape[1:]).contiguous()

    @property
    def _rng_device(self) -> torch.device:
        return self.generator.device if self.generator is not None else torch.device("cpu")

    def _uniform(self, *size: int, low: float | torch.Tensor = 0.0, high: float | torch.Tensor = 1.0) -> torch.Tensor:
        """Uniform draws in ``[low, high)`` of shape ``size`` (float32, on the RNG's device)."""
        u = torch.rand(size, generator=self.generator, device=self._rng_device)
        return low + (high - low) * u

    def _randint(self, low: int, high: int, size: tuple[int, ...]) -> torch.Tensor:
        return torch.randint(low, high, size, generator=self.generator, device=self._rng_device)

    def _apply_mask(self, batch: int) -> torch.Tensor:
        """Bool ``(B,)``: which clips are augmented, each with probability ``p``."""
        if self.p >= 1.0:
            return torch.ones(batch, dtype=torch.bool, device=self._rng_device)
        return self._uniform(batch) < self.p
