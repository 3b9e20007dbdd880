"""Evaluation records as JSON, and saved runs (text + safetensors + JSON) rebuilt with the same predictions."""

from __future__ import annotations

import json

import pytest
import torch

import einspace
from einspace import data
from einspace.errors import TrainingError
from einspace.training import Evaluation, load_trained, storage, train
from einspace.training.loop import accuracy

TINY = "sequential(routing[im2col(4,4,0), linear(16), col2im], sequential(norm, relu))"


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    path = tmp_path_factory.mktemp("data")
    data.make_fixture("addnist", path, sizes=(120, 40, 40))
    return data.load("addnist", path)


@pytest.fixture(scope="module")
def saved(ds, tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    return folder, train(TINY, ds, epochs=2, batch_size=16, save=folder)


def test_json_round_trip(saved):
    _, ev = saved
    assert Evaluation.loads(ev.dumps()) == ev
    assert Evaluation.from_json(json.loads(json.dumps(ev.to_json()))) == ev
    text = ev.dumps()
    assert "NaN" not in text and json.loads(text)["recipe"]["lr"] == 0.04


def test_json_refuses_what_is_not_a_record():
    with pytest.raises(TrainingError):
        Evaluation.loads("[1, 2]")
    with pytest.raises(TrainingError):
        Evaluation.loads("{not json")
    with pytest.raises(TrainingError):
        Evaluation.from_json({"status": "ok", "surprise": 1})


def test_saved_files_hold_no_pickle(saved):
    folder, ev = saved
    assert sorted(p.name for p in folder.iterdir()) == ["arch.txt", "evaluation.json", "weights.safetensors"]
    from safetensors import safe_open
    with safe_open(str(folder / "weights.safetensors"), framework="pt") as f:
        assert f.metadata()["grammar"] == ev.grammar and len(list(f.keys())) > 0
    assert einspace.parse((folder / "arch.txt").read_text()) == einspace.parse(TINY)


def test_load_trained_predicts_as_trained(saved, ds):
    folder, ev = saved
    run = load_trained(folder)
    assert run.evaluation == ev and not run.module.training
    x, y = torch.from_numpy(ds.valid.x), torch.from_numpy(ds.valid.y).long()
    assert accuracy(run.module, x, y, 256) == ev.score            # the same network that was scored
    again = load_trained(folder)
    assert torch.equal(run.module(x), again.module(x))
    assert torch.equal(run.predict(ds.valid.x), run.module(x).argmax(1))


def test_save_load_identical_outputs(tmp_path):
    torch.manual_seed(3)
    net = einspace.build(einspace.parse(TINY), "3x28x28", classes=20).eval()
    ev = Evaluation("ok", 0.5, einspace.to_string(einspace.parse(TINY)), "addnist", "3x28x28", 20, 0,
                    einspace.training.Recipe(), einspace.training.Fidelity(), 1, 1, 1,
                    grammar=einspace.load_grammar().key)
    storage.save(tmp_path, ev.arch, net, ev)
    x = torch.randn(5, 3, 28, 28)
    assert torch.equal(load_trained(tmp_path).module(x), net(x))


def test_load_refuses_a_foreign_grammar_key_and_missing_parts(saved, tmp_path, ds):
    folder, ev = saved
    storage.save(tmp_path / "other", ev.arch, None, ev.__class__.from_json({**ev.to_json(), "grammar": "0" * 64}))
    with pytest.raises(TrainingError, match="grammar"):
        load_trained(tmp_path / "other")
    with pytest.raises(TrainingError):
        load_trained(tmp_path / "nothing-here")
    big = train(TINY, ds, max_params=1, save=tmp_path / "big")
    assert big.status == "too_big" and not (tmp_path / "big" / "weights.safetensors").exists()
    with pytest.raises(TrainingError, match="no weights"):
        load_trained(tmp_path / "big")
