"""The shipped generators: they load by name, and each one's model card and recorded training data agree.

The transfer generator's value rests on one fact, that it never saw a handwritten digit (it was trained on
digits rendered from a font, docs/results.md): the test reads that from the checkpoint's own record.
"""

import json
import re
from pathlib import Path

import pytest
import torch

from videoaug.gan.augment import RCGANAugment, resolve_checkpoint
from videoaug.gan.checkpoint import sha256_file

CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"


@pytest.mark.parametrize("name", ["moving_mnist", "moving_mnist_transfer"])
def test_shipped_generator_loads_by_name_and_keeps_shape(name):
    path = resolve_checkpoint(name)
    config = json.loads((path / "config.json").read_text())
    assert sha256_file(path / "model.safetensors") == config["sha256"]["model.safetensors"]
    clips = torch.rand(2, 16, 1, 64, 64, generator=torch.Generator().manual_seed(0))
    out, labels = RCGANAugment(name, p=1.0)(clips, torch.tensor([3, 7]))
    assert out.shape == clips.shape and out.dtype == torch.float32
    assert torch.equal(labels, torch.tensor([3, 7]))
    assert not torch.equal(out, clips)


def test_transfer_generator_never_saw_handwritten_digits():
    config = json.loads((CHECKPOINTS / "moving_mnist_transfer" / "config.json").read_text())
    data = config["training"]["data"]
    assert data["kind"] == "moving-mnist"
    assert data["digit_source"] == "glyphs"
    assert data["per_class"] == 0


def test_transfer_model_card_quotes_the_recorded_command_and_hash():
    path = CHECKPOINTS / "moving_mnist_transfer"
    config = json.loads((path / "config.json").read_text())
    card = (path / "README.md").read_text()
    command = re.sub(r"--out \S+", "--out runs/transfer_base", config["command"])
    assert command in card
    assert config["sha256"]["model.safetensors"] in card
    evaluation = json.loads((Path(__file__).resolve().parents[1] / "docs" / "rcgan-eval-transfer.json").read_text())
    assert evaluation["checkpoint"]["sha256"] == config["sha256"]
