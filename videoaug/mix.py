"""Mixing clips and labels: MixUp, CutMix and the VideoMix family, with soft labels that match what was mixed.

- MixUp (Zhang et al., 2018, "mixup: Beyond Empirical Risk Minimization", ICLR, arXiv:1710.09412) blends two
  clips voxel by voxel with weight ``lam`` and their labels with the same weight.
- CutMix (Yun et al., 2019, "CutMix: Regularization Strategy to Train Strong Classifiers with Localizable
  Features", ICCV, arXiv:1905.04899) pastes a box of one image into another and mixes labels by area.
- VideoMix (Yun et al., 2020, "VideoMix: Rethinking Data Augmentation for Video Classification",
  arXiv:2012.03457) extends the cut to video: the same box on every frame (spatial), a contiguous run of whole
  frames (temporal), or a box over a run of frames (spatio-temporal).

Every transform takes a batch ``(B, T, C, H, W)`` (plain tensor or ``tv_tensors.Video``; the output has the
input's type) and labels, either class indices ``(B,)`` or soft labels ``(B, num_classes)``, and returns the
mixed batch and soft labels ``(B, num_classes)``::

    videos, soft_labels = mix(videos, labels)

Partners. Clip ``i`` is mixed with clip ``B - 1 - i`` (the batch flipped, as timm does), so the batch order
must be random (a shuffling DataLoader). With an odd ``B`` the middle clip would be mixed with itself; it is
left as it is (``lam = 1``), and so is the one clip of a batch of one (the last batch of an epoch when
``len(dataset) % batch_size == 1``): it comes back unmixed with its one-hot (smoothed) label. Modes say how
``lam`` (and the box) are drawn:

- ``"batch"``: one ``lam`` and one box for the whole batch;
- ``"pair"``: one per pair ``(i, B - 1 - i)``; both clips of a pair use it, so they swap complementary parts;
- ``"elem"``: one per clip, independently.

Exact labels. ``params["lam"]`` is, per clip, the exact fraction of its voxels (pixels x frames) that stay its
own: for CutMix the box is clipped at the borders of the clip and ``lam`` is recomputed from the clipped box,
so the soft label weight of the partner always equals the fraction of the partner's voxels in the result.
Label smoothing is applied once, to the targets before they are mixed (smoothing and mixing are linear, so the
order does not matter).

Dtypes. CutMix only moves voxels, so it keeps ``uint8``. MixUp creates in-between values and refuses ``uint8``
with a ``TypeError`` (convert first, e.g. ``v2.ToDtype(torch.float32, scale=True)``): a transform that
silently changed the dtype would give a batch of a different dtype on every call that picked MixUp inside
:class:`RandomMix`.

Sampling apart from applying. :meth:`_MixTransform.make_params` draws per-clip tensors (``index``, ``lam``
and, for CutMix, ``box``) from torch's RNG or an optional ``torch.Generator``; the pure functions
:func:`mixup_videos`, :func:`cutmix_videos` and :func:`mix_targets` apply them. ``mix.replay(videos, labels,
params=mix.last_params)`` reproduces the last call. Nothing is modified in place and nothing loops over clips
in Python.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch.utils._pytree import tree_flatten, tree_unflatten
from torch.utils.data import default_collate
from torchvision import tv_tensors
from torchvision.transforms import v2

from ._video import check_batch
from .transforms import LABEL_KEYS, RandomVideoTransform, VideoShape, default_labels_getter
from .transforms._utils import positive

__all__ = [
    "MixUp",
    "CutMix",
    "RandomMix",
    "collate_with",
    "MixCollate",
    "one_hot",
    "mix_targets",
    "mixup_videos",
    "cutmix_videos",
    "cut_mask",
    "sample_beta",
]

MODES = ("batch", "pair", "elem")
KINDS = ("spatial", "temporal", "spatiotemporal")


# -- pure functions ----------------------------------------------------------------------------------------
def one_hot(labels: torch.Tensor, num_classes: int, label_smoothing: float = 0.0,
            dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Class indices ``(B,)`` to (smoothed) one-hot targets ``(B, num_classes)``.

    With smoothing ``s`` the true class gets ``1 - s + s / num_classes`` and every other class ``s /
    num_classes``.
    """
    off = label_smoothing / num_classes
    out = torch.full((labels.shape[0], num_classes), off, dtype=dtype, device=labels.device)
    return out.scatter_(1, labels.long().unsqueeze(1), 1.0 - label_smoothing + off)


def mix_targets(labels: torch.Tensor, index: torch.Tensor, lam: torch.Tensor, num_classes: int | None,
                label_smoothing: float = 0.0) -> torch.Tensor:
    """Soft targets of a mixed batch: ``lam * y + (1 - lam) * y[index]`` per clip, ``y`` the smoothed targets.

    Args:
        labels: class indices ``(B,)`` or soft labels ``(B, num_classes)`` (floating; smoothed here too).
        index: ``(B,)`` partner of each clip.
        lam: ``(B,)`` fraction of each clip that is its own.
        num_classes: number of classes (needed for class indices).
        label_smoothing: ``s`` in ``[0, 1)``; applied once, before mixing.

    Returns:
        ``(B, num_classes)`` floating soft labels on the labels' device.
    """
    if labels.ndim == 1:
        if num_classes is None:
            raise ValueError("num_classes: expected an int when labels are class indices (B,), got None")
        y = one_hot(labels, num_classes, label_smoothing)
    else:
        s = label_smoothing
        y = labels if s == 0 else labels * (1.0 - s) + s / labels.shape[1]
    index = index.to(y.device)
    lam = lam.to(device=y.device, dtype=y.dtype).unsqueeze(1)
    return torch.lerp(y[index], y, lam)


def mixup_videos(videos: torch.Tensor, index: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
    """``lam * videos + (1 - lam) * videos[index]`` per clip. Class: :class:`MixUp`.

    Shape:
        videos ``(B, T, C, H, W)`` floating; index, lam ``(B,)``. Returns a new tensor of the same shape and
        dtype.
    """
    if not videos.is_floating_point():
        raise _needs_float_error("MixUp", videos.dtype)
    lam = lam.to(device=videos.device, dtype=videos.dtype).view(-1, 1, 1, 1, 1)
    out = videos[index.to(videos.device)]  # a new tensor, so the lerp can write into it
    return torch.lerp(out, videos, lam, out=out)


def _needs_float_error(name: str, dtype: torch.dtype) -> TypeError:
    return TypeError(
        f"{name}: expected a floating video batch (values in [0, 1]), got {dtype}; MixUp makes in-between "
        "values, so convert first, e.g. v2.ToDtype(torch.float32, scale=True) or videos.float() / 255"
    )


def cut_mask(box: torch.Tensor, frames: int, height: int, width: int) -> torch.Tensor:
    """Bool mask, True inside each clip's box ``(t0, t1, y0, y1, x0, x1)`` (half-open ranges).

    Built from coordinate comparisons against the per-clip ranges: no loop over clips.

    Shape:
        box ``(B, 6)`` integer. Returns a mask that broadcasts to ``(B, T, 1, H, W)``: ``(B, 1, 1, H, W)``
        when every box spans all frames (spatial cuts) and ``(B, T, 1, 1, 1)`` when every box spans whole
        frames (temporal cuts), which saves building and reading a full-size mask. That check is made only
        for a box on the CPU (it costs no device synchronisation there); otherwise the mask is full size.
    """
    dev = box.device
    b = box.unsqueeze(-1)  # (B, 6, 1)
    t, y, x = (torch.arange(n, device=dev) for n in (frames, height, width))
    in_t = (t >= b[:, 0]) & (t < b[:, 1])  # (B, T)
    in_y = (y >= b[:, 2]) & (y < b[:, 3])  # (B, H)
    in_x = (x >= b[:, 4]) & (x < b[:, 5])  # (B, W)
    in_t = in_t[:, :, None, None, None]
    in_yx = in_y[:, None, None, :, None] & in_x[:, None, None, None, :]  # (B, 1, 1, H, W)
    if dev.type == "cpu":
        if bool(in_t.all()):
            return in_yx
        if bool(in_yx.all()):
            return in_t
    return in_t & in_yx


def cutmix_videos(videos: torch.Tensor, index: torch.Tensor, box: torch.Tensor) -> torch.Tensor:
    """Replace each clip's box with the same voxels of its partner ``videos[index]``. Class: :class:`CutMix`.

    Shape:
        videos ``(B, T, C, H, W)`` of any dtype; index ``(B,)``; box ``(B, 6)`` integer ``(t0, t1, y0, y1, x0,
        x1)``. Returns a new tensor of the same shape and dtype.
    """
    _, t, _, h, w = videos.shape
    mask = cut_mask(box, t, h, w).to(videos.device)
    out = videos[index.to(videos.device)]  # a new tensor (the partners); each clip's own voxels go back in
    return torch.where(mask, out, videos, out=out)


def sample_beta(alpha: float, n: int, generator: torch.Generator | None = None,
                device: torch.device | str = "cpu") -> torch.Tensor:
    """``n`` draws from ``Beta(alpha, alpha)`` as float32, from ``generator`` (or torch's global RNG).

    ``torch.distributions.Beta`` cannot take a generator, so the two gamma variates are drawn here with
    Marsaglia and Tsang's method (vectorised rejection; for ``alpha < 1`` the ``Gamma(alpha + 1) * U ** (1 /
    alpha)`` boost), in log space so that small ``alpha`` does not underflow.
    """
    a = alpha + 1.0 if alpha < 1.0 else alpha
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    log_g = torch.empty(2 * n, dtype=torch.float64, device=device)
    todo = torch.arange(2 * n, device=device)
    while todo.numel():
        k = todo.numel()
        z = torch.randn(k, generator=generator, device=device, dtype=torch.float64)
        u = torch.rand(k, generator=generator, device=device, dtype=torch.float64)
        v = (1.0 + c * z) ** 3
        ok = (v > 0) & (torch.log(u) < 0.5 * z * z + d - d * v + d * torch.log(v.clamp_min(1e-300)))
        log_g[todo[ok]] = math.log(d) + torch.log(v[ok])
        todo = todo[~ok]
    if alpha < 1.0:
        u = torch.rand(2 * n, generator=generator, device=device, dtype=torch.float64)
        log_g = log_g + torch.log(u.clamp_min(1e-300)) / alpha
    return torch.sigmoid(log_g[:n] - log_g[n:]).float()


# -- locating videos and labels in the inputs --------------------------------------------------------------
def _locate(inputs: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Find the video batch and the labels in ``(videos, labels, ...)`` or in a dict with a label key."""
    labels = default_labels_getter(inputs)
    if labels is None and isinstance(inputs, dict):
        raise TypeError(f"expected a dict with a key in {LABEL_KEYS} (the labels), got {list(inputs)}")
    if labels is None:
        raise TypeError(
            "expected (videos, labels): a batch (B, T, C, H, W) and labels (B,) or (B, num_classes), "
            f"got {type(inputs).__name__}"
        )
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"labels: expected a tensor (B,) or (B, num_classes), got {type(labels).__name__}")
    flat, _ = tree_flatten(inputs)
    video = next((x for x in flat if isinstance(x, tv_tensors.Video)), None)
    if video is None:
        video = next((x for x in flat if isinstance(x, torch.Tensor) and x is not labels), None)
    if video is None:
        raise TypeError("expected a video batch (B, T, C, H, W) among the inputs, found none")
    return video, labels


def _check_labels(labels: torch.Tensor, batch: int, num_classes: int | None) -> None:
    if labels.ndim == 1:
        if labels.dtype == torch.bool or labels.is_floating_point() or labels.is_complex():
            raise TypeError(f"labels: expected integer class indices (B,), got dtype {labels.dtype}")
        if num_classes is None:
            raise ValueError("num_classes: expected an int when labels are class indices (B,), got None")
        if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
            raise ValueError(
                f"labels: expected class indices in [0, {num_classes}), got values in "
                f"[{int(labels.min())}, {int(labels.max())}]"
            )
    elif labels.ndim == 2:
        if not labels.is_floating_point():
            raise TypeError(f"labels: expected floating soft labels (B, num_classes), got {labels.dtype}")
        if num_classes is not None and labels.shape[1] != num_classes:
            raise ValueError(
                f"labels: expected soft labels (B, {num_classes}), got shape {tuple(labels.shape)}"
            )
    else:
        raise ValueError(
            "labels: expected class indices (B,) or soft labels (B, num_classes), "
            f"got shape {tuple(labels.shape)}"
        )
    if labels.shape[0] != batch:
        raise ValueError(
            f"labels: expected {batch} labels, one per clip of the video batch, got {labels.shape[0]}"
        )


# -- transforms --------------------------------------------------------------------------------------------
class _MixTransform(RandomVideoTransform):
    """What MixUp and CutMix share: argument checks, partners, lam, the labels; ``p``, ``generator``, replay,
    ``last_params`` and pickling come from the one random-transform base.

    Like torchvision's own MixUp/CutMix this overrides the call (``_forward``): labels must be transformed too,
    which v2's default dispatch (labels pass through) does not do. They are found by
    :func:`~videoaug.transforms.default_labels_getter`.
    """

    _needs_float = False

    def __init__(self, alpha: float = 1.0, num_classes: int | None = None, mode: str = "batch",
                 label_smoothing: float = 0.0, p: float = 1.0,
                 generator: torch.Generator | None = None) -> None:
        alpha = positive(alpha, "alpha")  # inf would spin for ever in the Beta sampler
        if num_classes is not None and (isinstance(num_classes, bool) or not isinstance(num_classes, int)
                                        or num_classes < 1):
            raise ValueError(f"num_classes: expected a positive int or None, got {num_classes!r}")
        if mode not in MODES:
            raise ValueError(f"mode: expected one of {MODES}, got {mode!r}")
        if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float)) \
                or not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing: expected a number in [0, 1), got {label_smoothing!r}")
        super().__init__(p=p, generator=generator)
        self.alpha = float(alpha)
        self.num_classes = num_classes
        self.mode = mode
        self.label_smoothing = float(label_smoothing)

    # -- the call -------------------------------------------------------------------------------------------
    def _forward(self, inputs: tuple[Any, ...], params: dict[str, torch.Tensor] | None) -> Any:
        structure = inputs if len(inputs) > 1 else inputs[0]
        video, labels = _locate(structure)
        self._check_inputs(video, labels)
        if params is None:
            params = self.make_params([video])
        else:
            self.last_params = params
        plain = video.as_subclass(torch.Tensor)
        out = self.apply(plain, params)
        if isinstance(video, tv_tensors.Video):
            out = tv_tensors.wrap(out, like=video)
        soft = mix_targets(labels, params["index"], params["lam"], self.num_classes, self.label_smoothing)
        flat, spec = tree_flatten(structure)
        flat = [out if x is video else soft if x is labels else x for x in flat]
        return tree_unflatten(flat, spec)

    def _check_inputs(self, video: torch.Tensor, labels: torch.Tensor) -> None:
        name = type(self).__name__
        check_batch(video, f"{name} videos")  # a batch of one passes through unmixed, as an odd batch's middle
        if self._needs_float and not video.is_floating_point():
            raise _needs_float_error(name, video.dtype)
        _check_labels(labels, video.shape[0], self.num_classes)

    # -- sampling -------------------------------------------------------------------------------------------
    def sample_params(self, shape: VideoShape) -> dict[str, torch.Tensor]:
        """Per-clip parameters on the RNG's device: ``index`` (B,) long, ``lam`` (B,) float, ``apply`` (B,)
        bool (whether the clip is mixed); subclasses add more."""
        batch = shape.batch
        index = torch.arange(batch - 1, -1, -1, device=self._rng_device)
        lam = self._draw(batch, lambda n: sample_beta(self.alpha, n, self.generator, self._rng_device))
        coin = self._draw(batch, lambda n: self._uniform(n))
        apply = coin < self.p
        apply &= index != torch.arange(batch, device=self._rng_device)  # the middle clip of an odd batch
        return {"index": index, "lam": torch.where(apply, lam, torch.ones_like(lam)), "apply": apply}

    def _draw(self, batch: int, sampler: Callable[[int], torch.Tensor]) -> torch.Tensor:
        """``sampler(n)`` spread to ``(B,)``: one value (batch), one per pair (pair), one per clip (elem)."""
        if self.mode == "batch":
            return sampler(1).expand(batch).clone()
        if self.mode == "pair":
            half = sampler((batch + 1) // 2)
            return torch.cat([half, half[: batch // 2].flip(0)])
        return sampler(batch)


class MixUp(_MixTransform):
    """MixUp for video batches (Zhang et al., 2018): ``lam * clip_i + (1 - lam) * clip_partner`` per clip.

    Args:
        alpha: ``lam ~ Beta(alpha, alpha)``; must be > 0 (0.2 to 1 are usual).
        num_classes: number of classes; needed for class-index labels, checked against soft labels.
        mode: ``"batch"`` (one ``lam``), ``"pair"`` (one per pair ``i, B - 1 - i``) or ``"elem"`` (one per
            clip).
        label_smoothing: smoothing ``s`` applied once to the targets before mixing.
        p: probability that a batch (``"batch"``), a pair or a clip is mixed; unmixed clips get ``lam = 1``.
        generator: optional ``torch.Generator`` to draw from; ``None`` uses torch's global RNG.

    Shape:
        videos ``(B, T, C, H, W)`` floating; labels ``(B,)`` integer or ``(B, num_classes)``. A batch of one
        clip (the last batch of an epoch, ``drop_last=False``) comes back unmixed with its one-hot label.
        Returns videos of the same shape, dtype, device and type, and soft labels ``(B, num_classes)``.

    ``uint8`` videos are refused with a ``TypeError``: convert to float first (see the module docstring).

    Example:
        >>> mix = MixUp(alpha=0.4, num_classes=5, mode="elem")
        >>> videos, soft = mix(torch.rand(4, 8, 3, 16, 16), torch.tensor([0, 1, 2, 3]))
        >>> soft.shape, bool(torch.allclose(soft.sum(1), torch.ones(4)))
        (torch.Size([4, 5]), True)
    """

    _needs_float = True

    def apply(self, videos: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
        return mixup_videos(videos, params["index"], params["lam"])


class CutMix(_MixTransform):
    """CutMix and VideoMix for video batches (Yun et al., 2019; 2020): paste a cut of the partner clip.

    ``kind`` picks the cut. With ``r = 1 - lam`` the fraction to cut:

    - ``"spatial"``: a box of area ``r * H * W`` (sides scaled by ``sqrt(r)``) on every frame;
    - ``"temporal"``: the whole frame over a run of ``r * T`` frames;
    - ``"spatiotemporal"``: a box over a run of frames, every side scaled by ``r ** (1 / 3)``.

    The centre of the cut is uniform over the clip and the cut is clipped at the borders; ``lam`` is then
    recomputed as the exact fraction of voxels the clip keeps, so the soft labels equal what was mixed.

    Args:
        alpha: ``lam ~ Beta(alpha, alpha)``; must be > 0 (1.0 is usual).
        num_classes: number of classes; needed for class-index labels, checked against soft labels.
        kind: ``"spatial"``, ``"temporal"`` or ``"spatiotemporal"``.
        mode: ``"batch"`` (one cut), ``"pair"`` (one per pair ``i, B - 1 - i``, swapped) or ``"elem"`` (one
            per clip).
        label_smoothing: smoothing ``s`` applied once to the targets before mixing.
        p: probability that a batch (``"batch"``), a pair or a clip is mixed; unmixed clips get ``lam = 1``.
        generator: optional ``torch.Generator`` to draw from; ``None`` uses torch's global RNG.

    Shape:
        videos ``(B, T, C, H, W)`` uint8 or floating; labels ``(B,)`` or ``(B, num_classes)``. A batch of one
        clip comes back unmixed with its one-hot (smoothed) label.
        Returns videos of the same shape, dtype, device and type, and soft labels ``(B, num_classes)``.

    Example:
        >>> mix = CutMix(num_classes=3, kind="temporal", mode="elem")
        >>> videos, soft = mix(torch.zeros(2, 8, 3, 4, 4, dtype=torch.uint8), torch.tensor([0, 2]))
        >>> videos.dtype, soft.shape
        (torch.uint8, torch.Size([2, 3]))
    """

    def __init__(self, alpha: float = 1.0, num_classes: int | None = None, kind: str = "spatial",
                 mode: str = "batch", label_smoothing: float = 0.0, p: float = 1.0,
                 generator: torch.Generator | None = None) -> None:
        super().__init__(alpha, num_classes, mode, label_smoothing, p, generator)
        if kind not in KINDS:
            raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
        self.kind = kind

    def sample_params(self, shape: VideoShape) -> dict[str, torch.Tensor]:
        params = super().sample_params(shape)
        batch, frames, height, width = shape.batch, shape.frames, shape.height, shape.width
        cut = 1.0 - params["lam"].double()  # fraction of the clip to cut (0 where not applied)
        side = {"spatial": (None, cut.sqrt()), "temporal": (cut, None),
                "spatiotemporal": (cut ** (1 / 3), cut ** (1 / 3))}
        cut_t, cut_hw = side[self.kind]
        t0, t1 = self._range(batch, frames, cut_t)
        y0, y1 = self._range(batch, height, cut_hw)
        x0, x1 = self._range(batch, width, cut_hw)
        box = torch.stack([t0, t1, y0, y1, x0, x1], dim=1)
        box = torch.where(params["apply"].unsqueeze(1), box, torch.zeros_like(box))  # unmixed: empty cut
        volume = ((t1 - t0) * (y1 - y0) * (x1 - x0)).double() * params["apply"]
        params["lam"] = (1.0 - volume / (frames * height * width)).float()
        params["box"] = box
        return params

    def _range(self, batch: int, size: int, frac: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Half-open ``[lo, hi)`` per clip along one axis: length ``round(frac * size)`` around a uniform
        centre, clipped to ``[0, size)``; ``frac=None`` takes the whole axis. Centres are drawn per mode."""
        dev = self._rng_device
        if frac is None:
            return torch.zeros(batch, dtype=torch.long, device=dev), torch.full((batch,), size, device=dev)
        length = (frac * size).round().long()
        centre = self._draw(batch, lambda n: torch.randint(size, (n,), generator=self.generator, device=dev))
        lo = centre - length // 2
        return lo.clamp(0, size), (lo + length).clamp(0, size)

    def apply(self, videos: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
        return cutmix_videos(videos, params["index"], params["box"])


class RandomMix(v2.Transform):
    """Apply one of several mixing transforms, chosen at random on each call.

    Args:
        transforms: :class:`MixUp` / :class:`CutMix` instances (the same ``num_classes``). Each keeps its own
            ``alpha``, ``mode``, ``label_smoothing`` and ``p`` (so smoothing is applied once, by the one
            chosen).
        p: selection weights, one per transform (normalised); default uniform.
        switch_prob: timm's name for two transforms: the probability of choosing the second, the same as
            ``p=[1 - switch_prob, switch_prob]``. Give ``p`` or ``switch_prob``, not both.
        generator: optional ``torch.Generator`` for the choice (each transform draws from its own).

    One transform serves the whole call (timm's per-clip switch in ``"elem"`` mode would run every transform
    on the whole batch). If any of the transforms is a :class:`MixUp`, ``uint8`` input is refused on every
    call, not only when MixUp is picked. ``last_params`` holds the choice under ``"choice"`` plus the chosen
    transform's params.

    Example:
        >>> mix = RandomMix([MixUp(num_classes=4), CutMix(num_classes=4, kind="temporal")], switch_prob=0.5)
        >>> videos, soft = mix(torch.rand(2, 4, 3, 8, 8), torch.tensor([1, 3]))
        >>> soft.shape
        torch.Size([2, 4])
    """

    def __init__(self, transforms: Sequence[_MixTransform], p: Sequence[float] | None = None,
                 switch_prob: float | None = None, generator: torch.Generator | None = None) -> None:
        super().__init__()
        transforms = list(transforms)
        if not transforms or not all(isinstance(t, _MixTransform) for t in transforms):
            raise TypeError(f"transforms: expected a non-empty list of MixUp/CutMix, got {transforms!r}")
        classes = {t.num_classes for t in transforms}
        if len(classes) > 1:
            raise ValueError(f"transforms: expected one num_classes for all, got {sorted(map(str, classes))}")
        if p is not None and switch_prob is not None:
            raise ValueError("expected p or switch_prob, got both")
        if switch_prob is not None:
            if len(transforms) != 2 or isinstance(switch_prob, bool) or not isinstance(switch_prob, (int, float)) \
                    or not 0.0 <= switch_prob <= 1.0:
                raise ValueError(
                    "switch_prob: expected a probability in [0, 1] with exactly 2 transforms, "
                    f"got {switch_prob!r} with {len(transforms)}"
                )
            p = [1.0 - switch_prob, switch_prob]
        if p is None:
            p = [1.0] * len(transforms)
        p = [float(w) for w in p]
        if len(p) != len(transforms) or not all(0 <= w < math.inf for w in p) or sum(p) <= 0:
            raise ValueError(f"p: expected {len(transforms)} weights >= 0 with a positive sum, got {p}")
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator: expected a torch.Generator or None, got {type(generator).__name__}")
        self.transforms = torch.nn.ModuleList(transforms)
        self.p = [w / sum(p) for w in p]
        self.generator = generator
        self.num_classes = transforms[0].num_classes
        self.last_params: dict[str, Any] | None = None

    def forward(self, *inputs: Any) -> Any:
        structure = inputs if len(inputs) > 1 else inputs[0]
        video, _ = _locate(structure)
        if any(t._needs_float for t in self.transforms) and isinstance(video, torch.Tensor) \
                and video.dtype == torch.uint8:
            raise _needs_float_error("RandomMix (holds a MixUp)", video.dtype)
        weights = torch.tensor(self.p)
        dev = self.generator.device if self.generator is not None else torch.device("cpu")
        choice = int(torch.multinomial(weights.to(dev), 1, generator=self.generator))
        chosen = self.transforms[choice]
        out = chosen(*inputs)
        self.last_params = {"choice": choice, **chosen.last_params}
        return out

    def replay(self, *inputs: Any, params: dict[str, Any]) -> Any:
        """Run the transform recorded in ``params["choice"]`` with the rest of ``params``."""
        rest = {k: v for k, v in params.items() if k != "choice"}
        return self.transforms[params["choice"]].replay(*inputs, params=rest)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["last_params"] = None
        return state


# -- DataLoader --------------------------------------------------------------------------------------------
class MixCollate:
    """A ``collate_fn`` that collates the samples, then mixes the batch. Picklable, so workers can use it.

    Leave the mix's ``generator`` as ``None`` with workers: each worker then draws from its own torch RNG,
    which the DataLoader seeds differently per worker (a shared generator would be copied and repeat the same
    draws).
    """

    def __init__(self, mix: Callable[..., Any],
                 collate_fn: Callable[[list[Any]], Any] = default_collate) -> None:
        if not callable(mix):
            raise TypeError(f"mix: expected a callable such as MixUp or CutMix, got {type(mix).__name__}")
        self.mix = mix
        self.collate_fn = collate_fn

    def __call__(self, samples: list[Any]) -> Any:
        return self.mix(self.collate_fn(samples))


def collate_with(mix: Callable[..., Any],
                 collate_fn: Callable[[list[Any]], Any] = default_collate) -> MixCollate:
    """``DataLoader(..., collate_fn=collate_with(mix))``: mix each batch as it is collated.

    Args:
        mix: a :class:`MixUp`, :class:`CutMix` or :class:`RandomMix` (anything taking ``(videos, labels)``).
        collate_fn: how samples ``(video, label)`` become ``(videos, labels)``; torch's ``default_collate``.

    Example:
        >>> collate = collate_with(CutMix(num_classes=3, kind="temporal"))
        >>> videos, soft = collate([(torch.rand(4, 3, 8, 8), 0), (torch.rand(4, 3, 8, 8), 2)])
        >>> videos.shape, soft.shape
        (torch.Size([2, 4, 3, 8, 8]), torch.Size([2, 3]))
    """
    return MixCollate(mix, collate_fn)
