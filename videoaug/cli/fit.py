"""``videoaug fit``: train an RCGAN generator on Moving MNIST, a class-per-folder tree or UCF-101.

The command only turns options into a :class:`~videoaug.gan.config.FitConfig` (the TOML file, then the
command-line overrides) and hands it to :func:`videoaug.gan.train.fit`. ``--dry-run`` prints the resolved
config and checks the data without training.

Examples::

    videoaug fit --data moving-mnist --out runs/mm
    videoaug fit --data ~/videos --out runs/mine --steps 20000 --batch-size 32
    videoaug fit --data UCF-101 --ucf101-splits ucfTrainTestlist --fold 1 --out runs/ucf
    torchrun --nproc_per_node 4 -m videoaug fit --data ~/videos --out runs/mine   # multi-GPU
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from videoaug.cli import command_main
from videoaug.cli._paths import check_out_dir
from videoaug.gan.config import FitConfig, config_from_dict, load_config

__all__ = ["add_arguments", "run", "main", "resolve_config"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        required=True,
        help="'moving-mnist', a folder with one sub-folder per class, or a UCF-101 root "
        "(with --ucf101-splits)",
    )
    parser.add_argument("--out", required=True, help="run directory (checkpoints, samples, metrics.jsonl)")
    parser.add_argument("--config", help="TOML config (default: the shipped one for the kind of data)")
    parser.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    parser.add_argument("--ucf101-splits", help="UCF-101 split folder (classInd.txt, trainlist0N.txt)")
    parser.add_argument("--fold", type=int, help="UCF-101 split 1..3")
    parser.add_argument("--steps", type=int, help="total optimisation steps")
    parser.add_argument("--batch-size", type=int, help="clips per step (per process)")
    parser.add_argument("--lr", type=float, help="learning rate of both G and D")
    parser.add_argument("--num-frames", type=int, help="frames per clip")
    parser.add_argument("--resolution", type=int, nargs="+", metavar="N", help="H [W] clips are resized to")
    parser.add_argument("--num-workers", type=int, help="DataLoader workers")
    parser.add_argument("--device", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--sample-every", type=int)
    parser.add_argument("--checkpoint-every", type=int)
    parser.add_argument("--compile", action="store_true", help="torch.compile the networks")
    parser.add_argument("--no-amp", action="store_true", help="no bf16 autocast on CUDA")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="TABLE.KEY=VALUE",
        help="override any config value, TOML syntax, e.g. --set loss.diversity=0.2",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the resolved config, check the data, exit"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _data_kind(args: argparse.Namespace) -> str:
    if args.data == "moving-mnist":
        return "moving-mnist"
    return "ucf101" if args.ucf101_splits else "folder"


def resolve_config(args: argparse.Namespace) -> FitConfig:
    """The config of a ``fit`` invocation: file (or the resumed run's), then the command-line overrides."""
    kind = _data_kind(args)
    saved = Path(args.out) / "config.json"
    if args.resume and args.config is None and saved.is_file():
        import warnings

        from videoaug.checkpoint import read_json  # a damaged file: an error naming it

        with warnings.catch_warnings():  # a run written before [model.generator]: converted without a fuss
            warnings.simplefilter("ignore", FutureWarning)
            cfg = config_from_dict(read_json(saved), source=f"config {saved}")
    else:
        cfg = load_config(args.config, kind=kind)
    d, t = cfg.data, cfg.train
    d.kind = kind  # --data decides the kind, whatever the config file says
    if kind != "moving-mnist":
        d.path = str(Path(args.data).expanduser())
        if not Path(d.path).is_dir():
            raise FileNotFoundError(f"--data: no such folder {d.path!r}")
    if args.ucf101_splits:
        d.ucf101_splits = str(Path(args.ucf101_splits).expanduser())
    # options named as their config field: data options into [data], training options into [train]
    for target, keys in ((d, ("fold", "num_frames", "num_workers")),
                         (t, ("steps", "batch_size", "device", "seed", "threads", "sample_every", "checkpoint_every"))):
        for key in keys:
            if getattr(args, key) is not None:
                setattr(target, key, getattr(args, key))
    if args.lr is not None:
        t.lr_g = t.lr_d = args.lr
    if args.resolution:
        if len(args.resolution) > 2:
            raise ValueError(f"--resolution: expected H or H W, got {args.resolution}")
        d.resolution = [args.resolution[0], args.resolution[-1]]
    if args.compile:
        t.compile = True
    if args.no_amp:
        t.amp = False
    for item in args.set:
        cfg = _apply_set(cfg, item)
    return cfg.validate()


def command_line(args: argparse.Namespace) -> str:
    """The canonical ``videoaug fit ...`` command for ``args`` (recorded in checkpoints to reproduce them)."""
    parts = ["videoaug", "fit"]
    for key, value in vars(args).items():
        if key.startswith("_") or key in ("command", "dry_run", "no_progress") or value in (None, False, []):
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            parts.append(flag)
        elif isinstance(value, list):
            if key == "set":
                for item in value:
                    parts += [flag, item]
            else:
                parts += [flag, *map(str, value)]
        else:
            parts += [flag, str(value)]
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        parts = [
            "torchrun",
            "--nproc_per_node",
            os.environ.get("LOCAL_WORLD_SIZE", os.environ["WORLD_SIZE"]),
            "-m",
            "videoaug",
            *parts[1:],
        ]
    return " ".join(shlex.quote(p) for p in parts)


def _apply_set(cfg: FitConfig, item: str) -> FitConfig:
    import tomllib

    key, sep, value = item.partition("=")
    parts = [p.strip() for p in key.split(".")]
    if not sep or len(parts) < 2 or not all(parts):
        raise ValueError(f"--set: expected TABLE.KEY=VALUE (e.g. model.generator.width=24), got {item!r}")
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()  # a bare string
    for part in reversed(parts[1:]):
        parsed = {part: parsed}
    return config_from_dict({parts[0]: parsed}, base=cfg, source="--set")


def run(args: argparse.Namespace) -> int:
    check_out_dir(args.out)
    cfg = resolve_config(args)
    if args.dry_run:
        from videoaug.gan.data import build_dataset, check_dataset, check_readable

        print(cfg.to_json())
        dataset = build_dataset(cfg)
        targets, classes = check_dataset(dataset, args.data)
        readable, bad = check_readable(dataset)
        for path, cause in list(bad.items())[:10]:
            print(f"videoaug fit: warning: unreadable video {path}: {cause}", file=sys.stderr)
        if len(bad) > 10:
            print(f"videoaug fit: warning: and {len(bad) - 10} more unreadable videos", file=sys.stderr)
        if readable == 0:
            raise ValueError(f"--data {args.data!r}: none of its {len(dataset)} videos is readable")
        skipped = f" ({len(bad)} unreadable, skipped in training)" if bad else ""
        print(f"data: {readable} readable clips of {len(dataset)}{skipped}, {len(classes) or 'no'} classes",
              file=sys.stderr)
        return 0
    from videoaug.gan.train import TrainingInterrupted, fit

    command = command_line(args)
    try:
        out = fit(cfg, args.out, resume=args.resume, command=command, progress=not args.no_progress)
    except TrainingInterrupted as stop:  # a scheduler must see that the run did not finish: 143 for SIGTERM
        if int(os.environ.get("RANK", "0")) == 0:
            print(f"videoaug fit: {stop}", file=sys.stderr)
        return stop.exit_code
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"generator written to {out}")
    return 0


main = command_main("fit")  # ``videoaug fit ARGS`` in-process, returns the exit code


if __name__ == "__main__":  # python -m videoaug.cli.fit (or its old name)
    sys.exit(main())
