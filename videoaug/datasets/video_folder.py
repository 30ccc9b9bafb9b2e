"""``VideoFolder``: one sub-folder per class, like torchvision's ``ImageFolder``, read with decord or PyAV."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from videoaug.datasets._common import VIDEO_EXTENSIONS, ClipDataset, logger

__all__ = ["VideoFolder", "find_videos"]


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def find_videos(root: str, classes: Sequence[str], extensions: Sequence[str]) -> list[tuple[str, int]]:
    """``(absolute path, label)`` of the video files under ``root/<classes[label]>``, following symbolic links.

    Folders are walked in sorted order, hidden names skipped. Each file appears once, by its real path
    (``os.path.realpath``); its label is the class whose folder holds its real path, or the class it was
    found through when its real path is in no class folder. A folder is walked once, by real path: a link to
    ``root``, to a folder already walked (an ancestor: a loop) or into another class folder (walked as that
    class) is skipped, with a debug log line. Items are in class order, then in walk order.
    """
    exts = tuple(e.lower() for e in extensions)
    class_dirs = [os.path.realpath(os.path.join(root, c)) for c in classes]
    seen_dirs = {os.path.realpath(root)}
    seen_files: set[str] = set()
    found: list[tuple[str, int]] = []
    for label, cls in enumerate(classes):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, cls), followlinks=True):
            real_dir = os.path.realpath(dirpath)
            if real_dir in seen_dirs:  # the class folder itself links to one already walked
                dirnames[:] = []
                continue
            seen_dirs.add(real_dir)
            keep = []
            for d in sorted(d for d in dirnames if not d.startswith(".")):
                real = os.path.realpath(os.path.join(dirpath, d))
                other = next((c for i, c in enumerate(class_dirs) if i != label and _inside(real, c)), None)
                if real in seen_dirs or other is not None:
                    logger.debug("VideoFolder: not following %s -> %s (%s)", os.path.join(dirpath, d), real,
                                 "walked already: a loop" if real in seen_dirs else "another class folder")
                    continue
                keep.append(d)
            dirnames[:] = keep
            for f in sorted(filenames):
                if f.startswith(".") or not f.lower().endswith(exts):
                    continue
                path = os.path.join(dirpath, f)
                real = os.path.realpath(path)
                if real in seen_files:
                    continue
                seen_files.add(real)
                owner = next((i for i, c in enumerate(class_dirs) if _inside(real, c)), label)
                found.append((os.path.abspath(path), owner))
    found.sort(key=lambda item: item[1])  # stable: walk order within a class
    return found


class VideoFolder(ClipDataset):
    """Videos in ``root/<class>/**/<file>``; the label is the index of the class folder in sorted order.

    Each item is ``(clip, label)``: ``clip`` comes from :func:`videoaug.io.read_clip` with the sampling
    arguments given here (a uint8 tensor ``(T, C, H, W)``, or ``(K, T, C, H, W)`` with ``num_clips=K``), then
    goes through ``transform``; ``label`` goes through ``target_transform``.

    Symbolic links are followed, to files and to folders (also outside ``root``), with three rules (see
    :func:`find_videos`): each file is listed once, by its real path; its label is the class folder its real
    path lies in (the folder it was found through when it lies in none, e.g. outside ``root``); a link back to
    a folder already walked (``a/up -> ..``, a loop) or into another class folder is not followed again.

    Args:
        root: the folder holding one sub-folder per class (hidden folders are ignored).
        num_frames: frames per clip.
        sampling: ``"uniform"``, ``"random"``, ``"center"`` or ``"dense"`` (see :mod:`videoaug.io`).
        stride: frame step for ``"dense"`` / ``"center"``.
        size: short side (int) or ``(H, W)`` to resize to while decoding; ``None`` keeps the stored size.
        num_clips: clips per video (multi-view evaluation); ``None`` for one.
        pad: short-video rule for windows, ``"loop"`` or ``"repeat_last"``.
        transform: applied to the clip (e.g. a ``v2.Compose`` of videoaug transforms).
        target_transform: applied to the label.
        extensions: file endings counted as videos (case-insensitive).
        on_error: ``"raise"`` or ``"skip"`` unreadable files (see
            :class:`~videoaug.datasets._common.ClipDataset`).
        index: build (or load) the cached :class:`~videoaug.datasets._common.VideoIndex`; it finds unreadable
            files up front and saves a probe per read when ``size`` is set.
        cache_dir: where the index goes if ``root`` is read-only.
        num_workers: threads that build the index.
        progress: progress bar while indexing.
        backend: ``"auto"``, ``"decord"`` or ``"pyav"``, passed to :func:`videoaug.io.read_clip` and used to
            index (see docs/io.md).

    Example:
        >>> ds = VideoFolder("clips/", num_frames=8, sampling="random", size=112)  # doctest: +SKIP
        >>> clip, label = ds[0]  # doctest: +SKIP
    """

    def __init__(
        self,
        root: str | os.PathLike,
        num_frames: int = 16,
        sampling: str = "uniform",
        stride: int | None = None,
        size: int | tuple[int, int] | None = None,
        num_clips: int | None = None,
        pad: str = "loop",
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        extensions: Sequence[str] = VIDEO_EXTENSIONS,
        on_error: str = "raise",
        index: bool = True,
        cache_dir: str | None = None,
        num_workers: int | None = None,
        progress: bool = True,
        backend: str = "auto",
    ):
        root = os.fspath(root)
        if not os.path.isdir(root):
            raise FileNotFoundError(f"root: expected a folder with one sub-folder per class, got {root!r}")
        exts = tuple(e.lower() for e in extensions)
        classes = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
        samples = find_videos(root, classes, exts)
        if not samples:
            raise FileNotFoundError(
                f"root: expected class folders holding videos ({', '.join(exts)}) in {root!r}, found "
                f"{len(classes)} folders and no videos"
            )
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
