"""Command line: ``videoaug fit | sample | bench | demo | prepare``.

Each command lives in its own module, which exposes ``add_arguments(parser)`` and ``run(args) -> int``; this file
only builds the argparse parser and turns known exceptions into one-line messages and exit codes.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# command name -> (module, one-line help). Modules are imported only when their command runs or is listed in --help
COMMANDS: dict[str, tuple[str, str]] = {
    "fit": ("videoaug.gan.train_cli", "train an RCGAN generator on your videos"),
    "sample": ("videoaug.gan.sample", "write augmented variants of real clips from a generator checkpoint"),
    "bench": ("videoaug.bench", "measure videoaug against torchvision and kornia on the same pipeline"),
    "demo": ("videoaug.demo", "augment a few generated clips and write a side-by-side GIF"),
    "prepare": ("videoaug.prepare", "re-encode a video tree (small, short GOP) for fast training reads"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported (so one command's import cost or failure never
    reaches the others). ``None`` imports every command (for documentation and tests)."""
    parser = argparse.ArgumentParser(prog="videoaug", description="Video data augmentation for PyTorch.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module_name, help_text) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        if command is None or name == command:
            module = importlib.import_module(module_name)
            module.add_arguments(sp)
            sp.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``videoaug`` console script and ``python -m videoaug``. Returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("videoaug: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as exc:
        print(f"videoaug {args.command}: error: {exc}", file=sys.stderr)
        return 2
