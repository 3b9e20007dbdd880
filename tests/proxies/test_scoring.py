"""``score`` on a real architecture and task (a synthetic AddNIST fixture), ``einspace proxies``
end to end: the network is train()'s, the values repeat for a seed, bad requests are refused."""

from __future__ import annotations

import json
import math

import pytest
import torch

import einspace
from einspace.data.fixtures import make_fixture
from einspace.errors import DataError, ProxyError
from einspace.interpreter.builder import build
from einspace.proxies import NAMES, score, score_module
from einspace.proxies.scoring import training_batch

ARCH = "sequential(routing[im2col(3,1,1), linear(8), col2im], sequential(norm, relu))"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    path = tmp_path_factory.mktemp("data")
    make_fixture("addnist", path, sizes=(60, 20, 20))
    return path


def test_score_gives_every_proxy_and_the_cost_model(root):
    got = score(ARCH, "addnist", batch_size=12, root=root, device="cpu")
    assert list(got) == list(NAMES) and all(isinstance(v, float) for v in got.values())
    typed = einspace.infer(einspace.parse(ARCH), "3x28x28")
    assert got["params"] == typed.params + 8 * 20 + 20 and got["flops"] == typed.flops
    assert got["grad_norm"] > 0 and got["snip"] > 0 and got["synflow"] > 0 and math.isfinite(got["jacob_cov"])
    assert score(ARCH, "addnist", ["params", "flops"], root="/no/data/needed") == {
        "params": got["params"], "flops": got["flops"]}


def test_score_is_the_initial_network_of_train_on_one_balanced_batch(root):
    """Same seed, same weights as train() builds; the batch is the training code's balanced subset."""
    dataset = einspace.data.load("addnist", root)
    x, y = training_batch(dataset, 20, 3, torch.device("cpu"))
    assert sorted(y.tolist()) == list(range(20))  # one per class
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        net = build(ARCH, dataset.input, classes=dataset.classes)
    expect = score_module(net, x, y, "grad_norm,synflow")
    assert score(ARCH, dataset, "synflow,grad_norm", batch_size=20, seed=3, device="cpu") == pytest.approx(expect,
                                                                                                         rel=1e-6)


def test_score_repeats_for_a_seed_and_changes_with_it(root):
    first = score(ARCH, "addnist", batch_size=8, seed=1, root=root, device="cpu", threads=1)
    again = score(ARCH, "addnist", batch_size=8, seed=1, root=root, device="cpu", threads=1)
    other = score(ARCH, "addnist", batch_size=8, seed=2, root=root, device="cpu", threads=1)
    assert first == again and first["snip"] != other["snip"]
    before = torch.random.get_rng_state()
    score(ARCH, "addnist", "snip", batch_size=4, root=root, device="cpu")
    assert torch.equal(before, torch.random.get_rng_state())  # the caller's generator untouched


@pytest.mark.parametrize("kwargs, match", [
    ({"names": ["synflow", "bogus"]}, "unknown proxy"),
    ({"names": ""}, "no proxy"),
    ({"batch_size": 0}, "batch_size"),
    ({"seed": -1}, "seed"),
    ({"seed": True}, "seed"),
    ({"threads": 0}, "threads"),
    ({"device": "bogus"}, "device"),
])
def test_bad_requests_are_proxy_errors(root, kwargs, match):
    with pytest.raises(ProxyError, match=match):
        score(ARCH, "addnist", root=root, **kwargs)


def test_missing_data_is_a_data_error(tmp_path):
    with pytest.raises(DataError):
        score(ARCH, "addnist", "snip", root=tmp_path)


def test_cli_prints_the_proxies(cli, root):
    code, out, err = cli("proxies", ARCH, "--task", "addnist", "--root", str(root), "--batch-size", "8",
                         "--device", "cpu", "--threads", "1", "--names", "snip,params")
    assert code == 0, err
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["params", "snip"] and "Lee et al. 2019" in lines[1]


def test_cli_json_agrees_with_the_api(cli, root):
    code, out, err = cli("proxies", ARCH, "-t", "addnist", "--root", str(root), "--batch-size", "8", "--seed", "2",
                         "--device", "cpu", "--threads", "1", "--json")
    assert code == 0, err
    got = json.loads(out)
    expect = score(ARCH, "addnist", batch_size=8, seed=2, root=root, device="cpu", threads=1)
    assert list(got) == list(NAMES) and got == pytest.approx(expect)
    assert isinstance(got["params"], int)


@pytest.mark.parametrize("argv, code, text", [
    (["--names", "nope"], 2, "unknown proxy"),
    (["--batch-size", "0"], 2, "positive"),
    (["--device", "bogus"], 2, "device"),
    (["--task", "nosuchtask"], 2, "nosuchtask"),
])
def test_cli_usage_errors(cli, root, argv, code, text):
    args = ["proxies", ARCH, "--task", "addnist", "--root", str(root), *argv]
    if code == 2 and argv[0] == "--batch-size":
        with pytest.raises(SystemExit) as exit_:
            cli(*args)
        assert exit_.value.code == 2
        return
    got, out, err = cli(*args)
    assert got == code and text in err


def test_cli_invalid_architecture_and_missing_data(cli, root, tmp_path):
    code, out, err = cli("proxies", "routing[identity, linear(4), col2im]", "--task", "addnist", "--root", str(root))
    assert code == 1 and "type error" in err
    code, out, err = cli("proxies", ARCH, "--task", "addnist", "--root", str(tmp_path), "--no-build")
    assert code == 1 and "no data" in err


def test_sampled_architectures_score(root):
    for seed in range(3):
        arch = einspace.sample("3x28x28", seed=seed, max_params=200_000)
        got = score(arch, "addnist", batch_size=8, root=root, device="cpu", threads=1)
        assert list(got) == list(NAMES)
        assert all(math.isfinite(got[n]) for n in ("params", "flops", "grad_norm", "snip"))


def test_cli_cost_model_proxies_need_no_data(cli, tmp_path):
    code, out, err = cli("proxies", ARCH, "--task", "addnist", "--root", str(tmp_path), "--names", "flops,params",
                         "--json")
    assert code == 0, err
    assert list(json.loads(out)) == ["params", "flops"] and not any(tmp_path.iterdir())
