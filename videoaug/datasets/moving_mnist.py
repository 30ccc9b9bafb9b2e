"""Moving MNIST: bouncing handwritten digits, generated offline with labels, or read from the standard file.

Srivastava, Mansimov and Salakhutdinov, "Unsupervised Learning of Video Representations using LSTMs",
ICML 2015, made the standard set: 28×28 MNIST digits bouncing inside a 64×64 canvas, 20 frames, overlapping
digits combined by the pixel-wise maximum. Their released file ``mnist_test_seq.npy`` has no labels.
:class:`MovingMNIST` reads that file when you have it, and otherwise *generates* clips of the same kind,
deterministically from the index, with a label, so that classifiers and the RCGAN can be trained and
evaluated without any download.

Digit images (``digit_source``):

- ``None`` (default) or ``"uci"``: the 1,797 real handwritten 8×8 digits of the UCI ML hand-written digits
  set (as bundled by scikit-learn, CC BY 4.0; vendored in ``videoaug/datasets/_data/``, see its README),
  upsampled smoothly to 20×20 strokes in a 28×28 box. Images with index ``i % 5 == 0`` are the test pool,
  the others the train pool, so the two splits never share a digit image. When the vendored file is
  missing, ``None`` falls back to ``"glyphs"`` with a warning.
- a path to a folder with the MNIST idx files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
  ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, optionally ``.gz``; the folder itself or its
  ``MNIST/raw``): the original digits, train split from the train files, test split from the t10k files.
- ``"glyphs"``: digits rendered from the default PIL font with random rotation, scale and stroke width,
  for when nothing else is there (not handwriting).

Labels (``label``):

- ``"digit"``: the digit class 0..9. With ``num_digits >= 2`` the label is the *sum of the digit classes
  modulo 10*, so every digit in the clip matters to the label (:meth:`MovingMNIST.info` gives each
  digit's class).
- ``"direction"``: the initial motion direction of the first digit in 8 bins of 45°, bin ``k`` centred on
  ``k * 45°`` counter-clockwise from "right" as the clip is seen (0 right, 2 up, 4 left, 6 down); see
  :attr:`MovingMNIST.classes`. Digits bounce off the borders, so the direction holds until the first bounce.

Generated clip ``i`` depends only on ``(seed, split, i)`` and the constructor arguments: the same index
gives the same clip in any process, in any order, with any number of DataLoader workers.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

__all__ = ["MovingMNIST", "DIRECTION_NAMES", "first_per_class"]

_DATA_FILE = Path(__file__).with_name("_data") / "uci_digits.npz"
_CANVAS = 64  # reference canvas of Srivastava et al.
_DIGIT = 28  # reference digit box
_SPEED = (2.0, 4.0)  # pixels per frame on the reference canvas (Srivastava et al. use about 3.6)
DIRECTION_NAMES = ("right", "up-right", "up", "up-left", "left", "down-left", "down", "down-right")
_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class MovingMNIST(Dataset):
    """Moving MNIST clips ``(T, 1, size, size)`` uint8 with an integer label (``-1`` for the unlabelled file).

    See the module docstring for the digit sources and the label rules. Srivastava et al., ICML 2015.

    Args:
        num_samples: number of clips. Required when generating; with ``npy_path`` it may be ``None`` (all
            clips of the file) or at most the number of clips in the file.
        split: ``"train"`` or ``"test"``: which digit images (disjoint pools) and which random stream to use.
            Ignored with ``npy_path`` (the file is one fixed set).
        num_frames: frames per clip ``T``.
        size: canvas side in pixels; the digit box scales with it (28 px at 64).
        num_digits: digits per clip (generated clips only).
        label: ``"digit"`` or ``"direction"``.
        seed: base seed of the generated set.
        transform: optional callable applied to the clip before it is returned.
        digit_source: ``None``, ``"uci"``, ``"glyphs"`` or a folder with MNIST idx files.
        npy_path: path of ``mnist_test_seq.npy`` ``(20, N, 64, 64)`` uint8; when given, clips are read
            from it.

    Shape:
        Each item is ``(clip, label)`` with ``clip`` uint8 ``(num_frames, 1, size, size)`` (before
        ``transform``).

    Example:
        >>> ds = MovingMNIST(8, num_frames=16)
        >>> clip, label = ds[0]
        >>> tuple(clip.shape), clip.dtype, 0 <= label < 10
        ((16, 1, 64, 64), torch.uint8, True)
    """

    def __init__(
        self,
        num_samples: int | None,
        split: str = "train",
        num_frames: int = 20,
        size: int = 64,
        num_digits: int = 1,
        label: str = "digit",
        seed: int = 0,
        transform: Callable[[torch.Tensor], Any] | None = None,
        digit_source: str | Path | None = None,
        npy_path: str | Path | None = None,
    ) -> None:
        if split not in ("train", "test"):
            raise ValueError(f"split: expected 'train' or 'test', got {split!r}")
        if label not in ("digit", "direction"):
            raise ValueError(f"label: expected 'digit' or 'direction', got {label!r}")
        if not isinstance(num_frames, int) or num_frames < 1:
            raise ValueError(f"num_frames: expected a positive int, got {num_frames!r}")
        if not isinstance(size, int) or size < 16:
            raise ValueError(f"size: expected an int >= 16, got {size!r}")
        if not isinstance(num_digits, int) or num_digits < 1:
            raise ValueError(f"num_digits: expected a positive int, got {num_digits!r}")
        self.split = split
        self.num_frames = num_frames
        self.size = size
        self.num_digits = num_digits
        self.label = label
        self.seed = int(seed)
        self.transform = transform
        self.npy_path = Path(npy_path) if npy_path is not None else None
        self.classes: list[str] = [str(d) for d in range(10)] if label == "digit" else list(DIRECTION_NAMES)
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        self.digit_size = max(8, round(_DIGIT * size / _CANVAS))
        self._targets: list[int] | None = None

        if self.npy_path is not None:
            self._seqs = _load_npy(self.npy_path)
            available = self._seqs.shape[1]
            if num_frames > self._seqs.shape[0]:
                raise ValueError(
                    f"num_frames: the file {self.npy_path} has {self._seqs.shape[0]} frames per clip, "
                    f"got num_frames={num_frames}"
                )
            if num_samples is None:
                num_samples = available
            if not isinstance(num_samples, int) or not 1 <= num_samples <= available:
                raise ValueError(
                    f"num_samples: expected an int in [1, {available}] or None, got {num_samples!r}"
                )
            self.num_samples = num_samples
            self.source = f"npy:{self.npy_path}"
            return

        if not isinstance(num_samples, int) or num_samples < 1:
            raise ValueError(
                f"num_samples: expected a positive int when generating clips, got {num_samples!r}"
            )
        if self.digit_size > size:
            raise ValueError(f"size: {size} is too small for {self.digit_size}-pixel digits")
        self.num_samples = num_samples
        self.source = _resolve_source(digit_source)
        self._images, self._digit_labels = _digit_bank(self.source, split, self.digit_size)

    def __len__(self) -> int:
        return self.num_samples

    def __getitem__(self, index: int) -> tuple[Any, int]:
        if not -self.num_samples <= index < self.num_samples:
            raise IndexError(f"index {index} out of range for a dataset of {self.num_samples} clips")
        index = index % self.num_samples
        if self.npy_path is not None:
            clip, label = self._read_npy(index), -1
        else:
            info = self._params(index)
            clip, label = self._render(info), info["label"]
        if self.transform is not None:
            clip = self.transform(clip)
        return clip, label

    @property
    def targets(self) -> list[int]:
        """The label of every clip, in index order (computed once, without rendering; -1 for npy files)."""
        if self._targets is None:
            if self.npy_path is not None:
                self._targets = [-1] * self.num_samples
            else:
                self._targets = [self._params(i)["label"] for i in range(self.num_samples)]
        return self._targets

    def info(self, index: int) -> dict[str, Any]:
        """The generating parameters of clip ``index``: digit classes, pool indices, positions, angles, label.

        Returns:
            dict with ``digits`` (class of each digit), ``images`` (index of each digit image in the split's
            pool), ``positions`` int tensor ``(num_digits, T, 2)`` as (y, x) of each digit box's top-left
            corner, ``angles`` (radians, counter-clockwise from right), ``direction`` (bin of the first
            digit) and ``label``.
        """
        if self.npy_path is not None:
            raise ValueError("info: clips read from npy_path have no generating parameters")
        return self._params(index % self.num_samples)

    # ------------------------------------------------------------------ generation
    def _params(self, index: int) -> dict[str, Any]:
        # torch's CPU generator keeps 32 bits of a seed: hash (seed, split, index) into them
        key = hashlib.blake2b(f"{self.seed}:{self.split}:{index}".encode(), digest_size=4).digest()
        g = torch.Generator().manual_seed(int.from_bytes(key, "little"))
        n, T = self.num_digits, self.num_frames
        pool = torch.randint(len(self._images), (n,), generator=g)
        travel = self.size - self.digit_size
        start = torch.rand(n, 2, generator=g, dtype=torch.float64) * travel
        angle = torch.rand(n, generator=g, dtype=torch.float64) * (2 * math.pi)
        lo, hi = _SPEED
        speed = (lo + (hi - lo) * torch.rand(n, generator=g, dtype=torch.float64)) * self.size / _CANVAS
        # screen coordinates: y grows downwards, so "up" (angle pi/2) is a negative y velocity
        velocity = (
            torch.stack([-torch.sin(angle), torch.cos(angle)], dim=1) * speed[:, None]
        )  # (n, 2) as (y, x)
        t = torch.arange(T, dtype=torch.float64)
        raw = start[:, None, :] + velocity[:, None, :] * t[None, :, None]  # (n, T, 2)
        if travel > 0:  # bounce: fold the straight path into [0, travel] (a triangle wave)
            folded = torch.remainder(raw, 2 * travel)
            raw = travel - (folded - travel).abs()
        else:
            raw = torch.zeros_like(raw)
        positions = raw.round().long().clamp_(0, travel)
        digits = self._digit_labels[pool]
        direction = int(torch.floor((angle[0] + math.pi / 8) / (math.pi / 4)).item()) % 8
        label = int(digits.sum().item()) % 10 if self.label == "digit" else direction
        return {
            "digits": digits.tolist(),
            "images": pool.tolist(),
            "positions": positions,
            "angles": angle.tolist(),
            "direction": direction,
            "label": label,
        }

    def _render(self, info: dict[str, Any]) -> torch.Tensor:
        T, d = self.num_frames, self.digit_size
        canvas = torch.zeros(T, self.size, self.size, dtype=torch.uint8)
        ar = torch.arange(d)
        tt = torch.arange(T)[:, None, None]
        for k, image_index in enumerate(info["images"]):
            pos = info["positions"][k]
            rows = (pos[:, 0:1] + ar)[:, :, None]  # (T, d, 1)
            cols = (pos[:, 1:2] + ar)[:, None, :]  # (T, 1, d)
            digit = self._images[image_index]
            if k == 0:
                canvas[tt, rows, cols] = digit
            else:
                canvas[tt, rows, cols] = torch.maximum(canvas[tt, rows, cols], digit)
        return canvas.unsqueeze(1)

    # ------------------------------------------------------------------ npy file
    def _read_npy(self, index: int) -> torch.Tensor:
        clip = torch.from_numpy(np.ascontiguousarray(self._seqs[: self.num_frames, index]))  # (T, 64, 64)
        clip = clip.unsqueeze(1)
        if clip.shape[-1] != self.size or clip.shape[-2] != self.size:
            clip = _resize_uint8(clip, self.size)
        return clip

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(num_samples={self.num_samples}, split={self.split!r}, "
            f"num_frames={self.num_frames}, size={self.size}, num_digits={self.num_digits}, "
            f"label={self.label!r}, seed={self.seed}, source={self.source!r})"
        )


# ---------------------------------------------------------------------- digit images
def first_per_class(dataset: MovingMNIST, n: int) -> list[int]:
    """Indices of the first ``n`` clips of each class of ``dataset``, in index order: a few-shot subset.

    Labels come from the generating parameters (nothing is rendered). The subsets are nested: those for ``n``
    are among those for any larger ``n`` of the same dataset. The ablation's classifier and ``videoaug fit``
    with ``data.per_class`` pick their training clips with this, so both see exactly the same clips.

    Raises:
        ValueError: ``n`` is not positive, or the dataset has fewer than ``n`` clips of some class.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"first_per_class: n must be a positive int, got {n!r}")
    num_classes = len(dataset.classes)
    chosen: list[int] = []
    counts = [0] * num_classes
    for i in range(len(dataset)):
        label = dataset.info(i)["label"]
        if counts[label] < n:
            counts[label] += 1
            chosen.append(i)
            if len(chosen) == n * num_classes:
                return chosen
    raise ValueError(
        f"first_per_class: {len(dataset)} clips hold fewer than {n} clips of some class (counts {counts}); "
        "use more samples"
    )


def _resolve_source(digit_source: str | Path | None) -> str:
    if digit_source is None:
        if _DATA_FILE.is_file():
            return "uci"
        warnings.warn(
            f"MovingMNIST: the bundled digit file {_DATA_FILE} is missing; using rendered font glyphs "
            "instead of handwriting (pass digit_source= a folder with MNIST idx files for real digits)",
            stacklevel=3,
        )
        return "glyphs"
    if digit_source in ("uci", "glyphs"):
        if digit_source == "uci" and not _DATA_FILE.is_file():
            raise FileNotFoundError(f"digit_source='uci': the bundled digit file {_DATA_FILE} is missing")
        return str(digit_source)
    path = Path(digit_source)
    if not path.is_dir():
        raise FileNotFoundError(
            "digit_source: expected None, 'uci', 'glyphs' or a folder with MNIST idx files, got "
            f"{str(path)!r} which is not a folder"
        )
    return str(path.resolve())


@functools.lru_cache(maxsize=16)
def _digit_bank(source: str, split: str, digit_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Digit images uint8 ``(N, digit_size, digit_size)`` and classes int64 ``(N,)`` of one split's pool."""
    if source == "uci":
        with np.load(_DATA_FILE) as data:
            images8 = torch.from_numpy(data["images"].astype(np.float32)) / 16.0  # (N, 8, 8) in [0, 1]
            labels = torch.from_numpy(data["labels"].astype(np.int64))
        # smooth upsampling to a 20x20 stroke in a 28x28 box (as MNIST); a contrast curve sharpens it
        strokes = F.interpolate(images8[:, None], size=(20, 20), mode="bicubic", align_corners=False)
        strokes = ((strokes - 0.12) / 0.55).clamp_(0, 1)
        images = F.pad(strokes, (4, 4, 4, 4))[:, 0]
        images, labels = _split_pool(images, labels, split)
    elif source == "glyphs":
        images, labels = _split_pool(*_glyph_bank(), split)
    else:
        images_u8, labels = _read_mnist(Path(source), split)
        images = images_u8.float() / 255.0
    if images.shape[-1] != digit_size:
        images = F.interpolate(
            images[:, None],
            size=(digit_size, digit_size),
            mode="bilinear",
            antialias=True,
            align_corners=False,
        )[:, 0]
    images_u8 = (images * 255.0).round().clamp(0, 255).to(torch.uint8).contiguous()
    return images_u8, labels.contiguous()


def _split_pool(images: torch.Tensor, labels: torch.Tensor, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Images with index ``i % 5 == 0`` form the test pool, the others the train pool."""
    test = torch.arange(len(labels)) % 5 == 0
    keep = test if split == "test" else ~test
    return images[keep], labels[keep]


def _glyph_bank(per_class: int = 25) -> tuple[torch.Tensor, torch.Tensor]:
    """Digits drawn from PIL's default font, random rotation, scale and stroke width: ``(N, 28, 28)``."""
    from PIL import Image, ImageDraw, ImageFont

    g = torch.Generator().manual_seed(2015)
    try:
        font = ImageFont.load_default(size=22)
    except (TypeError, OSError, ImportError):  # old Pillow or no FreeType: small bitmap font
        font = ImageFont.load_default()
    images, labels = [], []
    for variant in range(per_class):
        for digit in range(10):
            canvas = Image.new("L", (56, 56), 0)
            draw = ImageDraw.Draw(canvas)
            stroke = int(torch.randint(0, 3, (1,), generator=g))
            draw.text(
                (28, 28), str(digit), fill=255, font=font, anchor="mm", stroke_width=stroke, stroke_fill=255
            )
            angle = float(torch.empty(1).uniform_(-15, 15, generator=g)) if variant else 0.0
            canvas = canvas.rotate(angle, resample=Image.BILINEAR)
            box = canvas.getbbox() or (0, 0, 56, 56)
            glyph = canvas.crop(box)
            scale = 20.0 / max(glyph.size) * float(torch.empty(1).uniform_(0.8, 1.0, generator=g))
            w, h = max(1, round(glyph.size[0] * scale)), max(1, round(glyph.size[1] * scale))
            glyph = glyph.resize((w, h), Image.BILINEAR)
            out = Image.new("L", (_DIGIT, _DIGIT), 0)
            out.paste(glyph, ((_DIGIT - w) // 2, (_DIGIT - h) // 2))
            images.append(torch.from_numpy(np.asarray(out, dtype=np.float32) / 255.0))
            labels.append(digit)
    # digit-major order, so that _split_pool's every-fifth-image test pool holds every class (drawn in
    # variant-major order, the test pool held only 0s and 5s and the train pool none)
    labels_t = torch.tensor(labels, dtype=torch.int64)
    order = torch.argsort(labels_t, stable=True)
    return torch.stack(images)[order], labels_t[order]


def _read_mnist(folder: Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    image_name, label_name = _MNIST_FILES[split]
    images = _read_idx(_find_idx(folder, image_name))
    labels = _read_idx(_find_idx(folder, label_name))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"MNIST idx files in {folder}: expected images (N, H, W) and labels (N,), got "
            f"{tuple(images.shape)} and {tuple(labels.shape)}"
        )
    if labels.numel() and int(labels.max()) > 9:
        raise ValueError(f"MNIST idx files in {folder}: labels must be 0..9, got max {int(labels.max())}")
    return images, labels.long()


def _find_idx(folder: Path, name: str) -> Path:
    for base in (folder, folder / "MNIST" / "raw", folder / "raw"):
        for candidate in (base / name, base / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    raise FileNotFoundError(f"digit_source: no {name} or {name}.gz in {folder} (or its MNIST/raw)")


def _read_idx(path: Path) -> torch.Tensor:
    """Read an idx file (LeCun's MNIST format) of unsigned bytes."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an idx file (bad magic number)")
    if data[2] != 0x08:
        raise ValueError(f"{path}: expected unsigned-byte idx data (type 0x08), got type {data[2]:#04x}")
    ndim = data[3]
    header = 4 + 4 * ndim
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    count = math.prod(dims)
    if len(data) != header + count:
        raise ValueError(
            f"{path}: expected {header + count} bytes for dims {dims}, got {len(data)} (truncated?)"
        )
    array = np.frombuffer(data, dtype=np.uint8, count=count, offset=header).reshape(dims)
    return torch.from_numpy(array.copy())


# ---------------------------------------------------------------------- npy
def _load_npy(path: Path) -> np.ndarray:
    if not path.is_file():
        raise FileNotFoundError(f"npy_path: no such file {str(path)!r}")
    try:
        seqs = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        raise ValueError(f"npy_path: {path} is not a plain .npy array ({exc})") from exc
    if seqs.ndim != 4 or seqs.dtype != np.uint8:
        raise ValueError(
            f"npy_path: expected a uint8 array (T, N, H, W) like mnist_test_seq.npy (20, 10000, 64, 64), got "
            f"{seqs.dtype} {seqs.shape}"
        )
    return seqs


def _resize_uint8(clip: torch.Tensor, size: int) -> torch.Tensor:
    out = F.interpolate(clip.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return out.round_().clamp_(0, 255).to(torch.uint8)
