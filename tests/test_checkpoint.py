"""videoaug.checkpoint: the one safetensors + JSON layer every checkpoint of the package is built on."""

import pickle

import pytest
import torch

from videoaug.checkpoint import (
    CheckpointError,
    load_module_tensors,
    load_optimizer_tensors,
    load_tensors,
    module_tensors,
    optimizer_tensors,
    read_json,
    restore_rng,
    rng_tensors,
    save_tensors,
    sha256_file,
    write_json,
)


def test_tensors_round_trip_with_their_sha256_and_no_temporary_file_left(tmp_path):
    tensors = {"a": torch.arange(6.0).view(2, 3), "b": torch.tensor([1, 2], dtype=torch.int64)}
    digest = save_tensors(tmp_path / "t.safetensors", tensors)
    assert digest == sha256_file(tmp_path / "t.safetensors")
    back = load_tensors(tmp_path / "t.safetensors", sha256=digest)
    assert back.keys() == tensors.keys() and all(torch.equal(back[k], tensors[k]) for k in tensors)
    assert [p.name for p in tmp_path.iterdir()] == ["t.safetensors"]
    with pytest.raises(CheckpointError, match="sha256 .* does not match"):
        load_tensors(tmp_path / "t.safetensors", sha256="0" * 64, what="x.json")


def test_a_pickle_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(pickle.dumps({"w": [1.0, 2.0]}, protocol=4))
    with pytest.raises(CheckpointError, match="pickle"):
        load_tensors(path)
    (tmp_path / "junk.safetensors").write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        load_tensors(tmp_path / "junk.safetensors")


def test_json_must_be_an_object(tmp_path):
    write_json(tmp_path / "c.json", {"k": [1, 2]})
    assert read_json(tmp_path / "c.json") == {"k": [1, 2]}
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(CheckpointError, match="expected a JSON object"):
        read_json(tmp_path / "bad.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        read_json(tmp_path / "broken.json")


def test_training_state_round_trip_restores_weights_optimiser_and_rng(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    gen = torch.Generator().manual_seed(5)
    tensors, meta = {}, {}
    module_tensors("model", model, tensors)
    optimizer_tensors("opt", opt, tensors, meta)
    rng_tensors(tensors, {"data": gen})
    digest = save_tensors(tmp_path / "s.safetensors", tensors)
    write_json(tmp_path / "s.json", meta)
    expected_draws = torch.rand(3), torch.rand(3, generator=gen)

    model2 = torch.nn.Linear(3, 2)
    opt2 = torch.optim.Adam(model2.parameters(), lr=0.5)
    gen2 = torch.Generator()
    back = load_tensors(tmp_path / "s.safetensors", sha256=digest)
    load_module_tensors("model", model2, back)
    load_optimizer_tensors("opt", opt2, back, read_json(tmp_path / "s.json"))
    restore_rng(back, {"data": gen2})
    pairs = zip(model.state_dict().values(), model2.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)
    assert opt2.param_groups[0]["lr"] == 0.1
    assert torch.equal(opt2.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    assert torch.equal(torch.rand(3), expected_draws[0])
    assert torch.equal(torch.rand(3, generator=gen2), expected_draws[1])
