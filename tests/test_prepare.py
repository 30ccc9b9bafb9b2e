"""videoaug prepare: same relative paths, resized short-GOP copies that read the same frames, resumable runs,
failures reported, the source tree untouched, UCF-101 split files still resolving."""

from __future__ import annotations

import json
import os

import av
import pytest
from videos import frame_ids, make_ucf_tree, truncate, write_video

from videoaug import prepare as prep
from videoaug.cli import main
from videoaug.datasets import UCF101, VideoFolder
from videoaug.io import clip_indices, probe, read_clip

SETTINGS = prep.Settings(short_side=16, gop=4, crf=12)  # 32 x 48 -> 16 x 24; near-lossless for the frame ids


def snapshot(root):
    return {
        os.path.relpath(os.path.join(d, f), root): os.stat(os.path.join(d, f)).st_mtime_ns
        for d, _, files in os.walk(root)
        for f in files
    }


@pytest.fixture
def tree(tmp_path):
    src = tmp_path / "src"
    for folder in ("a", "b/deep"):
        (src / folder).mkdir(parents=True)
    write_video(src / "a" / "one.mp4", num_frames=30, height=32, width=48)
    write_video(src / "a" / "two.avi", num_frames=21, height=32, width=48, fps=30)
    write_video(src / "b" / "deep" / "three.mkv", num_frames=12, height=48, width=32)
    truncate(write_video(tmp_path / "whole.mp4", num_frames=30), src / "b" / "broken.mp4", 0.4)
    (src / "b" / "notes.txt").write_text("not a video, not listed")
    return src, tmp_path / "dst"


def key_frames_and_reordering(path):
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        packets = [p for p in c.demux(s) if p.size]
        keys = [i for i, p in enumerate(packets) if p.is_keyframe]
        reordered = any(p.pts != p.dts for p in packets)
        return keys, reordered, c.format.name


class TestPrepare:
    def test_copy_keeps_paths_and_frames_and_never_touches_the_source(self, tree):
        src, dst = tree
        before = snapshot(src)
        summary = prep.prepare(src, dst, SETTINGS, progress=False)
        assert snapshot(src) == before  # nothing written, nothing changed under SRC
        assert (summary.done, summary.skipped) == (3, 0)
        assert [rel for rel, _ in summary.failed] == [os.path.join("b", "broken.mp4")]
        assert "not readable" in summary.failed[0][1] or "Error" in summary.failed[0][1]
        files = sorted(snapshot(dst))
        expected = [prep.MANIFEST, "a/one.mp4", "a/two.avi", "b/deep/three.mkv"]
        assert files == sorted(os.path.join(*f.split("/")) for f in expected)  # no temporary file left
        for rel, (n, fps, size) in {
            "a/one.mp4": (30, 25, (16, 24)),
            "a/two.avi": (21, 30, (16, 24)),
            "b/deep/three.mkv": (12, 25, (24, 16)),
        }.items():
            out = dst / rel
            info = probe(out)
            assert (info.num_frames, info.fps, (info.height, info.width)) == (n, fps, size), rel
            for backend in ("decord", "pyav"):
                clip = read_clip(out, 6, "uniform", backend=backend)
                assert frame_ids(clip).tolist() == clip_indices(n, 6)[0].tolist(), (rel, backend)
            keys, reordered, fmt = key_frames_and_reordering(out)
            # a key frame at least every 4 frames (x264 may add more at scene changes), no B-frames, MP4
            assert keys[0] == 0 and all(b - a <= 4 for a, b in zip(keys, [*keys[1:], n], strict=True)), keys
            assert not reordered and "mp4" in fmt
        ds = VideoFolder(dst, num_frames=4, progress=False)
        assert [os.path.relpath(p, dst) for p, _ in ds.samples] == [
            os.path.join(*r.split("/")) for r in ("a/one.mp4", "a/two.avi", "b/deep/three.mkv")
        ]

    def test_rerun_skips_verified_files_and_redoes_changed_ones(self, tree):
        src, dst = tree
        prep.prepare(src, dst, SETTINGS, progress=False)
        stamps = snapshot(dst)
        again = prep.prepare(src, dst, SETTINGS, progress=False)
        assert (again.done, again.skipped, len(again.failed)) == (0, 3, 1)
        assert {k: v for k, v in snapshot(dst).items() if k != prep.MANIFEST} == {
            k: v for k, v in stamps.items() if k != prep.MANIFEST
        }
        write_video(src / "a" / "one.mp4", num_frames=10, height=32, width=48)  # the source changed
        os.remove(dst / prep.MANIFEST)  # and the record is lost: outputs are verified again, not redone
        third = prep.prepare(src, dst, SETTINGS, progress=False)
        assert (third.done, third.skipped) == (1, 2) and probe(dst / "a" / "one.mp4").num_frames == 10
        fourth = prep.prepare(src, dst, prep.Settings(short_side=16, gop=8, crf=12), progress=False)
        assert (fourth.done, fourth.skipped) == (3, 0)  # other settings: every file again
        manifest = json.loads((dst / prep.MANIFEST).read_text())["files"]
        assert manifest[os.path.join("a", "two.avi")]["settings"]["gop"] == 8

    def test_an_output_that_fails_verification_is_never_renamed_into_place(self, tree, monkeypatch):
        src, dst = tree
        short = write_video(src.parent / "short.mp4", num_frames=27, height=32, width=48)
        real = prep._encode
        monkeypatch.setattr(prep, "_encode", lambda s, tmp, settings: real(str(short), tmp, settings))
        summary = prep.prepare(src, dst, SETTINGS, progress=False)
        assert summary.done == 0 and len(summary.failed) == 4
        causes = dict(summary.failed)
        assert "the output has 27 frames, the source 30" in causes[os.path.join("a", "one.mp4")]
        assert [f for f in snapshot(dst) if f != prep.MANIFEST] == []  # and no temporary file either

    @pytest.mark.parametrize("settings", [prep.Settings(short_side=16, gop=4, codec="mpeg4", crf=8),
                                          prep.Settings(short_side=None, gop=4, crf=12, tune=None)])
    def test_other_codec_and_no_tune_keep_the_frames(self, tmp_path, settings):
        (tmp_path / "src" / "c").mkdir(parents=True)
        write_video(tmp_path / "src" / "c" / "v.avi", num_frames=20, height=32, width=48)
        summary = prep.prepare(tmp_path / "src", tmp_path / "dst", settings, progress=False)
        assert summary.done == 1 and not summary.failed
        out = tmp_path / "dst" / "c" / "v.avi"
        assert probe(out, backend="pyav").codec == ("mpeg4" if settings.codec == "mpeg4" else "h264")
        clip = read_clip(out, 20, "dense")
        assert clip.shape[-2:] == ((16, 24) if settings.short_side else (32, 48))
        assert frame_ids(clip).tolist() == list(range(20))

    def test_stale_part_file_of_an_interrupted_run_is_replaced(self, tree):
        src, dst = tree
        (dst / "a").mkdir(parents=True)
        (dst / "a" / ".one.mp4.999.part").write_bytes(b"half a file")
        prep.prepare(src, dst, SETTINGS, progress=False)
        assert sorted(os.listdir(dst / "a")) == ["one.mp4", "two.avi"]

    def test_refuses_to_write_inside_the_source(self, tree):
        src, _ = tree
        with pytest.raises(ValueError, match="lies inside SRC"):
            prep.prepare(src, src / "prepared", SETTINGS, progress=False)
        with pytest.raises(ValueError, match="lies inside SRC"):
            prep.prepare(src, src, SETTINGS, progress=False)
        link = src.parent / "link"
        link.symlink_to(src / "a", target_is_directory=True)
        with pytest.raises(ValueError, match="lies inside SRC"):
            prep.prepare(src, link, SETTINGS, progress=False)
        assert main(["prepare", str(src), str(src / "x"), "--quiet"]) == 2
        assert not (src / "x").exists()

    @pytest.mark.parametrize(
        "kwargs, match",
        [
            (dict(short_side=1), "short_side: expected"),
            (dict(gop=0), "gop: expected"),
            (dict(codec="vp9"), "codec: expected one of"),
            (dict(crf=60), "crf: expected"),
        ],
    )
    def test_bad_settings(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            prep.Settings(**kwargs)

    def test_empty_source(self, tmp_path):
        (tmp_path / "e").mkdir()
        with pytest.raises(FileNotFoundError, match="found none"):
            prep.prepare(tmp_path / "e", tmp_path / "out", SETTINGS, progress=False)

    def test_two_forked_worker_processes(self, tree):
        src, dst = tree
        summary = prep.prepare(src, dst, SETTINGS, workers=2, progress=False, start_method="fork")
        assert (summary.done, [rel for rel, _ in summary.failed]) == (3, [os.path.join("b", "broken.mp4")])
        assert frame_ids(read_clip(dst / "a" / "two.avi", 21, "dense")).tolist() == list(range(21))
        again = prep.prepare(src, dst, SETTINGS, workers=2, progress=False, start_method="fork")
        assert (again.done, again.skipped) == (0, 3)

    @pytest.mark.slow  # spawned workers import torch: tens of seconds on a loaded machine
    def test_cli_two_worker_processes_summary_and_exit_code(self, tree, capsys):
        src, dst = tree
        args = ["prepare", str(src), str(dst), "--short-side", "16", "--gop", "4", "--crf", "12", "--workers", "2"]
        assert main([*args, "--quiet"]) == 1  # one file failed
        out = capsys.readouterr()
        assert "3 prepared, 0 already done, 1 failed" in out.out and "FAILED b/broken.mp4" in out.out
        assert "FAILED b/broken.mp4" in out.err  # reported as it happens, too
        assert probe(dst / "a" / "two.avi").num_frames == 21
        os.remove(src / "b" / "broken.mp4")
        assert main([*args, "--quiet", "--workers", "1"]) == 0
        assert "0 prepared, 3 already done, 0 failed" in capsys.readouterr().out

    def test_cli_in_one_process(self, tree, capsys):
        src, dst = tree
        args = ["prepare", str(src), str(dst), "--short-side", "16", "--gop", "4", "--crf", "12", "--workers", "1"]
        assert main([*args, "--quiet"]) == 1
        out = capsys.readouterr()
        assert "3 prepared, 0 already done, 1 failed" in out.out and "FAILED b/broken.mp4" in out.err
        assert probe(dst / "b" / "deep" / "three.mkv").height == 24


def test_ucf101_reads_the_prepared_copy_with_the_official_split_files(tmp_path):
    videos, splits = make_ucf_tree(tmp_path / "ucf", groups=2, clips=1, num_frames=12)
    summary = prep.prepare(videos, tmp_path / "UCF-101-16", SETTINGS, progress=False)
    assert summary.done == 6 and not summary.failed
    for train in (True, False):
        original = UCF101(videos, splits, fold=1, train=train, num_frames=4, progress=False)
        copy = UCF101(tmp_path / "UCF-101-16", splits, fold=1, train=train, num_frames=4, progress=False)
        assert [os.path.relpath(p, videos) for p, _ in original.samples] == [
            os.path.relpath(p, tmp_path / "UCF-101-16") for p, _ in copy.samples
        ]  # the same .avi names
        assert copy.targets == original.targets
        for i in range(len(copy)):
            a, b = original[i][0], copy[i][0]
            assert b.shape[-2:] == (16, 16) and frame_ids(b).tolist() == frame_ids(a).tolist()
