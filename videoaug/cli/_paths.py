"""Checks of the paths a command is given, before it does any work, so that a user error is one line naming
the path and the cause (``run_command`` turns the ``ValueError`` into exit code 2)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["check_out_dir", "check_out_file"]


def _first_existing(p: Path) -> Path:
    for q in (p, *p.parents):
        if q.exists() or q.is_symlink():
            return q
    return Path(".")


def check_out_dir(path: str | os.PathLike, option: str = "--out") -> Path:
    """``path`` as a directory a command may create and write into.

    Raises:
        ValueError: ``path`` (or a folder above it) is a file, or the nearest existing folder is not writable;
            the message names ``option``, the path and the cause.
    """
    p = Path(path).expanduser()
    q = _first_existing(p)
    if not q.is_dir():
        where = "is a file" if q == p else f"cannot be created: {str(q)!r} is a file"
        raise ValueError(f"{option} {str(p)!r}: {where}, expected a directory")
    if not os.access(q, os.W_OK | os.X_OK):
        raise ValueError(f"{option} {str(p)!r}: {str(q)!r} is not writable")
    return p


def check_out_file(path: str | os.PathLike, option: str = "--out") -> Path:
    """``path`` as a file a command may write (its folder created if need be).

    Raises:
        ValueError: ``path`` is a directory, a folder above it is a file, or nothing there is writable.
    """
    p = Path(path).expanduser()
    if p.is_dir():
        raise ValueError(f"{option} {str(p)!r}: is a directory, expected a file name")
    check_out_dir(p.parent, option=f"{option} {str(p)!r}: its folder")
    return p
