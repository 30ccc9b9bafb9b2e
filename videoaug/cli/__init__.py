"""Command line: ``videoaug fit | sample | bench | demo | prepare | gpu-check``.

One module per command in this package, each exposing ``add_arguments(parser)`` and ``run(args) -> int`` (the
work itself lives in plain functions that tests call without the CLI). This file builds the argparse parser from
:data:`COMMANDS` and owns the one path from a known exception to a one-line message and an exit code.

Adding a command is one new module here plus one line in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

__all__ = ["COMMANDS", "build_parser", "command_main", "main", "run_command"]

# command name -> (module, one-line help). Modules are imported only when their command runs or is listed in --help
COMMANDS: dict[str, tuple[str, str]] = {
    "fit": ("videoaug.cli.fit", "train an RCGAN generator on your videos"),
    "sample": ("videoaug.cli.sample", "write augmented variants of real clips from a generator checkpoint"),
    "bench": ("videoaug.cli.bench", "measure videoaug against torchvision and kornia on the same pipeline"),
    "demo": ("videoaug.cli.demo", "augment a few generated clips and write a side-by-side GIF"),
    "prepare": ("videoaug.cli.prepare", "re-encode a video tree (small, short GOP) for fast training reads"),
    "gpu-check": ("videoaug.cli.gpu_check", "run every GPU test and benchmark in one time-limited check"),
}

# what a command may raise for bad input or a failed run: a one-line message and exit code 2, not a traceback.
# OSError covers the file system's refusals (FileExistsError, NotADirectoryError, PermissionError, a full disk).
KNOWN_ERRORS = (ValueError, TypeError, OSError, RuntimeError)


def error_message(exc: BaseException) -> str:
    """One line for a known error: ``PATH: cause`` for an OSError that names its file, else ``str(exc)``."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        target = f" -> {exc.filename2!r}" if exc.filename2 is not None else ""
        return f"{exc.filename!r}{target}: {exc.strerror}"
    text = str(exc) or type(exc).__name__
    return " ".join(text.split()) if "\n" in text else text


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


def run_command(command: str, run: Callable[[argparse.Namespace], int | None], args: argparse.Namespace) -> int:
    """``run(args)``'s exit code, with Ctrl-C as 130 and a known error as one line on stderr and 2."""
    try:
        return int(run(args) or 0)
    except KeyboardInterrupt:
        print(f"videoaug {command}: interrupted", file=sys.stderr)
        return 130
    except KNOWN_ERRORS as exc:
        print(f"videoaug {command}: error: {error_message(exc)}", file=sys.stderr)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``videoaug`` console script and ``python -m videoaug``. Returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    return run_command(args.command, args._run, args)


def command_main(command: str) -> Callable[[Sequence[str] | None], int]:
    """The ``main(argv=None) -> int`` of one command's module: ``videoaug COMMAND ARGS`` in-process, ``argv``
    without the command name (``sys.argv[1:]`` when ``None``), through :func:`main` and its error path."""

    def command_entry(argv: Sequence[str] | None = None) -> int:
        return main([command, *(sys.argv[1:] if argv is None else argv)])

    command_entry.__doc__ = f"``videoaug {command} ARGS`` in-process (``argv`` without the command name)."
    command_entry.__name__ = command_entry.__qualname__ = "main"
    return command_entry
