"""The command line, in-process through ``main([...])``."""

import sys

import pytest

from videoaug import cli


def test_every_command_is_listed_and_has_options(capsys):
    parser = cli.build_parser()
    for name in cli.COMMANDS:
        with pytest.raises(SystemExit) as exc:
            parser.parse_args([name, "--help"])
        assert exc.value.code == 0
        assert name in capsys.readouterr().out


def test_missing_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([])
    assert exc.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_only_the_chosen_command_module_is_imported(monkeypatch, capsys):
    for name, (module, _) in cli.COMMANDS.items():
        if name != "bench":
            monkeypatch.setitem(sys.modules, module, None)  # importing it would raise ImportError
    with pytest.raises(SystemExit) as exc:
        cli.main(["bench", "--help"])
    assert exc.value.code == 0
    assert "--device" in capsys.readouterr().out


def test_known_errors_become_one_line_messages(capsys):
    assert cli.main(["bench", "--device", "cuda:99" if not _cuda() else "nonsense"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("videoaug bench: error:")


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.parametrize(
    "old, new",
    [
        ("videoaug.bench", "videoaug.cli.bench"),
        ("videoaug.demo", "videoaug.cli.demo"),
        ("videoaug.gan.train_cli", "videoaug.cli.fit"),
        ("videoaug.gan.sample", "videoaug.cli.sample"),
        ("videoaug.prepare", "videoaug.cli.prepare"),
    ],
)
def test_old_module_paths_are_the_moved_modules(old, new):
    import importlib

    assert importlib.import_module(old) is importlib.import_module(new)


def test_every_command_module_lives_in_the_cli_package():
    assert all(module.startswith("videoaug.cli.") for module, _ in cli.COMMANDS.values())


def test_python_dash_m_of_an_old_module_name_runs_its_command():
    import subprocess

    out = subprocess.run([sys.executable, "-m", "videoaug.gan.train_cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("usage: videoaug fit")


@pytest.mark.parametrize("command", ["bench", "demo", "fit", "sample"])
def test_a_command_module_main_goes_through_the_one_cli_main(command, monkeypatch):
    import importlib

    seen = []
    monkeypatch.setattr(cli, "main", lambda argv: seen.append(list(argv)) or 7)
    module = importlib.import_module(f"videoaug.cli.{command}")
    assert module.main(["--x", "1"]) == 7
    monkeypatch.setattr(sys, "argv", ["prog", "--y"])
    assert module.main() == 7
    assert seen == [[command, "--x", "1"], [command, "--y"]]
    assert module.main is not cli.command_main(command)  # one entry per module, built by the one factory
    assert module.main.__doc__ == cli.command_main(command).__doc__


def test_fit_options_reach_their_config_fields(tmp_path):
    from videoaug.cli.fit import resolve_config

    values = {"fold": 2, "num-frames": 8, "num-workers": 1, "steps": 3, "batch-size": 4, "lr": 0.001,
              "device": "cpu", "seed": 5, "threads": 1, "sample-every": 9, "checkpoint-every": 11}
    argv = ["fit", "--data", "moving-mnist", "--out", str(tmp_path / "r")]
    for key, value in values.items():
        argv += [f"--{key}", str(value)]
    cfg = resolve_config(cli.build_parser("fit").parse_args(argv))
    got = {"fold": cfg.data.fold, "num-frames": cfg.data.num_frames, "num-workers": cfg.data.num_workers,
           **{k: getattr(cfg.train, k.replace("-", "_")) for k in values if k not in ("fold", "num-frames",
                                                                                    "num-workers", "lr")},
           "lr": cfg.train.lr_g}
    assert got == values and cfg.train.lr_d == 0.001
    unset = resolve_config(cli.build_parser("fit").parse_args(argv[:5]))
    assert unset.train.steps != 3 and unset.train.lr_g != 0.001  # an option not given leaves the default
