"""``UCF101``: the UCF-101 action data set with its official three train/test splits, read with decord or PyAV.

Soomro, Zamir and Shah, "UCF101: A Dataset of 101 Human Actions Classes From Videos in The Wild", 2012.
The videos (``UCF-101/<Class>/v_<Class>_gGG_cCC.avi``) and the split archive (``ucfTrainTestlist/`` with
``classInd.txt``, ``trainlist0{1,2,3}.txt``, ``testlist0{1,2,3}.txt``) come from
https://www.crcv.ucf.edu/data/UCF101.php.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable

from videoaug.datasets._common import ClipDataset, resolve_inside

__all__ = ["UCF101"]


class UCF101(ClipDataset):
    """UCF-101 clips of one fold's train or test list, labelled 0..100 in ``classInd.txt`` order.

    A train line is ``<Class>/<file>.avi <label>`` (1-based label, checked against the folder); a test
    line has no label and takes the one of its folder. Every path must stay inside ``root``. Lines may end in
    CRLF, as the official files do. The frame counts, fps and sizes of the listed videos are indexed once (in
    parallel, with a progress bar) and cached in ``root/.videoaug_index.json`` (or ``cache_dir`` if ``root``
    is read-only); the next start reads the cache and re-probes only files whose size or modification time
    changed.

    Args:
        root: the ``UCF-101`` folder holding one folder per class.
        split_dir: the ``ucfTrainTestlist`` folder.
        fold: 1, 2 or 3.
        train: the train list if ``True``, else the test list.
        num_frames, sampling, stride, size, num_clips, pad: passed to :func:`videoaug.io.read_clip`.
        transform: applied to the clip.
        target_transform: applied to the label.
        on_error: ``"raise"`` or ``"skip"`` unreadable files.
        index, cache_dir, num_workers, progress: the cached video index
            (see :class:`~videoaug.datasets.VideoFolder`).
        backend: ``"auto"``, ``"decord"`` or ``"pyav"``, passed to :func:`videoaug.io.read_clip`.

    A video listed twice in the split file is kept once, with a ``UserWarning`` naming the file and lines.

    Raises:
        FileNotFoundError: a split file is missing.
        ValueError: a split file that is not UTF-8 text, a malformed line (an index or label that is not
            ASCII digits), an unknown class, a label that disagrees with its folder, or a path that leaves
            ``root``; the message names the file and line.

    Example:
        >>> train = UCF101("UCF-101", "ucfTrainTestlist", fold=1, train=True, num_frames=16,
        ...                sampling="random", size=128)  # doctest: +SKIP
        >>> test = UCF101("UCF-101", "ucfTrainTestlist", fold=1, train=False, num_frames=16,
        ...               sampling="uniform", num_clips=5, size=128)  # doctest: +SKIP
    """

    def __init__(
        self,
        root: str | os.PathLike,
        split_dir: str | os.PathLike,
        fold: int = 1,
        train: bool = True,
        num_frames: int = 16,
        sampling: str = "uniform",
        stride: int | None = None,
        size: int | tuple[int, int] | None = None,
        num_clips: int | None = None,
        pad: str = "loop",
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        on_error: str = "raise",
        index: bool = True,
        cache_dir: str | None = None,
        num_workers: int | None = None,
        progress: bool = True,
        backend: str = "auto",
    ):
        root, split_dir = os.fspath(root), os.fspath(split_dir)
        if fold not in (1, 2, 3):
            raise ValueError(f"fold: expected 1, 2 or 3, got {fold!r}")
        if not os.path.isdir(root):
            raise FileNotFoundError(f"root: expected the UCF-101 video folder, got {root!r}")
        classes = _read_class_index(os.path.join(split_dir, "classInd.txt"))
        self.fold, self.train = fold, train
        list_file = os.path.join(split_dir, f"{'trainlist' if train else 'testlist'}0{fold}.txt")
        samples = _read_split(list_file, root, classes, with_labels=train)
        super().__init__(
            root,
            samples,
            classes,
            num_frames=num_frames,
            sampling=sampling,
            stride=stride,
            size=size,
            num_clips=num_clips,
            pad=pad,
            transform=transform,
            target_transform=target_transform,
            on_error=on_error,
            index=index,
            cache_dir=cache_dir,
            num_workers=num_workers,
            progress=progress,
            backend=backend,
        )


_NUMBER = re.compile(r"[0-9]+")  # str.isdigit() also accepts '¹' and '٣', which int() then refuses or reads


def _lines(path: str) -> list[tuple[int, str]]:
    """The non-blank lines of a split file with their 1-based numbers; ``ValueError`` naming the file and line
    when it is not UTF-8 (the official files are ASCII)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"expected the UCF-101 split file {path!r}; it does not exist")
    with open(path, "rb") as f:
        raw = f.read().split(b"\n")
    lines = []
    for n, data in enumerate(raw, 1):
        try:
            line = data.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"{path}:{n}: expected UTF-8 text, got byte 0x{data[exc.start]:02x} at column {exc.start + 1} "
                "(re-save the file as UTF-8)"
            ) from None
        if line:
            lines.append((n, line))
    return lines


def _read_class_index(path: str) -> list[str]:
    """``classInd.txt``: lines ``<1-based index> <name>``, indices 1..N in order."""
    classes = []
    for n, line in _lines(path):
        parts = line.split()
        if len(parts) != 2 or not _NUMBER.fullmatch(parts[0]):
            raise ValueError(f"{path}:{n}: expected '<index> <class name>', got {line!r}")
        if int(parts[0]) != len(classes) + 1:
            raise ValueError(f"{path}:{n}: expected class index {len(classes) + 1}, got {parts[0]}")
        classes.append(parts[1])
    if not classes:
        raise ValueError(f"{path}: expected one class per line, found none")
    return classes


def _read_split(path: str, root: str, classes: list[str], with_labels: bool) -> list[tuple[str, int]]:
    by_name = {c: i for i, c in enumerate(classes)}
    by_lower = {c.lower(): i for i, c in enumerate(classes)}
    samples = []
    first_line: dict[str, int] = {}  # path -> the line that listed it first
    duplicates: list[str] = []
    for n, line in _lines(path):
        where = f"{os.path.basename(path)}:{n}"
        parts = line.split()
        if len(parts) != (2 if with_labels else 1):
            form = "'<Class>/<file> <label>'" if with_labels else "'<Class>/<file>'"
            raise ValueError(f"{where}: expected {form}, got {line!r}")
        rel = parts[0].replace("\\", "/")
        full = resolve_inside(root, rel, where)
        folder = rel.split("/")[0] if "/" in rel else ""
        label = by_name.get(folder, by_lower.get(folder.lower()))
        if label is None:
            raise ValueError(f"{where}: expected '<Class>/<file>' with a class of classInd.txt, got {rel!r}")
        if with_labels:
            if not _NUMBER.fullmatch(parts[1]) or not 1 <= int(parts[1]) <= len(classes):
                raise ValueError(f"{where}: expected a label in 1..{len(classes)}, got {parts[1]!r}")
            if int(parts[1]) - 1 != label:
                raise ValueError(
                    f"{where}: label {parts[1]} ({classes[int(parts[1]) - 1]}) disagrees with the folder "
                    f"{folder!r} (label {label + 1})"
                )
        if full in first_line:
            duplicates.append(f"line {n} repeats line {first_line[full]} ({rel})")
            continue
        first_line[full] = n
        samples.append((full, label))
    if duplicates:
        shown = "; ".join(duplicates[:5]) + (f"; and {len(duplicates) - 5} more" if len(duplicates) > 5 else "")
        warnings.warn(
            f"{path}: {len(duplicates)} duplicate line(s) ignored, each video is used once: {shown}",
            UserWarning,
            stacklevel=3,
        )
    if not samples:
        raise ValueError(f"{path}: expected one video per line, found none")
    return samples
