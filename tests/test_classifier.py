import json
from pathlib import Path

import pytest
import torch

from videoaug.classifier import (
    ReferenceClassifier,
    evaluate_accuracy,
    load_classifier,
    main,
    save_classifier,
    train_classifier,
)

SHIPPED = Path(__file__).resolve().parents[1] / "checkpoints" / "reference_classifier"


def test_shapes_any_size_and_dtype_equivalence():
    model = ReferenceClassifier(in_channels=1, num_classes=10, width=4).eval()
    x = torch.randint(0, 256, (2, 8, 1, 24, 40), dtype=torch.uint8)
    assert model(x).shape == (2, 10)
    assert model.features(x).shape == (2, 32)
    torch.testing.assert_close(model.features(x), model.features(x.float() / 255))
    assert model(torch.rand(1, 3, 1, 9, 7)).shape == (1, 10)


def test_clip_input_norm_ignores_global_brightness():
    x = torch.rand(2, 4, 1, 16, 16) * 0.5
    clip_norm = ReferenceClassifier(in_channels=1, num_classes=10, width=4).eval()
    torch.testing.assert_close(clip_norm.features(x * 1.5 + 0.2), clip_norm.features(x), atol=1e-4, rtol=1e-4)
    plain = ReferenceClassifier(in_channels=1, num_classes=10, width=4, input_norm="none").eval()
    assert not torch.allclose(plain.features(x + 0.2), plain.features(x), atol=1e-3)
    with pytest.raises(ValueError, match="input_norm"):
        ReferenceClassifier(input_norm="batch")


def test_bad_inputs():
    model = ReferenceClassifier(in_channels=1, num_classes=10, width=4)
    with pytest.raises(ValueError, match="1 channel"):
        model(torch.rand(2, 4, 3, 16, 16))
    with pytest.raises(ValueError, match=r"\(B, T, C, H, W\)"):
        model(torch.rand(4, 1, 16, 16))
    with pytest.raises(ValueError, match="in_channels"):
        ReferenceClassifier(in_channels=2)


def test_save_load_round_trip(tmp_path):
    model = ReferenceClassifier(in_channels=3, num_classes=5, width=4).eval()
    save_classifier(model, tmp_path / "ck", {"test_accuracy": 0.5})
    loaded, config = load_classifier(tmp_path / "ck")
    assert config["architecture"] == {"in_channels": 3, "num_classes": 5, "width": 4, "input_norm": "clip"}
    assert config["test_accuracy"] == 0.5 and not loaded.training
    x = torch.rand(2, 4, 3, 16, 16)
    torch.testing.assert_close(loaded(x), model(x))


def test_tampered_pickled_and_missing_are_refused(tmp_path):
    model = ReferenceClassifier(in_channels=1, num_classes=10, width=4)
    path = save_classifier(model, tmp_path / "ck")
    weights = path / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="sha256"):
        load_classifier(path)

    # a pickle under the right name, with a config claiming its hash, is refused and never unpickled
    marker = tmp_path / "executed"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    torch.save({"x": Evil()}, weights)
    config = json.loads((path / "config.json").read_text())
    import hashlib

    config["sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="pickle / torch.save file, not safetensors"):
        load_classifier(path)
    assert not marker.exists()

    (path / "config.json").unlink()
    with pytest.raises(FileNotFoundError, match="config.json"):
        load_classifier(path)


def test_training_learns_a_separable_problem():
    # class = whether the bright square moves right or left: needs time, not one frame
    torch.manual_seed(0)
    n, T = 64, 6
    clips = torch.zeros(n, T, 1, 16, 16)
    labels = torch.randint(0, 2, (n,))
    start = torch.randint(2, 8, (n,))
    for i in range(n):
        for t in range(T):
            x = int(start[i]) + (t if labels[i] == 1 else -t) + 4
            clips[i, t, 0, 6:10, max(0, x - 2):x + 2] = 1.0
    batches = list(zip(clips.split(16), labels.split(16), strict=True))
    model = ReferenceClassifier(in_channels=1, num_classes=2, width=4)
    stats = train_classifier(model, batches, epochs=15, lr=1e-2, log_every=0)
    assert stats["steps"] == 60 and stats["final_loss"] < 0.3
    assert evaluate_accuracy(model, batches) > 0.9


def test_cli_writes_checkpoint_with_command(tmp_path, capsys):
    out = tmp_path / "rc"
    argv = ["--data", "moving-mnist", "--out", str(out), "--train-samples", "8", "--test-samples", "4",
            "--epochs", "1", "--batch-size", "4", "--width", "2", "--frames", "4"]
    assert main(argv) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["command"] == "python -m videoaug.classifier " + " ".join(argv)
    assert 0.0 <= config["test_accuracy"] <= 1.0 and config["training"]["steps"] == 2
    assert config["data"]["test_split"] == "test"
    model, _ = load_classifier(out)
    assert model.width == 2
    assert "test accuracy" in capsys.readouterr().out


@pytest.mark.skipif(not (SHIPPED / "config.json").is_file(), reason="reference classifier not trained yet")
def test_shipped_reference_classifier():
    from videoaug.datasets.moving_mnist import MovingMNIST

    model, config = load_classifier(SHIPPED)
    assert config["test_accuracy"] >= 0.95
    assert (SHIPPED / "model.safetensors").stat().st_size < 2 * 2**20
    # re-measure on fresh held-out clips (another seed than the recorded test set)
    ds = MovingMNIST(128, split="test", num_frames=config["data"]["frames"], seed=123)
    clips = torch.stack([ds[i][0] for i in range(len(ds))])
    labels = torch.tensor([ds[i][1] for i in range(len(ds))])
    assert evaluate_accuracy(model, [(clips, labels)]) >= 0.9


def test_script_args_come_from_argv_or_sys_argv_and_set_threads(monkeypatch):
    import argparse
    import sys

    from videoaug._script import parse_script_args

    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=0)
    before = torch.get_num_threads()
    try:
        args, argv = parse_script_args(parser, ("--threads", "1"))
        assert argv == ["--threads", "1"] and args.threads == 1 and torch.get_num_threads() == 1
        torch.set_num_threads(before)
        monkeypatch.setattr(sys, "argv", ["prog", "--threads", "0"])
        args, argv = parse_script_args(parser, None)
        assert argv == ["--threads", "0"] and torch.get_num_threads() == before  # 0 leaves torch's default
    finally:
        torch.set_num_threads(before)
