"""VideoFolder and UCF101: sample lists, labels, splits, path checks, the cached index, the error policy."""

from __future__ import annotations

import logging
import os

import pytest
import torch
from torch.utils.data import DataLoader
from videos import UCF_CLASSES, frame_ids, make_ucf_tree, truncate, write_video

from videoaug.datasets import UCF101, VideoFolder, _common
from videoaug.datasets._common import VideoIndex, resolve_inside
from videoaug.io import VideoReadError, clip_indices
from videoaug.io import _read as vio  # where read_clip looks probe up


@pytest.fixture(scope="module")
def ucf(tmp_path_factory):
    return make_ucf_tree(tmp_path_factory.mktemp("ucf"), groups=3, clips=2)


def split_lines(split_dir, name):
    return [line for line in (split_dir / name).read_text().splitlines() if line.strip()]


class TestUCF101:
    @pytest.mark.parametrize("fold", [1, 2, 3])
    @pytest.mark.parametrize("train", [True, False])
    def test_length_equals_split_file(self, ucf, fold, train):
        videos, splits = ucf
        ds = UCF101(videos, splits, fold=fold, train=train, num_frames=4, progress=False)
        lines = split_lines(splits, f"{'trainlist' if train else 'testlist'}0{fold}.txt")
        assert len(ds) == len(lines) == (12 if train else 6)
        assert [os.path.relpath(p, videos) for p, _ in ds.samples] == [line.split()[0] for line in lines]

    def test_labels(self, ucf):
        videos, splits = ucf
        train = UCF101(videos, splits, fold=1, train=True, num_frames=4, progress=False)
        test = UCF101(videos, splits, fold=1, train=False, num_frames=4, progress=False)
        assert train.classes == list(UCF_CLASSES) and test.class_to_idx["HandstandPushups"] == 2
        for line, label in zip(split_lines(splits, "trainlist01.txt"), train.targets, strict=True):
            assert int(line.split()[1]) - 1 == label
        for (path, label), line in zip(test.samples, split_lines(splits, "testlist01.txt"), strict=True):
            assert UCF_CLASSES[label] == line.split("/")[0] and os.path.basename(path) in line

    def test_items_are_the_listed_videos(self, ucf):
        videos, splits = ucf
        ds = UCF101(videos, splits, fold=2, train=False, num_frames=4, progress=False)
        for i in range(len(ds)):
            clip, label = ds[i]
            n = ds.video_info(i).num_frames
            assert n == 20 + label + int(ds.samples[i][0][-6:-4])  # as make_ucf_tree wrote it
            assert clip.shape == (4, 3, 32, 32) and clip.dtype == torch.uint8
            assert frame_ids(clip).tolist() == clip_indices(n, 4, "uniform")[0].tolist()

    def test_sampling_size_clips_transform(self, ucf):
        videos, splits = ucf
        ds = UCF101(videos, splits, num_frames=3, sampling="center", stride=2, size=16, num_clips=2,
                    transform=lambda c: c.flip(-1), target_transform=lambda y: y + 100, progress=False)
        clip, label = ds[0]
        assert clip.shape == (2, 3, 3, 16, 16) and label == ds.targets[0] + 100
        n = ds.video_info(0).num_frames
        expected = clip_indices(n, 3, "center", stride=2, num_clips=2)
        assert frame_ids(clip.flip(-1)).tolist() == expected.tolist()

    def test_index_saves_the_probe(self, ucf, monkeypatch):
        videos, splits = ucf
        ds = UCF101(videos, splits, num_frames=2, size=16, progress=False)
        monkeypatch.setattr(vio, "probe", lambda *a, **k: pytest.fail("read_clip probed despite the index"))
        assert ds[0][0].shape == (2, 3, 16, 16)

    @pytest.mark.parametrize(
        "line, match",
        [
            ("../../etc/passwd 1", "leaves the data root"),
            ("ApplyEyeMakeup/../../../secret.avi 1", "leaves the data root"),
            ("/etc/passwd 1", "absolute path"),
            ("Basketball/v_Basketball_g01_c01.avi 1", r"label 1 \(ApplyEyeMakeup\) disagrees with the"),
            ("Juggling/v_Juggling_g01_c01.avi 1", "with a class of classInd.txt"),
            ("ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi", "expected '<Class>/<file> <label>'"),
            ("ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi 7", r"expected a label in 1..3"),
        ],
    )
    def test_bad_split_lines(self, ucf, tmp_path, line, match):
        videos, splits = ucf
        (tmp_path / "classInd.txt").write_text((splits / "classInd.txt").read_text())
        good = split_lines(splits, "trainlist01.txt")[0]
        (tmp_path / "trainlist01.txt").write_text(f"{good}\n{line}\n")
        with pytest.raises(ValueError, match=match) as info:
            UCF101(videos, tmp_path, fold=1, train=True, progress=False)
        assert "trainlist01.txt:2" in str(info.value)

    @pytest.mark.parametrize("label", ["\u00b9", "\u0663", "1\u00b2"])  # superscript one, Arabic-Indic three
    def test_non_ascii_digit_label_names_file_and_line(self, ucf, tmp_path, label):
        videos, splits = ucf
        (tmp_path / "classInd.txt").write_text((splits / "classInd.txt").read_text())
        good = split_lines(splits, "trainlist01.txt")[0]
        (tmp_path / "trainlist01.txt").write_text(f"{good}\nApplyEyeMakeup/v_ApplyEyeMakeup_g02_c01.avi {label}\n",
                                                  encoding="utf-8")
        with pytest.raises(ValueError, match=r"trainlist01.txt:2: expected a label in 1..3"):
            UCF101(videos, tmp_path, fold=1, train=True, progress=False)

    def test_non_ascii_digit_class_index_names_file_and_line(self, ucf, tmp_path):
        videos, splits = ucf
        (tmp_path / "classInd.txt").write_text("1 ApplyEyeMakeup\n\u00b2 Basketball\n", encoding="utf-8")
        with pytest.raises(ValueError, match=r"classInd.txt:2: expected '<index> <class name>'"):
            UCF101(videos, tmp_path, fold=1, train=True, progress=False)

    @pytest.mark.parametrize("name", ["classInd.txt", "trainlist01.txt"])
    def test_latin1_split_file_names_file_and_line(self, ucf, tmp_path, name):
        videos, splits = ucf
        for f in ("classInd.txt", "trainlist01.txt"):
            (tmp_path / f).write_text((splits / f).read_text())
        with open(tmp_path / name, "a", encoding="latin-1") as f:
            f.write("4 Caf\u00e9\n" if name == "classInd.txt" else "Caf\u00e9/v_Caf\u00e9_g01_c01.avi 4\n")
        n = len(split_lines(splits, name)) + 1
        with pytest.raises(ValueError, match=rf"{name}:{n}: expected UTF-8 text, got byte 0xe9") as info:
            UCF101(videos, tmp_path, fold=1, train=True, progress=False)
        assert not isinstance(info.value, UnicodeDecodeError)

    def test_duplicate_split_lines_warn_and_count_once(self, ucf, tmp_path):
        videos, splits = ucf
        (tmp_path / "classInd.txt").write_text((splits / "classInd.txt").read_text())
        lines = split_lines(splits, "trainlist01.txt")
        (tmp_path / "trainlist01.txt").write_text("\n".join([*lines, lines[0], lines[3], lines[0]]) + "\n")
        with pytest.warns(UserWarning, match=r"trainlist01.txt: 3 duplicate line\(s\) ignored.*line 13 repeats line 1"):
            ds = UCF101(videos, tmp_path, fold=1, train=True, progress=False)
        assert len(ds) == len(lines) == 12
        assert [os.path.relpath(p, videos) for p, _ in ds.samples] == [line.split()[0] for line in lines]

    def test_test_line_escaping_root(self, ucf, tmp_path):
        videos, splits = ucf
        (tmp_path / "classInd.txt").write_text((splits / "classInd.txt").read_text())
        (tmp_path / "testlist01.txt").write_text("ApplyEyeMakeup/../../../../etc/passwd\n")
        with pytest.raises(ValueError, match="testlist01.txt:1: path .* leaves the data root"):
            UCF101(videos, tmp_path, fold=1, train=False, progress=False)

    def test_bad_arguments(self, ucf, tmp_path):
        videos, splits = ucf
        with pytest.raises(ValueError, match="fold: expected 1, 2 or 3, got 4"):
            UCF101(videos, splits, fold=4)
        with pytest.raises(FileNotFoundError, match="classInd.txt"):
            UCF101(videos, tmp_path)
        with pytest.raises(ValueError, match="on_error: expected one of"):
            UCF101(videos, splits, on_error="ignore", progress=False)


def test_resolve_inside(tmp_path):
    assert resolve_inside(str(tmp_path), "a/b.avi") == str(tmp_path / "a" / "b.avi")
    assert resolve_inside(str(tmp_path), "a/../b.avi") == str(tmp_path / "b.avi")
    for bad in ["..", "a/../..", "../x", "/etc/passwd", "", "."]:
        with pytest.raises(ValueError):
            resolve_inside(str(tmp_path), bad)


class TestIndexCache:
    def test_second_start_reads_cache_and_changes_invalidate(self, tmp_path, monkeypatch):
        videos, splits = make_ucf_tree(tmp_path, groups=3, clips=1, num_frames=10)
        first = UCF101(videos, splits, fold=1, progress=False)
        cache = videos / VideoIndex.FILENAME
        assert first.index.probed == 6 and first.index.cache_file == str(cache) and cache.is_file()
        stamp = cache.stat().st_mtime_ns

        real_probe = _common.probe
        monkeypatch.setattr(_common, "probe", lambda *a, **k: pytest.fail("probed although cached"))
        second = UCF101(videos, splits, fold=1, progress=False)
        assert second.index.probed == 0 and cache.stat().st_mtime_ns == stamp
        assert second.index.entries == first.index.entries

        calls = []
        monkeypatch.setattr(_common, "probe", lambda p, **k: calls.append(p) or real_probe(p, **k))
        changed = first.samples[0][0]
        write_video(changed, num_frames=33)
        os.utime(changed, ns=(1, 1))  # a different mtime even on coarse clocks
        third = UCF101(videos, splits, fold=1, progress=False)
        assert third.index.probed == 1 and calls == [changed]
        assert third.video_info(0).num_frames == 33 and frame_ids(third[0][0]).tolist()[-1] > 20

        test = UCF101(videos, splits, fold=1, train=False, progress=False)  # other files: probes only those
        assert test.index.probed == 3
        assert UCF101(videos, splits, fold=2, train=True, progress=False).index.probed == 0

    def test_read_only_root_uses_cache_dir(self, tmp_path, monkeypatch):
        videos, splits = make_ucf_tree(tmp_path / "data", groups=3, clips=1, num_frames=10)
        real = _common._writable
        monkeypatch.setattr(_common, "_writable", lambda d: not str(d).startswith(str(videos)) and real(d))
        ds = UCF101(videos, splits, cache_dir=str(tmp_path / "cache"), progress=False)
        assert not (videos / VideoIndex.FILENAME).exists()
        assert ds.index.cache_file.startswith(str(tmp_path / "cache"))
        again = UCF101(videos, splits, cache_dir=str(tmp_path / "cache"), progress=False)
        assert again.index.probed == 0

    def test_corrupt_cache_is_rebuilt(self, tmp_path):
        videos, splits = make_ucf_tree(tmp_path, groups=3, clips=1, num_frames=10)
        (videos / VideoIndex.FILENAME).write_text("{not json")
        assert UCF101(videos, splits, progress=False).index.probed == 6

    def test_progress_bar(self, tmp_path, capsys):
        videos, splits = make_ucf_tree(tmp_path, groups=3, clips=1, num_frames=10)
        UCF101(videos, splits, progress=True, num_workers=2)
        assert "indexing videos" in capsys.readouterr().err

    @pytest.mark.parametrize(
        "corrupt, probed",
        [
            (lambda data, rel: data.update(entries=[1, 2]), 6),  # entries not an object
            (lambda data, rel: data["entries"].update({rel: 5}), 1),  # an entry not an object
            (lambda data, rel: data["entries"][rel].update(info="abcde"), 1),  # info a string
            (lambda data, rel: data["entries"][rel].update(info=[10, 25.0]), 1),  # info too short
            (lambda data, rel: data["entries"][rel].update(info=["10", 25.0, 32, 32, "mpeg4"]), 1),
            (lambda data, rel: data["entries"][rel].update(size="big"), 1),
            (lambda data, rel: data["entries"][rel].pop("info"), 1),  # neither info nor error
            (lambda data, rel: data["entries"][rel].update(error=5, backend="auto") or
             data["entries"][rel].pop("info"), 1),
        ],
    )
    def test_cache_of_the_wrong_shape_is_reprobed(self, tmp_path, corrupt, probed):
        import json

        videos, splits = make_ucf_tree(tmp_path, groups=3, clips=1, num_frames=10)
        first = UCF101(videos, splits, progress=False)
        cache = videos / VideoIndex.FILENAME
        data = json.loads(cache.read_text())
        rel = min(data["entries"])
        corrupt(data, rel)
        cache.write_text(json.dumps(data))  # valid JSON, wrong shape
        again = UCF101(videos, splits, progress=False)
        assert again.index.probed == probed
        assert again.index.entries == first.index.entries
        assert UCF101(videos, splits, progress=False).index.probed == 0  # and the cache was rewritten whole


@pytest.fixture
def folder(tmp_path):
    """Six files in two classes: three readable, three broken (truncated MP4, zero-byte AVI, text as AVI)."""
    root = tmp_path / "clips"
    (root / "a").mkdir(parents=True)
    (root / "b" / "sub").mkdir(parents=True)
    (root / ".hidden").mkdir()
    write_video(root / "a" / "good1.mp4", num_frames=12)
    truncate(write_video(tmp_path / "whole.mp4", num_frames=30), root / "a" / "trunc.mp4", 0.5)
    (root / "b" / "empty.avi").write_bytes(b"")
    write_video(root / "b" / "good2.avi", num_frames=14)
    write_video(root / "b" / "sub" / "good3.AVI", num_frames=16)
    (root / "b" / "text.avi").write_text("not a video\n" * 40)
    (root / "b" / "notes.txt").write_text("ignored")
    write_video(root / ".hidden" / "x.mp4", num_frames=5)
    return root


class TestVideoFolder:
    def test_samples_and_classes(self, folder):
        ds = VideoFolder(folder, num_frames=4, progress=False)
        assert ds.classes == ["a", "b"] and ds.class_to_idx == {"a": 0, "b": 1}
        names = [os.path.relpath(p, folder) for p, _ in ds.samples]
        assert names == ["a/good1.mp4", "a/trunc.mp4", "b/empty.avi", "b/good2.avi", "b/text.avi",
                         "b/sub/good3.AVI"]
        assert ds.targets == [0, 0, 1, 1, 1, 1]
        assert isinstance(ds.index["b/empty.avi"], str) and ds.index["a/good1.mp4"].num_frames == 12

    def test_raise_policy(self, folder):
        ds = VideoFolder(folder, num_frames=4, progress=False)
        assert frame_ids(ds[0][0]).tolist() == [1, 4, 7, 10]
        for i, cause in [(1, "not a readable video"), (2, "empty"), (4, "not a readable video")]:
            with pytest.raises(VideoReadError, match=cause) as info:
                ds[i]
            assert info.value.path == ds.samples[i][0]

    def test_skip_logs_once_and_counts(self, folder, caplog):
        ds = VideoFolder(folder, num_frames=4, on_error="skip", index=False)
        with caplog.at_level(logging.WARNING, logger="videoaug.datasets"):
            clip, label = ds[1]  # trunc.mp4 and empty.avi are skipped, good2.avi comes back
            assert label == 1 and frame_ids(clip).tolist() == clip_indices(14, 4)[0].tolist()
            ds[1]
            ds[2]
        assert ds.num_skipped == 5
        warned = [r.getMessage() for r in caplog.records if r.name == "videoaug.datasets"]
        assert len(warned) == 2 and "trunc.mp4" in warned[0] and "empty.avi" in warned[1]
        assert set(ds.bad_files) == {ds.samples[1][0], ds.samples[2][0]}

    def test_skip_with_nothing_readable(self, tmp_path):
        (tmp_path / "c").mkdir()
        for k in range(3):
            (tmp_path / "c" / f"{k}.avi").write_text("junk")
        ds = VideoFolder(tmp_path, on_error="skip", progress=False)
        with pytest.raises(VideoReadError, match="no readable item in 3 tries"):
            ds[0]

    @pytest.mark.parametrize("index", [True, False])
    def test_dataloader_two_workers_skip(self, folder, index):
        ds = VideoFolder(folder, num_frames=4, on_error="skip", index=index, progress=False)
        loader = DataLoader(ds, batch_size=2, num_workers=2, timeout=60)
        clips, labels = zip(*loader, strict=True)
        clips, labels = torch.cat(clips), torch.cat(labels)
        assert clips.shape == (6, 4, 3, 32, 32)
        # bad items 1, 2 are replaced by good2 (14 frames), item 4 by good3 (16 frames)
        assert labels.tolist() == [0, 1, 1, 1, 1, 1]
        lengths = [12, 14, 14, 14, 16, 16]
        assert frame_ids(clips).tolist() == [clip_indices(n, 4)[0].tolist() for n in lengths]
        assert ds.num_skipped == 4  # 1 -> 2 -> 3 makes two skips, 2 -> 3 one, 4 -> 5 one: seen across workers

    @pytest.mark.parametrize("backend", ["pyav", "decord"])
    def test_backend_passes_through_to_reads_and_index_in_workers(self, folder, backend, monkeypatch):
        other = "_read_decord" if backend == "pyav" else "_read_pyav_frames"
        monkeypatch.setattr(vio, other, lambda *a: pytest.fail(f"{other} used with backend={backend!r}"))
        monkeypatch.setattr(vio, "_probe_decord" if backend == "pyav" else "_probe_pyav", None)  # never probed
        vio._probe_cached.cache_clear()
        ds = VideoFolder(folder, num_frames=4, on_error="skip", progress=False, backend=backend)
        assert ds.clip_args["backend"] == backend and ds.index.backend == backend
        assert isinstance(ds.index["a/trunc.mp4"], str) and ds.index["b/good2.avi"].num_frames == 14
        loader = DataLoader(ds, batch_size=3, num_workers=2, timeout=60)
        clips, labels = (torch.cat(x) for x in zip(*loader, strict=True))
        lengths = [12, 14, 14, 14, 16, 16]
        assert frame_ids(clips).tolist() == [clip_indices(n, 4)[0].tolist() for n in lengths]
        with pytest.raises(ValueError, match="backend: expected one of"):
            VideoFolder(folder, backend="opencv", progress=False)

    def test_unreadable_entries_are_probed_again_by_another_backend(self, folder):
        assert VideoFolder(folder, backend="decord", progress=False).index.probed == 6
        assert VideoFolder(folder, backend="decord", progress=False).index.probed == 0
        again = VideoFolder(folder, backend="pyav", progress=False).index
        assert again.probed == 3 and isinstance(again["b/text.avi"], str)  # the three broken files only
        assert VideoFolder(folder, backend="pyav", progress=False).index.probed == 0

    def test_ucf101_backend(self, monkeypatch, tmp_path):
        videos, splits = make_ucf_tree(tmp_path, groups=2, clips=1, classes=UCF_CLASSES[:2])
        monkeypatch.setattr(vio, "_read_decord", lambda *a: pytest.fail("decord used with backend='pyav'"))
        ds = UCF101(videos, splits, fold=1, train=False, num_frames=4, backend="pyav", progress=False)
        n = ds.video_info(0).num_frames
        assert frame_ids(ds[0][0]).tolist() == clip_indices(n, 4)[0].tolist()

    def test_dataloader_two_workers_raise(self, folder):
        ds = VideoFolder(folder, num_frames=4, on_error="raise", index=False)
        loader = DataLoader(ds, batch_size=2, num_workers=2, timeout=60)
        with pytest.raises(VideoReadError, match="trunc.mp4"):
            list(loader)

    def test_empty_root(self, tmp_path):
        with pytest.raises(FileNotFoundError, match="no videos"):
            VideoFolder(tmp_path)
        with pytest.raises(FileNotFoundError, match="expected a folder"):
            VideoFolder(tmp_path / "missing")


class TestVideoFolderLinks:
    """Symbolic links: each file once by real path, labelled by the class folder it lies in, loops cut."""

    @staticmethod
    def tree(tmp_path):
        root = tmp_path / "root"
        for rel in ("a/1.mp4", "a/2.mp4", "b/3.mp4", "b/sub/4.mp4"):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(b"")  # index=False: never read
        return root

    @staticmethod
    def listed(root):
        ds = VideoFolder(root, index=False, progress=False)
        return sorted((os.path.relpath(p, root), label) for p, label in ds.samples), ds

    def test_loop_to_the_root_lists_each_file_once_with_its_own_label(self, tmp_path):
        root = self.tree(tmp_path)
        os.symlink("..", root / "a" / "up")  # a/up/a/up/... and a/up/b/... : a loop through every class
        samples, ds = self.listed(root)
        assert samples == [("a/1.mp4", 0), ("a/2.mp4", 0), ("b/3.mp4", 1), ("b/sub/4.mp4", 1)]
        assert len(ds) == 4 and ds.targets == [0, 0, 1, 1]

    def test_loops_inside_a_class_and_links_between_classes(self, tmp_path):
        root = self.tree(tmp_path)
        os.symlink(".", root / "b" / "sub" / "self")  # a folder linking to itself
        os.symlink("../..", root / "b" / "sub" / "grand")  # to root, from two levels down
        os.symlink("../b/sub", root / "a" / "b_sub")  # into another class: b's videos stay b's
        os.symlink("../b/3.mp4", root / "a" / "3_again.mp4")  # a second name for a file of b
        samples, _ = self.listed(root)
        labels = {}
        for rel, label in samples:
            labels.setdefault(os.path.realpath(root / rel), []).append(label)
        assert len(samples) == 4 and all(len(v) == 1 for v in labels.values())  # each real file once
        assert labels[os.path.realpath(root / "b/3.mp4")] == [1]
        assert labels[os.path.realpath(root / "b/sub/4.mp4")] == [1]

    def test_links_outside_root_are_followed(self, tmp_path):
        root = self.tree(tmp_path)
        extra = tmp_path / "elsewhere"
        extra.mkdir()
        (extra / "5.mp4").write_bytes(b"")
        os.symlink(extra, root / "a" / "more")
        os.symlink(extra, root / "a" / "more_again")  # the same folder twice: once
        samples, _ = self.listed(root)
        assert ("a/more/5.mp4", 0) in samples and len(samples) == 5


def test_dataset_pickles(folder):
    import pickle

    ds = VideoFolder(folder, num_frames=4, on_error="skip", progress=False)
    back = pickle.loads(pickle.dumps(ds))
    assert back.samples == ds.samples and back.index.entries == ds.index.entries
    assert frame_ids(back[0][0]).tolist() == frame_ids(ds[0][0]).tolist()
