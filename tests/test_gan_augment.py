import json
import pickle
import warnings
from pathlib import Path

import pytest
import torch
from checks import check_transform, make_video
from torch.utils.data import DataLoader, Dataset
from torchvision import tv_tensors

from videoaug.gan import augment as augment_module
from videoaug.gan.augment import GPUAugment, RCGANAugment, clear_cache, resolve_checkpoint
from videoaug.gan.checkpoint import CheckpointError, save_generator, sha256_file
from videoaug.gan.networks import Generator, GeneratorConfig


def _tiny_generator(channels: int = 1, seed: int = 0) -> Generator:
    """A tiny generator whose zero-initialised heads are randomised, so that it is *not* the identity."""
    torch.manual_seed(seed)
    g = Generator(GeneratorConfig(channels=channels, num_classes=10, resolution=(16, 16), width=4, hidden=8,
                                  embed_dim=4, z_dim=4, frame_noise_dim=2))
    with torch.no_grad():
        for layer in (g.affine_head, g.field_head[-1], g.film):
            layer.weight.normal_(0, 0.5)
            layer.bias.normal_(0, 0.2)
    return g.eval()


def _save(path: Path, generator: Generator) -> Path:
    info = {"num_frames": 4, "steps": 0, "command": "tests/test_gan_augment.py", "data": {"kind": "none"}}
    return save_generator(path, generator, info)


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return _save(tmp_path_factory.mktemp("rcgan") / "tiny", _tiny_generator(1))


@pytest.fixture(scope="module")
def ckpt_rgb(tmp_path_factory):
    return _save(tmp_path_factory.mktemp("rcgan") / "tiny_rgb", _tiny_generator(3, seed=1))


def test_check_transform_grey_and_rgb(ckpt):
    aug = RCGANAugment(ckpt, p=0.5)
    check_transform(aug, C=1, frame_consistent=False)
    check_transform(aug, C=3, frame_consistent=False)  # the channel rule: a 1-channel generator on RGB


def test_output_is_the_generator_output_for_chosen_clips(ckpt):
    aug = RCGANAugment(ckpt, p=0.5, generator=torch.Generator().manual_seed(3))
    video = make_video(B=12, T=4, C=1, H=16, W=16, dtype=torch.float32)
    labels = torch.arange(12) % 10
    out, out_labels = aug(video, labels)
    params = aug.last_params
    assert out_labels is labels and torch.equal(params["labels"], labels)
    keep = ~params["apply"]
    assert 0 < int(params["apply"].sum()) < 12
    torch.testing.assert_close(out[keep], video[keep])  # clips not chosen are untouched
    model, _ = augment_module.load_cached(aug.checkpoint, torch.device("cpu"))
    chosen = params["apply"]
    noise = (params["z"][chosen], params["frame_noise"][chosen])
    expected = model(video[chosen], labels[chosen], noise=noise)
    torch.testing.assert_close(out[chosen], expected)
    assert not torch.allclose(out[chosen], video[chosen], atol=1e-3)  # and they did change


def test_labels_condition_the_generator(ckpt):
    aug = RCGANAugment(ckpt, p=1.0)
    clip = make_video(T=4, C=1, H=16, W=16, dtype=torch.float32)
    out3, label = aug(clip, 3)
    assert label == 3 and aug.last_params["labels"].tolist() == [3]
    import numpy as np

    assert aug(clip, np.int64(4))[1] == 4 and aug.last_params["labels"].tolist() == [4]
    assert aug(clip, torch.tensor(5))[1] == 5 and aug.last_params["labels"].tolist() == [5]
    params = dict(aug.last_params)
    out7 = aug.replay(clip, 7, params={**params, "labels": torch.tensor([7])})[0]
    nolabel = aug.replay(clip, params={**params, "labels": None})
    assert not torch.allclose(out3, out7) and not torch.allclose(out3, nolabel)
    # a dict with a Video and an integer tensor; -1 means "no label"
    batch = make_video(B=2, T=4, C=1, H=16, W=16, dtype=torch.float32)
    out = aug({"label": torch.tensor([-1, 2]), "video": tv_tensors.Video(batch)})
    assert isinstance(out["video"], tv_tensors.Video) and aug.last_params["labels"].tolist() == [-1, 2]
    # soft labels (after MixUp) are not class indices: the no-label entry is used
    aug(batch, torch.rand(2, 10))
    assert aug.last_params["labels"] is None
    with pytest.raises(ValueError, match="use_labels=False"):
        aug(batch, torch.tensor([3, 10]))
    unconditioned = RCGANAugment(ckpt, p=1.0, use_labels=False)
    unconditioned(batch, torch.tensor([3, 10]))
    assert unconditioned.last_params["labels"] is None


def test_p0_and_strength0_are_identity_p1_changes_every_clip(ckpt):
    video = make_video(B=6, T=4, C=1, H=16, W=16)
    assert torch.equal(RCGANAugment(ckpt, p=0.0)(video), video)
    assert torch.equal(RCGANAugment(ckpt, p=1.0, strength=0.0)(video), video)
    out = RCGANAugment(ckpt, p=1.0)(video)
    assert all(not torch.equal(out[i], video[i]) for i in range(6))


def test_batch_size_chunks_give_the_same_result(ckpt):
    video = make_video(B=7, T=4, C=1, H=16, W=16, dtype=torch.float32)
    big = RCGANAugment(ckpt, p=1.0, batch_size=64)
    out = big(video)
    small = RCGANAugment(ckpt, p=1.0, batch_size=3)
    torch.testing.assert_close(small.replay(video, params=big.last_params), out, atol=1e-5, rtol=0)


@pytest.mark.parametrize("size", [(16, 16), (64, 64), (112, 112), (8, 8), (24, 40), (50, 30)])
def test_any_size(ckpt, size):
    h, w = size
    video = make_video(B=2, T=5, C=1, H=h, W=w)
    out = RCGANAugment(ckpt, p=1.0)(video)
    assert out.shape == video.shape and out.dtype == torch.uint8
    assert not torch.equal(out, video)


def test_sizes_move_content_by_the_same_fraction(ckpt):
    # a smooth scene at 32x32 and 96x96: the generated variants agree after resizing to one size
    import torch.nn.functional as F

    base = make_video(B=2, T=4, C=1, H=8, W=8, dtype=torch.float32)
    small = F.interpolate(base.flatten(0, 1), size=(32, 32), mode="bilinear").unflatten(0, (2, 4))
    large = F.interpolate(base.flatten(0, 1), size=(96, 96), mode="bilinear").unflatten(0, (2, 4))
    aug = RCGANAugment(ckpt, p=1.0)
    out_small = aug(small)
    out_large = aug.replay(large, params=aug.last_params)
    down = F.interpolate(out_large.flatten(0, 1), size=(32, 32), mode="area").unflatten(0, (2, 4))
    assert (down - out_small).abs().mean() < 0.03
    assert (out_small - small).abs().mean() > 0.03  # and the change itself is larger than that


def test_channel_rule(ckpt, ckpt_rgb):
    aug = RCGANAugment(ckpt, p=1.0)
    grey = make_video(B=3, T=4, C=1, H=16, W=16, dtype=torch.float32)
    rgb = grey.expand(3, 4, 3, 16, 16).contiguous()
    out_rgb = aug(rgb)
    # a grey clip stored as RGB gets, on every channel, the variant the grey clip gets with the RGB border rule
    # (reflection instead of the checkpoint's zeros, brightness re-centred: see tests/test_gan_augment_rgb.py)
    natural = RCGANAugment(ckpt, p=1.0, padding_mode="reflection", keep_brightness=True)
    out_grey = natural.replay(grey, params=aug.last_params)
    for c in range(3):
        torch.testing.assert_close(out_rgb[:, :, c : c + 1], out_grey, atol=1e-5, rtol=0)
    # and with the checkpoint's own rule forced, exactly the default variant of the grey clip
    own = RCGANAugment(ckpt, p=1.0, padding_mode="zeros", keep_brightness=False)
    forced = own.replay(rgb, params=aug.last_params)
    for c in range(3):
        torch.testing.assert_close(forced[:, :, c : c + 1], aug.replay(grey, params=aug.last_params), atol=1e-5,
                                   rtol=0)
    # colour is kept: the same displacement on all channels of a coloured clip keeps their order per pixel
    colour = torch.stack([grey[:, :, 0] * 0.2, grey[:, :, 0] * 0.5, grey[:, :, 0] * 0.8], dim=2)
    out_colour = RCGANAugment(ckpt, p=1.0)(colour)
    assert (out_colour[:, :, 0] <= out_colour[:, :, 1] + 1e-6).all()
    assert (out_colour[:, :, 1] <= out_colour[:, :, 2] + 1e-6).all()
    # and a 3-channel generator on a grey clip returns a grey clip of the same shape
    out = RCGANAugment(ckpt_rgb, p=1.0)(grey)
    assert out.shape == grey.shape and not torch.allclose(out, grey)


def test_tampered_and_pickled_checkpoints_are_refused(ckpt, tmp_path):
    import shutil

    bad = tmp_path / "tampered"
    shutil.copytree(ckpt, bad)
    weights = bad / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-3] ^= 0x01
    weights.write_bytes(bytes(data))
    clear_cache()
    with pytest.raises(CheckpointError, match="sha256"):
        RCGANAugment(bad)

    pickled = tmp_path / "pickled"
    shutil.copytree(ckpt, pickled)
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    torch.save({"w": Evil()}, pickled / "model.safetensors")
    config = json.loads((pickled / "config.json").read_text())
    config["sha256"]["model.safetensors"] = sha256_file(pickled / "model.safetensors")
    (pickled / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="pickle"):
        RCGANAugment(pickled)
    assert not marker.exists()

    with pytest.raises(FileNotFoundError, match="searched"):
        RCGANAugment(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="VIDEOAUG_CHECKPOINTS"):
        resolve_checkpoint("no_such_shipped_name")


def test_resolve_by_name_through_env(ckpt, monkeypatch):
    monkeypatch.setenv("VIDEOAUG_CHECKPOINTS", str(ckpt.parent))
    assert resolve_checkpoint(ckpt.name) == ckpt.resolve()
    assert RCGANAugment(ckpt.name).checkpoint == ckpt.resolve()


def test_bad_arguments(ckpt):
    with pytest.raises(ValueError, match="p:"):
        RCGANAugment(ckpt, p=1.5)
    with pytest.raises(ValueError, match="strength"):
        RCGANAugment(ckpt, strength=-1)
    with pytest.raises(ValueError, match="batch_size"):
        RCGANAugment(ckpt, batch_size=0)
    with pytest.raises(ValueError, match="device"):
        RCGANAugment(ckpt, device="gpu0")
    with pytest.raises(ValueError, match=r"C in \{1, 3\}"):
        RCGANAugment(ckpt)(torch.rand(4, 2, 16, 16))


def test_model_is_cached_per_device(ckpt):
    clear_cache()
    a = RCGANAugment(ckpt)
    b = RCGANAugment(ckpt, p=1.0)
    assert len(augment_module._cache) == 1
    pickle.loads(pickle.dumps(a))(make_video(B=2, T=4, C=1, H=16, W=16))
    b(make_video(B=2, T=4, C=1, H=16, W=16))
    assert len(augment_module._cache) == 1


def test_cache_reloads_rewritten_and_survives_deleted_checkpoint(tmp_path):
    import shutil

    path = _save(tmp_path / "ck", _tiny_generator(1, seed=3))
    video = make_video(B=2, T=4, C=1, H=16, W=16, dtype=torch.float32)
    aug = RCGANAugment(path, p=1.0)
    first = aug(video)
    params = aug.last_params
    _save(path, _tiny_generator(1, seed=4))  # rewritten in place: the next call uses the new weights
    assert not torch.allclose(aug.replay(video, params=params), first)
    second = aug.replay(video, params=params)
    shutil.rmtree(path)  # deleted (a run rotating its checkpoints): the loaded generator keeps serving
    torch.testing.assert_close(aug.replay(video, params=params), second)


def test_output_usable_by_autograd(ckpt):
    video = make_video(B=2, T=4, C=1, H=16, W=16, dtype=torch.float32)
    out = RCGANAugment(ckpt, p=1.0)(video)
    assert not out.is_inference()
    w = torch.ones(1, requires_grad=True)
    (out * w).sum().backward()  # an inference tensor here would raise
    assert w.grad is not None


class _Clips(Dataset):
    def __init__(self, transform):
        self.transform = transform

    def __len__(self):
        return 8

    def __getitem__(self, i):
        clip = make_video(T=4, C=1, H=16, W=16, seed=i)
        return self.transform(clip, i % 10)


def test_dataloader_workers_run_on_cpu(ckpt):
    # device="cuda" asked for (as a user might); inside a worker it runs on the CPU, with a warning, whether
    # or not this machine has CUDA
    aug = RCGANAugment(ckpt, p=1.0, device="cuda")
    loader = DataLoader(_Clips(aug), batch_size=4, num_workers=2, timeout=120)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batches = list(loader)
    assert len(batches) == 2
    video, labels = batches[0]
    assert video.shape == (4, 4, 1, 16, 16) and video.device.type == "cpu" and labels.tolist() == [0, 1, 2, 3]
    originals = torch.stack([make_video(T=4, C=1, H=16, W=16, seed=i) for i in range(4)])
    assert not torch.equal(video, originals)


def test_worker_device_rule(ckpt, monkeypatch):
    aug = RCGANAugment(ckpt, device="cuda")
    monkeypatch.setattr(augment_module, "_in_worker", lambda: True)
    with pytest.warns(RuntimeWarning, match="DataLoader worker"):
        assert aug._compute_device(torch.zeros(1)) == torch.device("cpu")
    with pytest.raises(RuntimeError, match="training loop"):
        GPUAugment(ckpt, device="cpu")(torch.zeros(2, 4, 1, 16, 16))


def test_gpu_augment(ckpt, device):
    gpu_aug = GPUAugment(ckpt, p=1.0, device=device)
    video = make_video(B=3, T=4, C=1, H=16, W=16)
    labels = torch.tensor([1, 2, 3])
    out, out_labels = gpu_aug(video, labels)
    assert out.device.type == device.type and out_labels.device.type == device.type
    assert out.dtype == torch.uint8 and out.shape == video.shape and out_labels.tolist() == [1, 2, 3]
    assert gpu_aug(video[0]).shape == video[0].shape
    clip_out, clip_label = gpu_aug(video[0], 4)
    assert clip_out.shape == video[0].shape and int(clip_label) == 4
    assert gpu_aug.augment.last_params["labels"].tolist() == [4]
    if device.type == "cuda":  # bf16 on the GPU against float32 on the CPU: close, not equal
        cpu = RCGANAugment(ckpt, p=1.0).replay(video, labels, params=gpu_aug.augment.last_params)[0]
        assert (out.cpu().float() - cpu.float()).abs().mean() < 3


def test_bench_quick_mode():
    import argparse

    from videoaug.cli._bench import rcgan as bench_rcgan

    args = argparse.Namespace(quick=True, batch=32, repeats=1)
    records = bench_rcgan.run(args, torch.device("cpu"))
    impls = [r.impl for r in records]
    assert impls[:2] == ["RCGANAugment batched", "Generator.forward (bare)"]
    assert impls[2] == "RCGANAugment per clip, 1 thread"
    assert impls[-1] == "classical (affine+jitter)"
    assert (len(impls) == 5) == (torch.get_num_threads() > 1)
    assert all(r.clips_per_second > 0 and r.device == "cpu" for r in records)
    assert records[0].batch == 4 and records[2].batch == 1
    assert records[0].extra["checkpoint"] in ("shipped moving_mnist", "untrained stand-in")


def test_evaluate_reports_every_figure(ckpt, tmp_path):
    from videoaug.classifier import ReferenceClassifier, save_classifier
    from videoaug.gan import evaluate as ev

    n, frames, size, seed = 16, 4, 16, 5
    _, labels = ev._held_out(n, frames, size, seed)
    clf = ReferenceClassifier(in_channels=1, num_classes=10, width=2)
    with torch.no_grad():  # always predicts the first clip's class, so the real accuracy is not zero
        clf.head.bias.zero_()
        clf.head.bias[labels[0]] = 100.0
    clf_dir = save_classifier(clf, tmp_path / "clf", {"data": {"frames": frames, "size": size}})
    out_file = tmp_path / "eval.json"
    argv = ["--checkpoint", str(ckpt), "--classifier", str(clf_dir), "--out", str(out_file),
            "--num-clips", str(n), "--batch-size", "8", "--seed", str(seed)]
    assert ev.main(argv) == 0
    report = json.loads(out_file.read_text())
    res = report["results"]
    assert report["command"].endswith(" ".join(argv)) and report["checkpoint"]["step"] == 0
    assert res["identity"]["frechet_distance"] == pytest.approx(0.0, abs=1e-9)
    assert res["identity"]["class_preservation"]["ratio"] == 1.0 and res["identity"]["diversity"] == 0.0
    for name in ("rcgan", "rcgan_nolabel", "classical_standard", "classical_mild", "random_warp"):
        assert res[name]["diversity"] > 0 and res[name]["mean_abs_pixel_change"] > 0
        assert res[name]["frechet_distance"] >= 0
        assert res[name]["temporal"]["real_mean"] == pytest.approx(res["identity"]["temporal"]["real_mean"])
    assert res["identity"]["motion"] == {"mean_abs_offset": 0.0, "mean_abs_drift": 0.0}
    assert res["random_warp"]["motion"]["mean_abs_drift"] > 0.05  # the baseline moves the digit over the clip
    assert res["real_vs_real_frechet"] > 0 and res["real_pairs_diversity"] > 0
    assert "RandomResizedCrop" in res["classical_standard"]["pipeline"]
    assert "RandomAffine" in res["classical_mild"]["pipeline"]
    assert res["random_warp"]["pipeline"] == ev.RANDOM_WARP
    table = ev.format_markdown(report)
    assert table.count("\n| ") == 7 and "RCGAN, no label" in table and "random moving translation" in table
    assert f"| {res['random_warp']['motion']['mean_abs_offset']:.3f} / " in table
    del report["results"]["random_warp"]  # a report written before the row existed still formats
    for row in report["results"].values():  # ... and one written before the motion column
        if isinstance(row, dict):
            row.pop("motion", None)
    old = ev.format_markdown(report)
    assert old.count("\n| ") == 6 and old.count("| - |") == 5


def test_the_shipped_generator_is_found_as_package_data():
    from pathlib import Path

    import videoaug

    found = augment_module.resolve_checkpoint("moving_mnist")
    package_copy = Path(videoaug.__file__).parent / "_checkpoints" / "moving_mnist"
    assert found == package_copy.resolve() and (found / "model.safetensors").is_file()


@pytest.mark.slow
def test_a_built_wheel_carries_the_shipped_generator_and_finds_it(tmp_path):
    import shutil
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    src = tmp_path / "src"  # build from a copy, so the checkout gets no build/ or egg-info
    shutil.copytree(root, src, symlinks=True, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info",
                                                                            "__pycache__", ".*_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path / "dist"), str(src)], check=True)
    (wheel,) = (tmp_path / "dist").glob("videoaug-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "videoaug/_checkpoints/moving_mnist/model.safetensors" in names
    assert "videoaug/_checkpoints/moving_mnist/config.json" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = "from videoaug.gan.augment import resolve_checkpoint; print(resolve_checkpoint('moving_mnist'))"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(site)},
                         capture_output=True, text=True, check=True)
    assert Path(out.stdout.strip()).is_relative_to(site.resolve())


@pytest.mark.parametrize("labels, batched", [
    (torch.tensor([1, 2, 3]), True),       # 3 labels for 2 clips
    (torch.tensor([1.0, 2.0]), True),      # float labels
    (torch.tensor([True, False]), True),   # bool labels
    (torch.rand(3, 10), True),             # soft labels of another batch
    (4, True),                             # one int for a batch
    ([1, 2, 3], True),                     # a list of another length
    (2.5, False),                          # a float for a clip
    (torch.tensor([1, 2]), False),         # two labels for one clip
])
def test_labels_that_do_not_fit_the_batch_are_refused(ckpt, labels, batched):
    """Issue 12, item 7: they used to be ignored silently (the clip augmented unconditioned)."""
    aug = RCGANAugment(ckpt, p=1.0)
    video = make_video(B=2 if batched else None, T=4, C=1, H=16, W=16, dtype=torch.float32)
    with pytest.raises(ValueError, match="labels: expected"):
        aug(video, labels)
    RCGANAugment(ckpt, p=1.0, use_labels=False)(video, labels)  # the way out the message names


def test_labels_as_a_list_or_array_condition_the_generator(ckpt):
    import numpy as np

    aug = RCGANAugment(ckpt, p=1.0)
    video = make_video(B=2, T=4, C=1, H=16, W=16, dtype=torch.float32)
    aug(video, [3, 4])
    assert aug.last_params["labels"].tolist() == [3, 4]
    aug(video, np.array([5, 6]))
    assert aug.last_params["labels"].tolist() == [5, 6]


def test_two_threads_on_one_instance_each_get_their_own_labels(ckpt):
    """Labels are found in each call's inputs and travel in its parameters, not on ``self``: two threads
    calling the same instance at once (both inside the generator before either finishes) each condition on
    their own labels and get the output of their own parameters."""
    import threading

    barrier = threading.Barrier(2, timeout=60)
    seen: dict[str, list[int]] = {}

    class Recording(RCGANAugment):
        def _generate(self, model, clips, labels, z, e):
            barrier.wait()  # both calls have drawn their parameters and found their labels
            seen[threading.current_thread().name] = labels.tolist()
            return super()._generate(model, clips, labels, z, e)

    aug = Recording(ckpt, p=1.0)
    video = make_video(B=2, T=4, C=1, H=16, W=16, dtype=torch.float32)
    results: dict[str, tuple] = {}
    errors: list[BaseException] = []

    def run(name: str, labels: torch.Tensor) -> None:
        try:
            results[name] = (aug(video, labels)[0], labels)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, name=n, args=(n, torch.tensor(v)))
               for n, v in (("a", [1, 2]), ("b", [7, 8]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert seen == {"a": [1, 2], "b": [7, 8]}
    assert not torch.allclose(results["a"][0], results["b"][0])
