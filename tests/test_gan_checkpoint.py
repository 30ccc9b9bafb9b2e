import json
import pickle
import shutil

import pytest
import torch
from safetensors.torch import save_file

from videoaug.gan.checkpoint import (
    CONFIG_FILE,
    MODEL_FILE,
    CheckpointError,
    latest_checkpoint,
    list_checkpoints,
    load_generator,
    load_training_state,
    read_config,
    save_generator,
    save_training_checkpoint,
    sha256_file,
)
from videoaug.gan.networks import Generator

SMALL = dict(width=4, hidden=8, embed_dim=4, z_dim=6, frame_noise_dim=3, resolution=(16, 16))
INFO = {
    "num_frames": 3,
    "class_names": ["a", "b", "c"],
    "data": {"kind": "test"},
    "steps": 7,
    "command": "videoaug fit --data x --out y",
}


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    g = Generator(channels=1, num_classes=3, **SMALL)
    with torch.no_grad():
        for p in g.parameters():
            p.normal_(0, 0.2)
    path = save_generator(tmp_path / "ckpt", g, INFO)
    return g, path


def test_round_trip_gives_the_same_generator(saved):
    g, path = saved
    loaded, config = load_generator(path)
    x = torch.rand(2, 3, 1, 16, 16)
    n = g.sample_noise(2, 3, generator=torch.Generator().manual_seed(0))
    assert torch.equal(loaded(x, torch.tensor([0, -1]), n), g(x, torch.tensor([0, -1]), n))
    assert not loaded.training
    assert config["class_names"] == ["a", "b", "c"] and config["steps"] == 7
    assert config["resolution"] == [16, 16] and config["channels"] == 1 and config["num_classes"] == 3
    assert config["command"].startswith("videoaug fit")
    assert config["sha256"][MODEL_FILE] == sha256_file(path / MODEL_FILE)
    assert config["format_version"] == 1 and "videoaug_version" in config
    assert (path / MODEL_FILE).stat().st_mode & 0o044 == 0o044  # readable by others
    # the file paths inside the directory work too
    assert load_generator(path / MODEL_FILE)[1] == config
    assert load_generator(path / CONFIG_FILE)[1] == config


def test_lstm_core_round_trip_and_old_configs_mean_gru(tmp_path):
    torch.manual_seed(0)
    g = Generator(channels=1, num_classes=3, core="lstm", **SMALL)
    with torch.no_grad():
        for p in g.parameters():
            p.normal_(0, 0.2)
    path = save_generator(tmp_path / "lstm", g, INFO)
    loaded, config = load_generator(path)
    assert isinstance(loaded.rnn, torch.nn.LSTM) and config["generator"]["core"] == "lstm"
    x = torch.rand(2, 3, 1, 16, 16)
    n = g.sample_noise(2, 3, generator=torch.Generator().manual_seed(0))
    assert torch.equal(loaded(x, torch.tensor([1, -1]), n), g(x, torch.tensor([1, -1]), n))
    # checkpoints written before the option existed have no "core": they hold a GRU
    gru = save_generator(tmp_path / "gru", Generator(channels=1, num_classes=3, **SMALL), INFO)
    _edit_config(gru, lambda c: c["generator"].pop("core"))
    assert isinstance(load_generator(gru)[0].rnn, torch.nn.GRU)


def test_tampered_weights_are_refused(saved):
    _, path = saved
    data = bytearray((path / MODEL_FILE).read_bytes())
    data[-3] ^= 0x01
    (path / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256"):
        load_generator(path)


class _Boom:
    def __reduce__(self):
        import os

        return (os.mkdir, ("PWNED_BY_PICKLE",))


def test_pickle_is_refused_and_never_executed(saved, tmp_path, monkeypatch):
    _, path = saved
    monkeypatch.chdir(tmp_path)
    payload = pickle.dumps({"w": _Boom()})
    (path / MODEL_FILE).write_bytes(payload)
    with pytest.raises(CheckpointError, match="pickle"):
        load_generator(path)
    assert not (tmp_path / "PWNED_BY_PICKLE").exists()
    # a torch.save zip archive, too
    torch.save({"w": torch.zeros(1)}, path / MODEL_FILE)
    with pytest.raises(CheckpointError, match="pickle"):
        load_generator(path)
    # a directory with only a .pt file
    only = tmp_path / "only_pt"
    only.mkdir()
    torch.save({"w": torch.zeros(1)}, only / "model.pt")
    with pytest.raises(CheckpointError, match="pickled checkpoints are refused"):
        load_generator(only)
    with pytest.raises(CheckpointError, match="pickle"):
        load_generator(only / "model.pt")


def _edit_config(path, fn):
    cfg = json.loads((path / CONFIG_FILE).read_text())
    fn(cfg)
    (path / CONFIG_FILE).write_text(json.dumps(cfg))


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda c: c.pop("sha256"), "missing keys sha256"),
        (lambda c: c.pop("class_names"), "missing keys class_names"),
        (lambda c: c.update(format_version=2), "format version 2"),
        (lambda c: c.update(format="other"), "format 'other'"),
        (lambda c: c["generator"].update(hidden=9), "wrong shapes"),
        (lambda c: c["generator"].update(core="lstm"), "wrong shapes"),  # GRU weights, an LSTM's config
        (lambda c: c["generator"].update(core="rnn"), "core must be one of 'gru', 'lstm', got 'rnn'"),
        (lambda c: c["generator"].update(colour=1), "unknown generator arguments colour"),
        (lambda c: c.update(num_classes=4, class_names=list("abcd")), "num_classes=4 disagrees"),
        (lambda c: c.update(class_names=["a"]), "1 class_names"),
    ],
)
def test_bad_configs_are_refused(saved, edit, match):
    _, path = saved
    _edit_config(path, edit)
    with pytest.raises(CheckpointError, match=match):
        load_generator(path)


def test_missing_or_foreign_tensors(saved):
    g, path = saved
    sd = {k: v.clone() for k, v in g.state_dict().items()}
    sd.pop("affine_head.bias")
    sd["extra"] = torch.zeros(1)
    save_file(sd, str(path / MODEL_FILE))
    _edit_config(path, lambda c: c["sha256"].update({MODEL_FILE: sha256_file(path / MODEL_FILE)}))
    with pytest.raises(CheckpointError, match=r"missing \['affine_head.bias'\], unexpected \['extra'\]"):
        load_generator(path)


def test_missing_files(saved, tmp_path):
    _, path = saved
    with pytest.raises(FileNotFoundError):
        load_generator(tmp_path / "nope")
    (path / MODEL_FILE).unlink()
    with pytest.raises(CheckpointError, match="missing model.safetensors"):
        load_generator(path)
    (path / CONFIG_FILE).write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        read_config(path)
    (path / CONFIG_FILE).unlink()
    with pytest.raises(CheckpointError, match="missing config.json"):
        load_generator(path)


def test_training_checkpoints_atomic_keep_last_and_state(saved, tmp_path):
    g, _ = saved
    root = tmp_path / "run" / "checkpoints"
    for step in (1, 2, 3, 4):
        tensors = {"G/w": torch.full((2,), float(step)), "rng/torch": torch.get_rng_state()}
        save_training_checkpoint(root, step, g, INFO, tensors, {"note": step}, keep_last=2)
    assert [p.name for p in list_checkpoints(root)] == ["step_00000003", "step_00000004"]
    # a half-written temporary directory is never taken for a checkpoint
    (root / ".tmp_step_00000009_1").mkdir()
    (root / "step_00000010").mkdir()  # incomplete: no config / state
    assert latest_checkpoint(root).name == "step_00000004"
    tensors, state = load_training_state(latest_checkpoint(root))
    assert state["step"] == 4 and state["note"] == 4 and torch.equal(tensors["G/w"], torch.full((2,), 4.0))
    load_generator(latest_checkpoint(root))  # a training checkpoint is also a generator checkpoint
    # tampering with the state is caught
    f = latest_checkpoint(root) / "training_state.safetensors"
    data = bytearray(f.read_bytes())
    data[-1] ^= 1
    f.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256"):
        load_training_state(latest_checkpoint(root))
    shutil.rmtree(root / "step_00000003")
    with pytest.raises(CheckpointError, match="missing training_state"):
        load_training_state(tmp_path / "run")


# -- issue 12 item 11: values, dtypes and architecture are checked, not only names, shapes and sha256 --------
def _tamper_weights(path, fn):
    """Rewrite model.safetensors through ``fn(state_dict)`` and record its new sha256, so only the value and
    dtype checks can catch the change."""
    from safetensors.torch import load_file

    sd = load_file(str(path / MODEL_FILE))
    fn(sd)
    save_file(sd, str(path / MODEL_FILE))
    _edit_config(path, lambda c: c["sha256"].update({MODEL_FILE: sha256_file(path / MODEL_FILE)}))


def _weights(tamper):
    return MODEL_FILE, lambda path: _tamper_weights(path, tamper)


def _config(edit):
    return CONFIG_FILE, lambda path: _edit_config(path, edit)


# issue 12 items 11 and 12: tampered values and dtypes (with a valid sha256) and every broken config.json field
# are refused with a CheckpointError naming the file
@pytest.mark.parametrize(
    "damage, match",
    [
        (_weights(lambda sd: sd["affine_head.bias"].__setitem__(0, float("nan"))), r"non-finite.*affine_head\.bias"),
        (_weights(lambda sd: sd["affine_head.bias"].__setitem__(0, float("inf"))), r"non-finite.*affine_head\.bias"),
        (_weights(lambda sd: sd.update({"affine_head.bias": sd["affine_head.bias"].double()})), r"torch\.float64"),
        (_weights(lambda sd: sd.update({"affine_head.bias": sd["affine_head.bias"].to(torch.int32)})),
         r"torch\.int32"),
        (_weights(lambda sd: sd.update({"affine_head.bias": sd["affine_head.bias"] > 0})), r"torch\.bool"),
        (_config(lambda c: c.update(class_names=5)), "class_names: expected a list of strings, got 5"),
        (_config(lambda c: c.update(num_classes="3")), "num_classes: expected an integer"),
        (_config(lambda c: c["generator"].update(width=-4)), "invalid generator arguments"),
    ],
)
def test_tampered_weights_and_malformed_config_are_refused_naming_the_file(saved, damage, match):
    _, path = saved
    file_name, apply = damage
    apply(path)
    _assert_refused_naming(path, file_name, match)


def test_huge_finite_weights_load(saved):
    # 1e30 is finite: it is loaded as is (the generator's own bounds keep its output in range)
    _, path = saved
    _tamper_weights(path, lambda sd: sd["affine_head.bias"].__setitem__(0, 1e30))
    loaded, _ = load_generator(path)
    assert loaded.state_dict()["affine_head.bias"][0] == 1e30


def test_foreign_architecture_is_refused(saved):
    _, path = saved
    _edit_config(path, lambda c: c.update(architecture="stylegan2"))
    with pytest.raises(CheckpointError, match=r"config\.json: architecture 'stylegan2'.*'rcgan-warp'"):
        load_generator(path)


def test_config_of_random_bytes_names_the_file(saved):
    _, path = saved
    (path / CONFIG_FILE).write_bytes(bytes(range(128, 256)) * 4)
    with pytest.raises(CheckpointError, match="not valid JSON.*UTF-8") as info:
        load_generator(path)
    assert str(path / CONFIG_FILE) in str(info.value)


def _assert_refused_naming(path, file_name, match):
    """Loading the checkpoint at ``path`` raises a CheckpointError matching ``match`` and naming ``file_name``."""
    with pytest.raises(CheckpointError, match=match) as info:
        load_generator(path)
    assert str(path / file_name) in str(info.value)


def test_trajectory_head_round_trip_and_old_configs_have_none(tmp_path):
    torch.manual_seed(0)
    g = Generator(channels=1, num_classes=3, max_drift=0.3, **SMALL)
    with torch.no_grad():
        for p in g.parameters():
            p.normal_(0, 0.2)
    loaded, config = load_generator(save_generator(tmp_path / "drift", g, INFO))
    assert loaded.drift_head is not None and config["generator"]["max_drift"] == 0.3
    x = torch.rand(2, 4, 1, 16, 16)
    n = g.sample_noise(2, 4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(loaded(x, None, n), g(x, None, n))
    # checkpoints written before the option existed have no "max_drift": they hold no trajectory head
    old = save_generator(tmp_path / "old", Generator(channels=1, num_classes=3, **SMALL), INFO)
    _edit_config(old, lambda c: c["generator"].pop("max_drift"))
    assert load_generator(old)[0].drift_head is None
