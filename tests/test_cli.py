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
