"""Every user error of every command is one line on stderr naming the path and the cause, exit 2, no traceback
(issue 12 items 6 and 13)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from videos import write_video

from videoaug import cli


def _one_line(capsys, command: str) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"videoaug {command}: error: ") and "Traceback" not in captured.err
    return lines[0]


@pytest.fixture
def a_file(tmp_path) -> Path:
    path = tmp_path / "taken.txt"
    path.write_text("not a folder")
    return path


@pytest.mark.parametrize("command", ["fit", "demo"])
@pytest.mark.parametrize("sub", [False, True])
def test_out_that_is_a_file_or_below_one(command, sub, a_file, capsys):
    out = a_file / "sub" if sub else a_file
    argv = [command, "--out", str(out)] + (["--data", "moving-mnist"] if command == "fit" else [])
    assert cli.main(argv) == 2
    line = _one_line(capsys, command)
    assert str(out) in line
    assert (f"{str(a_file)!r} is a file" if sub else "is a file, expected a directory") in line


def test_sample_out_that_is_a_directory(tmp_path, capsys):
    argv = ["sample", "--checkpoint", "moving_mnist", "--input", "moving-mnist", "--out", str(tmp_path)]
    assert cli.main(argv) == 2
    assert f"--out {str(tmp_path)!r}: is a directory, expected a file name" in _one_line(capsys, "sample")


def test_prepare_dst_below_a_file(tmp_path, a_file, capsys):
    (tmp_path / "src").mkdir()
    assert cli.main(["prepare", str(tmp_path / "src"), str(a_file / "copy")]) == 2
    assert f"DST {str(a_file / 'copy')!r}: cannot be created" in _one_line(capsys, "prepare")


@pytest.mark.parametrize(
    "exc, expected",
    [
        (PermissionError(13, "Permission denied", "/data/x"), "'/data/x': Permission denied"),
        (FileExistsError(17, "File exists", "/runs/a"), "'/runs/a': File exists"),
        (OSError(28, "No space left on device", "/runs/a/m.bin"), "'/runs/a/m.bin': No space left on device"),
        (NotADirectoryError(20, "Not a directory", "/f/sub"), "'/f/sub': Not a directory"),
    ],
)
def test_file_system_errors_are_one_line_naming_the_path(exc, expected, capsys):
    def run(args):
        raise exc

    assert cli.run_command("fit", run, None) == 2
    assert _one_line(capsys, "fit") == f"videoaug fit: error: {expected}"


def test_no_traceback_from_the_console_entry_point(a_file):
    proc = subprocess.run(
        [sys.executable, "-m", "videoaug", "demo", "--out", str(a_file / "sub")],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert str(a_file) in proc.stderr


def test_fit_config_that_is_a_directory(tmp_path, capsys):
    argv = ["fit", "--data", "moving-mnist", "--out", str(tmp_path / "run"), "--config", str(tmp_path),
            "--dry-run"]
    assert cli.main(argv) == 2
    line = _one_line(capsys, "fit")
    assert f"config {str(tmp_path)!r}: is a directory, expected a TOML file" in line


def test_fit_config_not_utf8(tmp_path, capsys):
    (tmp_path / "c.toml").write_bytes(b"[train]\nsteps = 3 # caf\xe9\n")
    argv = ["fit", "--data", "moving-mnist", "--out", str(tmp_path / "run"), "--config",
            str(tmp_path / "c.toml"), "--dry-run"]
    assert cli.main(argv) == 2
    assert f"config {tmp_path / 'c.toml'}: not UTF-8 text" in _one_line(capsys, "fit")


def _folder(root: Path, good: int, bad: int) -> Path:
    for i in range(good + bad):
        (root / f"class{i % 2}").mkdir(parents=True, exist_ok=True)
        path = root / f"class{i % 2}" / f"v{i}.mp4"
        if i < good:
            write_video(path, num_frames=8)
        else:
            path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(200))  # an MP4 header, nothing behind it
    return root


def test_fit_dry_run_on_all_corrupt_videos_fails(tmp_path, capsys):
    data = _folder(tmp_path / "data", good=0, bad=4)
    argv = ["fit", "--data", str(data), "--out", str(tmp_path / "run"), "--dry-run", "--no-progress"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert f"--data {str(data)!r}: none of its 4 videos is readable" in err
    assert err.count("warning: unreadable video") == 4 and str(data / "class0" / "v0.mp4") in err


def test_fit_dry_run_reports_the_unreadable_and_counts_the_readable(tmp_path, capsys):
    data = _folder(tmp_path / "data", good=2, bad=2)
    argv = ["fit", "--data", str(data), "--out", str(tmp_path / "run"), "--dry-run", "--no-progress"]
    assert cli.main(argv) == 0
    err = capsys.readouterr().err
    assert "data: 2 readable clips of 4 (2 unreadable, skipped in training), 2 classes" in err
    assert str(data / "class0" / "v2.mp4") in err and str(data / "class1" / "v3.mp4") in err
