"""What the package's own ``python -m`` scripts share (the reference classifier, the generator's evaluation):
reading ``argv`` and setting torch's CPU threads from ``--threads``. The ``videoaug`` commands live in
:mod:`videoaug.cli`; these scripts are below it, so they cannot import it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import torch

__all__ = ["parse_script_args"]


def parse_script_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None
                      ) -> tuple[argparse.Namespace, list[str]]:
    """``(args, argv)``: ``argv`` (``sys.argv[1:]`` when ``None``) as a list and parsed by ``parser``; a non-zero
    ``--threads`` sets torch's CPU threads (0 or absent leaves torch's default)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if getattr(args, "threads", 0):
        torch.set_num_threads(args.threads)
    return args, argv
