"""``VideoFolder``: one sub-folder per class, like torchvision's ``ImageFolder``, read with decord or PyAV."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from videoaug.datasets._common import VIDEO_EXTENSIONS, ClipDataset

__all__ = ["VideoFolder"]


class VideoFolder(ClipDataset):
    """Videos in ``root/<class>/**/<file>``; the label is the index of the class folder in sorted order.

    Each item is ``(clip, label)``: ``clip`` comes from :func:`videoaug.io.read_clip` with the sampling
    arguments given here (a uint8 tensor ``(T, C, H, W)``, or ``(K, T, C, H, W)`` with ``num_clips=K``), then
    goes through ``transform``; ``label`` goes through ``target_transform``.

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
        samples = []
        for label, cls in enumerate(classes):
            for dirpath, dirnames, filenames in os.walk(os.path.join(root, cls), followlinks=True):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                samples.extend(
                    (os.path.abspath(os.path.join(dirpath, f)), label)
                    for f in sorted(filenames)
                    if f.lower().endswith(exts) and not f.startswith(".")
                )
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
