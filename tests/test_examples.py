"""The examples run end to end with tiny arguments: quickstart, Moving MNIST ablation, UCF-101 classifier."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_example(name: str):
    """Import ``examples/<name>.py`` as a module (the examples folder is not a package)."""
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# -- quickstart ----------------------------------------------------------------------------------------------
def test_quickstart_runs_and_gives_model_input_and_soft_labels():
    videos, soft = load_example("quickstart").main()
    assert videos.shape == (8, 3, 16, 112, 112) and videos.dtype == torch.float32
    assert soft.shape == (8, 10)
    torch.testing.assert_close(soft.sum(1), torch.ones(8))
    # normalised: no longer in [0, 1]
    assert videos.min() < 0 and videos.max() > 1


def test_quickstart_is_short():
    code = [ln for ln in (EXAMPLES / "quickstart.py").read_text().splitlines()
            if ln.strip() and not ln.strip().startswith("#")]
    assert len(code) <= 30, f"the quickstart should stay about 20 lines of code, got {len(code)}"


# -- a tiny generator checkpoint with random (non-identity) weights, for the RCGAN paths ---------------------
@pytest.fixture(scope="module")
def tiny_rcgan(tmp_path_factory):
    from videoaug.gan.checkpoint import save_generator
    from videoaug.gan.networks import Generator, GeneratorConfig

    torch.manual_seed(0)
    gen = Generator(GeneratorConfig(channels=1, num_classes=10, resolution=(16, 16), width=4, hidden=8,
                                    embed_dim=4, z_dim=4, frame_noise_dim=2))
    with torch.no_grad():  # an untrained generator is the identity: give it some random output
        for p in gen.parameters():
            p.add_(0.3 * torch.randn_like(p))
    info = {"num_frames": 4, "steps": 0, "command": "tests/test_examples.py (random weights)",
            "data": {"name": "none"}}
    return save_generator(tmp_path_factory.mktemp("rcgan") / "tiny", gen, info)


# -- ablation ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ablation():
    return load_example("ablation_moving_mnist")


def _quick_args(ablation, *extra):
    return ablation.parse_args(["--quick", *extra])


def test_few_shot_subset_has_n_per_class_and_is_nested(ablation):
    args = _quick_args(ablation)
    clips3, labels3 = ablation.few_shot_subset(3, 0, args)
    clips1, labels1 = ablation.few_shot_subset(1, 0, args)
    assert clips3.shape == (30, args.frames, 1, args.size, args.size) and clips3.dtype == torch.uint8
    assert torch.bincount(labels3, minlength=10).tolist() == [3] * 10
    assert torch.bincount(labels1, minlength=10).tolist() == [1] * 10
    # nested: every N=1 clip is one of the N=3 clips of the same seed
    for c in clips1:
        assert any(torch.equal(c, d) for d in clips3)
    other, _ = ablation.few_shot_subset(1, 1, args)
    assert not torch.equal(other, clips1), "another seed should draw other clips"


def test_pipelines_do_what_their_setting_says(ablation):
    args = _quick_args(ablation)
    clips, labels = ablation.few_shot_subset(1, 0, args)
    torch.manual_seed(0)
    x, y = ablation.build_pipeline("none", None, args)(clips, labels)
    assert x.dtype == torch.float32 and torch.equal(y, labels)
    torch.testing.assert_close(x, clips.float() / 255)
    x, y = ablation.build_pipeline("classical", None, args)(clips, labels)
    assert x.shape == clips.shape and torch.equal(y, labels) and not torch.allclose(x, clips.float() / 255)
    torch.manual_seed(0)
    static = ablation.build_pipeline("classical", None, args)(clips, labels)[0]
    torch.manual_seed(0)
    dyn, y = ablation.build_pipeline("classical-dynamic", None, args)(clips, labels)
    assert dyn.shape == clips.shape and torch.equal(y, labels) and not torch.equal(dyn, static)
    x, y = ablation.build_pipeline("classical+mix", None, args)(clips, labels)
    assert y.shape == (10, 10)
    torch.testing.assert_close(y.sum(1), torch.ones(10))
    with pytest.raises(ValueError, match="RCGAN"):
        ablation.build_pipeline("all", None, args)
    with pytest.raises(ValueError, match="RCGAN"):
        ablation.build_pipeline("classical+warp-mix", None, args)


def test_verdicts_compare_measured_means(ablation):
    summary = {"10": {"none": {"mean": 0.5}, "classical": {"mean": 0.6}, "classical+mix": {"mean": 0.58},
                      "classical+rcgan": {"mean": 0.65}, "all": {"mean": 0.61}}}
    lines = ablation.verdicts(summary, "10")
    assert "classical vs none: +10.0 points (target > +0.0): met" in lines[0]
    assert "classical+mix vs classical: -2.0 points" in lines[1] and lines[1].endswith("NOT met")
    assert lines[3].endswith("+3.0 points (target > +2.0): met")


def test_ablation_quick_writes_json_and_markdown(ablation, tmp_path):
    out_json, out_md = tmp_path / "results.json", tmp_path / "results.md"
    out_md.write_text("old page\n<!-- notes -->\nhand-written notes stay\n")
    argv = ["--quick", "--settings", "none", "classical", "classical+mix", "--seeds", "0", "1",
            "--json", str(out_json), "--markdown", str(out_md)]
    assert ablation.main(argv) == 0
    report = json.loads(out_json.read_text())
    assert len(report["runs"]) == 3 * 2
    assert all(0.0 <= r["accuracy"] <= 1.0 for r in report["runs"])
    s = report["summary"]["2"]
    assert set(s) == {"none", "classical", "classical+mix"}
    for v in s.values():
        assert len(v["accuracies"]) == 2 and v["std"] >= 0
        assert v["mean"] == pytest.approx(sum(v["accuracies"]) / 2)
    assert report["command"].startswith("python examples/ablation_moving_mnist.py --quick")
    assert report["device"].startswith("cpu") and report["wall_seconds"] > 0
    md = out_md.read_text()
    assert "| classical+mix |" in md and report["command"] in md and "±" in md
    assert "old page" not in md and md.rstrip().endswith("hand-written notes stay")


def test_ablation_runs_are_reproducible(ablation):
    args = _quick_args(ablation)
    train = ablation.few_shot_subset(2, 0, args)
    test = ablation.test_set(args)
    pipe = ablation.build_pipeline("classical+mix", None, args)
    a = ablation.train_and_test(train, test, pipe, 0, args)
    b = ablation.train_and_test(train, test, pipe, 0, args)
    assert a == b


def test_setting_grammar(ablation):
    assert ablation.parse_setting("classical+rcgan") == [("rcgan", 1.0), ("classical", 0.0)]
    assert ablation.parse_setting("classical+warp-mix*1.5") == [("warp-mix", 1.5), ("classical", 0.0)]
    assert ablation.parse_setting("mix+rcgan*2+classical") == [("rcgan", 2.0), ("classical", 0.0), ("mix", 0.0)]
    assert ablation.parse_setting("warp-translation") == [("warp-translation", 1.0)]
    assert ablation.parse_setting("classical+warp-translation-drift*0.5") == [("warp-translation-drift", 0.5),
                                                                             ("classical", 0.0)]
    # stacked: the random warp runs first, so the generator sees what it moved
    assert ablation.parse_setting("rcgan+classical+warp-translation-drift*1.5") == [
        ("warp-translation-drift", 1.5), ("rcgan", 1.0), ("classical", 0.0)]
    assert ablation._family("classical+warp-translation+rcgan [a]") == "rcgan"
    assert ablation.split_warp("mix-dynamic") == ("mix", "dynamic") and ablation.split_warp("mix-spin") is None
    for bad, match in [("classical+warp-spiral", "unknown step"), ("warp-mix-spin", "unknown step"),
                       ("rcgan*x", "amount"), ("rcgan*9", "amount"),
                       ("warp-mix+warp-field", "at most one random warp"), ("classical+classical", "twice"),
                       ("classical*2", "unknown step")]:
        with pytest.raises(ValueError, match=match):
            ablation.parse_setting(bad)
    with pytest.raises(SystemExit):  # argparse refuses it with the same message
        ablation.parse_args(["--settings", "classical+warp-spiral"])
    assert ablation.needs_generator("classical+warp-field") and not ablation.needs_generator("classical+mix")


def test_random_warp_is_matched_to_the_generators_displacement(ablation):
    args = _quick_args(ablation, "--size", "32")
    clips, labels = ablation.few_shot_subset(2, 0, args)
    ref = ablation.GeneratorRef("moving_mnist", clips, labels)
    assert ref.displacement > 0.5  # pixels: the shipped generator moves its clips
    for makeup in ablation.WARP_MAKEUPS:
        for magnitude in (1.0, 2.0):
            warp = ref.matched_warp(makeup, magnitude, p=1.0)
            params = warp.sample_params(ablation._shape(4000, (32, 32)))
            d = ablation.warp_displacement(params["shift"], params["affine"], params["warp"], (32, 32))
            assert d == pytest.approx(magnitude * ref.displacement, rel=0.05), makeup
    t = ref.matched_warp("translation", 1.0, p=1.0)
    assert t.affine == 0 and t.displacement == 0 and t.translate[0] > 0 and t.drift == 0 and not t.dynamic
    # moving warps (the generator's shift moves over the frames): matched over the frames of the clips
    frames = clips.shape[1]
    for motion in ablation.WARP_MOTIONS:
        warp = ref.matched_warp(f"translation-{motion}", 1.0, p=1.0)
        assert (warp.drift == 1.0) == (motion == "drift") and warp.dynamic == (motion == "dynamic")
        params = warp.sample_params(ablation._shape(4000, (32, 32), frames))
        assert params["shift"].shape == (4000, frames, 2)
        assert not torch.allclose(params["shift"][:, 0], params["shift"][:, -1])  # it moves
        d = ablation.warp_displacement(params["shift"], params["affine"], params["warp"], (32, 32))
        assert d == pytest.approx(ref.displacement, rel=0.05), motion
    f = ref.matched_warp("field", 1.0, p=1.0)
    assert f.affine == 0 and f.translate == (0.0, 0.0) and f.displacement > 0
    x, y = ablation.build_pipeline("classical+warp-mix*1.5", ref, args)(clips, labels)
    assert x.shape == clips.shape and x.dtype == torch.float32 and torch.equal(y, labels)
    x, y = ablation.build_pipeline("classical+warp-translation+rcgan", ref, args)(clips, labels)
    assert x.shape == clips.shape and x.dtype == torch.float32 and torch.equal(y, labels)
    # the shipped generator saw 10,000 labelled clips: the report must not call that fair
    assert ref.provenance(2, 0)["protocol"] == "more labelled data than the classifier"


def test_a_stacked_warp_runs_before_the_generator(ablation, monkeypatch):
    import videoaug.gan.augment

    calls = []

    class Recorder:
        def __init__(self, name):
            self.name = name

        def __call__(self, clips, labels=None):
            calls.append(self.name)
            out = clips + 1
            return out if labels is None else (out, labels)

    class FakeRef:
        path = "unused"

        def matched_warp(self, name, magnitude, p):
            assert (name, magnitude, p) == ("translation-drift", 1.5, 0.5)
            return Recorder("warp")

    monkeypatch.setattr(videoaug.gan.augment, "RCGANAugment", lambda *a, **k: Recorder("rcgan"))
    args = _quick_args(ablation)
    clips = torch.zeros(2, 4, 1, 8, 8, dtype=torch.uint8)
    x, _ = ablation.build_pipeline("rcgan+warp-translation-drift*1.5", FakeRef(), args)(clips, torch.zeros(2))
    assert calls == ["warp", "rcgan"] and torch.all(x == 2 / 255)  # each ran once, on the other's output


def test_provenance_names_the_protocol(ablation, tmp_path):
    import shutil

    from videoaug.gan.augment import resolve_checkpoint

    args = _quick_args(ablation)
    clips, labels = ablation.few_shot_subset(1, 0, args)
    for data, expected in [({"kind": "moving-mnist", "digit_source": "glyphs"}, "transfer"),
                           ({"kind": "moving-mnist", "per_class": 1, "seed": 1003, "digit_source": ""}, "same data"),
                           ({"kind": "moving-mnist", "per_class": 1, "seed": 1004, "digit_source": ""}, "more"),
                           ({"kind": "moving-mnist", "per_class": 2, "seed": 1003, "digit_source": ""}, "more")]:
        folder = tmp_path / f"g{len(list(tmp_path.iterdir()))}"
        shutil.copytree(resolve_checkpoint("moving_mnist"), folder)
        config = json.loads((folder / "config.json").read_text())
        config["data"] = data
        (folder / "config.json").write_text(json.dumps(config))
        ref = ablation.GeneratorRef(str(folder), clips, labels)
        assert ref.provenance(1, 3)["protocol"].startswith(expected), data


def test_paired_differences_and_best_against_best(ablation):
    runs = []
    for seed, (c, w1, w2, g) in enumerate([(0.70, 0.72, 0.71, 0.75), (0.60, 0.61, 0.64, 0.66),
                                           (0.80, 0.80, 0.79, 0.83)]):
        for setting, acc in [("classical", c), ("classical+warp-mix", w1), ("classical+warp-translation", w2),
                             ("classical+rcgan [a]", g)]:
            runs.append({"n_per_class": 10, "setting": setting, "seed": seed, "accuracy": acc})
    d = ablation.paired(runs, 10, "classical+rcgan [a]", "classical")
    assert d["diffs"] == pytest.approx([5.0, 6.0, 3.0]) and d["positive"] == 3
    assert d["mean"] == pytest.approx(14 / 3) and d["std"] == pytest.approx(1.5275, abs=1e-3)
    report = {"runs": runs, "summary": ablation.summarise(runs)}
    lines = ablation.comparisons(report)
    best = [x for x in lines if x.startswith("N=10: best generator")]
    # best warp by mean: translation (0.7133) over mix (0.71); generator minus it: +4.0, +2.0, +4.0
    assert len(best) == 1 and "(classical+warp-translation)" in best[0]
    assert "+3.3 ± 1.2 points, positive on 3 of 3 seeds" in best[0] and best[0].endswith(": met)")
    assert ablation.paired(runs, 50, "classical", "classical+warp-mix") is None


def test_ablation_quick_with_generator_and_warp_settings_merges_tagged_runs(ablation, tmp_path):
    common = ["--quick", "--seeds", "0", "1", "--markdown", ""]
    first = tmp_path / "a.json"
    assert ablation.main([*common, "--settings", "classical", "classical+warp-mix", "classical+rcgan",
                          "--tag", "shipped", "--json", str(first)]) == 0
    out_json, out_md = tmp_path / "all.json", tmp_path / "results.md"
    assert ablation.main([*common[:-2], "--merge-only", "--add-to", str(first), "--json", str(out_json),
                          "--markdown", str(out_md)]) == 0
    report = json.loads(out_json.read_text())
    assert set(report["summary"]["2"]) == {"classical", "classical+warp-mix [shipped]",
                                          "classical+rcgan [shipped]"}
    assert len(report["generators"]) == 2 and report["generators"][0]["tag"] == "shipped"
    md = out_md.read_text()
    assert "| classical+rcgan [shipped] |" in md and "best generator (classical+rcgan [shipped])" in md
    assert "more labelled data than the classifier" in md and "mean displacement" in md


# -- UCF-101 classifier --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ucf():
    return load_example("ucf101_classifier")


@pytest.fixture(scope="module")
def ucf_tree(tmp_path_factory):
    from videos import make_ucf_tree

    return make_ucf_tree(tmp_path_factory.mktemp("ucf"), groups=3, clips=2, num_frames=12)


def _ucf_argv(tree, out, *extra):
    videos, splits = tree
    return ["--root", str(videos), "--splits", str(splits), "--out", str(out), "--model", "small",
            "--frames", "4", "--stride", "1", "--resize", "40", "48", "--crop", "32", "--batch-size", "4",
            "--eval-clips", "2", "--workers", "0", "--lr", "0.01", "--no-progress", *extra]


def _check_results(results, epochs, augment):
    assert results["augment"] == augment and results["model"] == "small" and results["num_classes"] == 3
    assert results["device"] == "cpu" and results["amp"] is False
    assert [h["epoch"] for h in results["history"]] == list(range(1, epochs + 1))
    for h in results["history"]:
        assert math.isfinite(h["train_loss"]) and h["train_loss"] > 0
        assert 0.0 <= h["train_acc"] <= 1.0 and 0.0 <= h["test_clip_acc"] <= 1.0
        assert h["lr"] > 0
    # fold 1 tests on group 1: 3 classes x 2 clips, so accuracies are multiples of 1/6
    for acc in (results["test_clip_acc"], results["test_video_acc"]):
        assert 0.0 <= acc <= 1.0 and (acc * 6) == pytest.approx(round(acc * 6))
    assert results["eval_clips"] == 2 and results["wall_seconds"] > 0


@pytest.mark.parametrize("augment, workers", [("classical", "2"), ("mix", "0")])
def test_ucf101_classifier_trains_one_epoch_and_writes_results(ucf, ucf_tree, tmp_path, augment, workers):
    out = tmp_path / "run"
    argv = _ucf_argv(ucf_tree, out, "--epochs", "1", "--augment", augment, "--workers", workers)
    assert ucf.main(argv) == 0
    results = json.loads((out / "results.json").read_text())
    _check_results(results, 1, augment)
    assert results["command"].startswith("python examples/ucf101_classifier.py --root")
    assert (out / "last.safetensors").is_file() and (out / "last.json").is_file()


def test_ucf101_classifier_resumed_run_equals_uninterrupted_run(ucf, ucf_tree, tmp_path):
    from safetensors.torch import load_file

    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert ucf.main(_ucf_argv(ucf_tree, whole, "--epochs", "2", "--augment", "classical")) == 0
    argv = _ucf_argv(ucf_tree, parts, "--epochs", "2", "--augment", "classical", "--resume")
    assert ucf.main([*argv, "--stop-after", "1"]) == 0
    first = json.loads((parts / "last.json").read_text())
    assert first["state"]["epoch"] == 1 and first["state"]["step"] == 3  # 12 training videos, batch 4
    assert not (parts / "results.json").exists()
    assert ucf.main(argv) == 0
    results = json.loads((parts / "results.json").read_text())
    _check_results(results, 2, "classical")
    assert results["history"][0] == first["state"]["history"][0]  # epoch 1 was not run again
    a, b = load_file(str(whole / "last.safetensors")), load_file(str(parts / "last.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        if k.startswith(("model/", "optim/")):
            assert torch.equal(a[k], b[k]), f"{k} differs between the resumed and the uninterrupted run"
    uninterrupted = json.loads((whole / "results.json").read_text())
    assert results["test_video_acc"] == uninterrupted["test_video_acc"]


def _torchrun(argv, nproc=2):
    """The example under ``torchrun`` with ``nproc`` gloo processes on the CPU; returns the completed process."""
    root = Path(__file__).resolve().parents[1]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc),
           str(root / "examples" / "ucf101_classifier.py"), *argv, "--device", "cpu"]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(root))
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_ucf101_classifier_distributed_sampler_splits_each_epoch(ucf, ucf_tree):
    args = ucf.build_parser().parse_args(_ucf_argv(ucf_tree, "unused", "--batch-size", "2"))
    shares = []
    for rank in (0, 1):
        dist = ucf.Dist()
        dist.world, dist.rank = 2, rank
        train_loader = ucf.build_loaders(args, dist)[0]
        sampler = train_loader.sampler
        assert isinstance(sampler, torch.utils.data.DistributedSampler) and sampler.seed == args.seed
        epochs = []
        for epoch in (0, 1):
            sampler.set_epoch(epoch)
            epochs.append(list(sampler))
        assert epochs[0] != epochs[1]  # reshuffled per epoch
        shares.append(epochs)
    for epoch in (0, 1):  # the two processes see disjoint halves of the 12 training videos
        assert not set(shares[0][epoch]) & set(shares[1][epoch])
        assert len(shares[0][epoch]) == len(shares[1][epoch]) == 6


def test_ucf101_classifier_under_torchrun_with_two_gloo_processes(ucf_tree, tmp_path):
    from safetensors.torch import load_file

    out = tmp_path / "ddp"
    proc = _torchrun(_ucf_argv(ucf_tree, out, "--epochs", "1", "--augment", "classical", "--batch-size", "2"))
    state = json.loads((out / "last.json").read_text())["state"]
    # 12 training videos, 2 processes x 2 clips: 3 steps per epoch, each process on its 6
    assert state["epoch"] == 1 and state["step"] == 3
    assert proc.stdout.count("epoch 1/1:") == 1 and proc.stdout.count("video accuracy") == 1  # rank 0 alone
    results = json.loads((out / "results.json").read_text())
    _check_results(results, 1, "classical")
    assert results["world_size"] == 2 and results["command"].startswith("torchrun --nproc_per_node 2 examples/")
    weights = load_file(str(out / "last.safetensors"))
    assert any(k.startswith("model/") for k in weights)
    assert not any(k.startswith("model/module.") for k in weights)  # the model, not its DDP wrapper


@pytest.mark.slow
def test_ucf101_classifier_under_torchrun_resumes(ucf_tree, tmp_path):
    out = tmp_path / "ddp"
    argv = _ucf_argv(ucf_tree, out, "--epochs", "2", "--augment", "classical", "--batch-size", "2", "--resume")
    _torchrun([*argv, "--stop-after", "1"])
    state = json.loads((out / "last.json").read_text())["state"]
    assert state["epoch"] == 1 and state["step"] == 3 and not (out / "results.json").exists()
    proc = _torchrun(argv)
    assert "resumed from" in proc.stdout and proc.stdout.count("epoch 2/2:") == 1
    results = json.loads((out / "results.json").read_text())
    _check_results(results, 2, "classical")
    assert results["history"][0] == state["history"][0]  # epoch 1 was not run again


def test_ucf101_classifier_rcgan_needs_a_checkpoint(ucf, ucf_tree, tmp_path):
    with pytest.raises(ValueError, match="--rcgan-checkpoint"):
        ucf.main(_ucf_argv(ucf_tree, tmp_path / "run", "--augment", "rcgan"))


def test_ucf101_checkpoint_round_trip_restores_model_and_optimizer(ucf, tmp_path):
    torch.manual_seed(0)
    model = ucf.build_model("small", 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.rand(2, 3, 4, 16, 16)).sum().backward()
    opt.step()
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    state = {"epoch": 3, "step": 7, "history": [{"epoch": 1}]}
    ucf.save_checkpoint(tmp_path, model, opt, scaler, state)
    torch.manual_seed(1)
    model2 = ucf.build_model("small", 3)
    opt2 = torch.optim.SGD(model2.parameters(), lr=0.5, momentum=0.9)
    assert ucf.load_checkpoint(tmp_path, model2, opt2, scaler) == state
    for (k, a), b in zip(model.state_dict().items(), model2.state_dict().values(), strict=True):
        assert torch.equal(a, b), k
    s1, s2 = opt.state_dict(), opt2.state_dict()
    assert s2["param_groups"] == s1["param_groups"]
    for i, buf in s1["state"].items():
        assert torch.equal(buf["momentum_buffer"], s2["state"][i]["momentum_buffer"])


@pytest.mark.parametrize("name", ["r3d_18", "r2plus1d_18", "mc3_18"])
def test_ucf101_models_take_cthw_clips(ucf, name):
    model = ucf.build_model(name, 5).eval()
    with torch.no_grad():
        assert model(torch.rand(1, 3, 4, 32, 32)).shape == (1, 5)


def test_ucf101_pretrained_from_local_file_reinitialises_a_mismatched_head(ucf, tmp_path):
    from safetensors.torch import save_file

    source = ucf.build_model("small", 7)
    save_file({k: v.contiguous() for k, v in source.state_dict().items()}, str(tmp_path / "w.safetensors"))
    model = ucf.build_model("small", 3, pretrained=str(tmp_path / "w.safetensors"))
    for k, v in model.state_dict().items():
        if not k.startswith("net.head."):
            assert torch.equal(v, source.state_dict()[k]), k
    torch.save({"bogus.weight": torch.zeros(1)}, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match="does not"):
        ucf.build_model("small", 3, pretrained=str(tmp_path / "bad.pth"))
    with pytest.raises(FileNotFoundError):
        ucf.build_model("small", 3, pretrained=str(tmp_path / "missing.safetensors"))


def test_cosine_lr_warms_up_then_decays_to_zero(ucf):
    lrs = [ucf.cosine_lr(s, 100, 10, 0.1) for s in range(101)]
    assert lrs[0] == pytest.approx(0.01) and lrs[9] == pytest.approx(0.1)
    assert all(a >= b for a, b in zip(lrs[9:], lrs[10:], strict=False))
    assert lrs[55] == pytest.approx(0.05) and lrs[100] == pytest.approx(0.0)


def test_ablation_quick_with_rcgan_settings(ablation, tiny_rcgan, tmp_path):
    argv = ["--quick", "--settings", "classical+rcgan", "all", "--rcgan-checkpoint", str(tiny_rcgan),
            "--json", str(tmp_path / "r.json"), "--markdown", str(tmp_path / "r.md")]
    assert ablation.main(argv) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert set(report["summary"]["2"]) == {"classical+rcgan", "all"}
    (g,) = report["generators"]  # one seed, one N: one generator record
    assert g["checkpoint"] == str(tiny_rcgan) and g["steps"] == 0 and g["n_per_class"] == 2
    assert f"`{tiny_rcgan}`: " in (tmp_path / "r.md").read_text()
    assert "; trained 0 steps" in (tmp_path / "r.md").read_text()


def test_ablation_rcgan_pipeline_changes_clips_and_keeps_labels(ablation, tiny_rcgan):
    args = _quick_args(ablation, "--rcgan-checkpoint", str(tiny_rcgan))
    args.rcgan_p = 1.0
    clips, labels = ablation.few_shot_subset(1, 0, args)
    ref = ablation.GeneratorRef(str(tiny_rcgan), clips, labels)
    x, y = ablation.build_pipeline("classical+rcgan", ref, args)(clips, labels)
    assert torch.equal(y, labels) and x.shape == clips.shape
    torch.manual_seed(0)
    rc, _ = ablation.build_pipeline("rcgan", ref, args)(clips, labels)
    assert rc.dtype == torch.float32 and not torch.equal(rc, clips.float() / 255)


def test_ucf101_classifier_with_rcgan_on_rgb_clips(ucf, ucf_tree, tiny_rcgan, tmp_path):
    # a 1-channel, 10-class generator on 3-class RGB clips: runs unconditioned, on the luminance
    out = tmp_path / "run"
    argv = _ucf_argv(ucf_tree, out, "--epochs", "1", "--augment", "all",
                     "--rcgan-checkpoint", str(tiny_rcgan))
    assert ucf.main(argv) == 0
    _check_results(json.loads((out / "results.json").read_text()), 1, "all")


def test_ablation_add_to_merges_an_earlier_run(ablation, tmp_path, tiny_rcgan):
    first, merged = tmp_path / "first.json", tmp_path / "merged.json"
    base = ["--quick", "--seeds", "0", "--markdown", ""]
    assert ablation.main([*base, "--settings", "none", "classical", "--json", str(first)]) == 0
    assert ablation.main([*base, "--settings", "classical+rcgan", "--rcgan-checkpoint", str(tiny_rcgan),
                          "--add-to", str(first), "--json", str(merged)]) == 0
    report = json.loads(merged.read_text())
    assert set(report["summary"]["2"]) == {"none", "classical", "classical+rcgan"}
    assert report["config"]["settings"] == ["none", "classical", "classical+rcgan"]
    assert report["command"].count("ablation_moving_mnist.py") == 2
    assert report["command"].index("none classical") < report["command"].index("classical+rcgan")
    earlier = json.loads(first.read_text())
    assert report["wall_seconds"] > earlier["wall_seconds"]
    # several files merge in a run that trains nothing
    second = tmp_path / "second.json"
    assert ablation.main([*base, "--settings", "all", "--rcgan-checkpoint", str(tiny_rcgan),
                          "--json", str(second)]) == 0
    assert ablation.main([*base, "--merge-only", "--add-to", str(merged), str(second),
                          "--json", str(tmp_path / "all.json")]) == 0
    everything = json.loads((tmp_path / "all.json").read_text())
    assert set(everything["summary"]["2"]) == {"none", "classical", "classical+rcgan", "all"}
    assert len(everything["runs"]) == 4 and len(everything["generators"]) == 2
    assert everything["command"].count("ablation_moving_mnist.py") == 3
    # runs of other seeds merge too; the report names every seed
    other_seed = tmp_path / "seed1.json"
    assert ablation.main([*base[:1], "--seeds", "1", "--markdown", "", "--settings", "none", "--json",
                          str(other_seed)]) == 0
    assert ablation.main([*base, "--merge-only", "--add-to", str(first), str(other_seed),
                          "--json", str(tmp_path / "seeds.json")]) == 0
    seeds = json.loads((tmp_path / "seeds.json").read_text())
    assert seeds["config"]["seeds"] == [0, 1] and len(seeds["summary"]["2"]["none"]["accuracies"]) == 2
    # a different configuration is refused, not silently merged
    with pytest.raises(ValueError, match="steps"):
        ablation.main([*base, "--settings", "classical+rcgan", "--rcgan-checkpoint", str(tiny_rcgan),
                       "--steps", "7", "--add-to", str(first), "--json", str(tmp_path / "x.json")])


def test_ucf101_evaluate_scores_single_clips_and_averages_each_videos_clips(ucf):
    class ChannelMeans(torch.nn.Module):  # logits: the mean of each channel, so the brightest channel wins
        def forward(self, x):
            return x.mean(dim=(1, 3, 4))

    clips = torch.zeros(2, 2, 3, 4, 4)
    clips[0, :, 0], clips[1, :, 2] = 1.0, 1.0  # clip 0 is class 0, clip 1 class 2
    cpu = torch.device("cpu")
    assert ucf.evaluate(ChannelMeans(), [(clips, torch.tensor([0, 2]))], lambda v: v, cpu, False, False) == 1.0
    assert ucf.evaluate(ChannelMeans(), [(clips, torch.tensor([0, 1]))], lambda v: v, cpu, False, False) == 0.5
    videos = torch.zeros(1, 2, 2, 3, 4, 4)  # one video of K=2 clips: a sure class 0 and a faint class 1
    videos[0, 0, :, 0], videos[0, 1, :, 1] = 5.0, 0.5
    assert ucf.evaluate(ChannelMeans(), [(videos, torch.tensor([0]))], lambda v: v, cpu, False, False) == 1.0
    assert ucf.evaluate(ChannelMeans(), [(videos, torch.tensor([1]))], lambda v: v, cpu, False, False) == 0.0


# -- bench_public_api ----------------------------------------------------------------------------------------
def test_bench_public_api_times_every_workload_and_writes_json(tmp_path, capsys):
    bench = load_example("bench_public_api")
    out = tmp_path / "t.json"
    assert bench.main(["--quick", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert list(result) == list(bench.workloads(quick=True))
    assert all(math.isfinite(s) and s >= 0 for s in result.values())
    printed = capsys.readouterr().out
    assert all(name in printed for name in result)


def test_bench_public_api_workloads_do_what_they_say():
    calls = load_example("bench_public_api").workloads(quick=True)
    standard = calls["standard pipeline, batch 2"]()
    assert standard.shape == (2, 4, 3, 28, 28) and standard.dtype == torch.float32
    assert calls["standard pipeline, one clip"]().shape == (4, 3, 28, 28)
    mixed, soft = calls["MixUp(elem), float batch 2"]()
    assert mixed.shape == (2, 4, 3, 28, 28) and soft.shape == (2, 10)


def test_bench_public_api_refuses_zero_repeats():
    with pytest.raises(SystemExit):
        load_example("bench_public_api").main(["--repeats", "0"])
