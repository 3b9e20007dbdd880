"""train(): the recipe, the fidelity, every status from a real cause, reproducibility, bad input.

All on tiny synthetic data (``einspace.data.make_fixture``) and a 1,124-parameter network, so the
whole file runs in seconds on one thread.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import einspace
from einspace import data
from einspace.data.loaders import Dataset, Split
from einspace.errors import EinspaceError, ParseError, TrainingError, TypeCheckError
from einspace.training import STATUSES, Evaluation, Fidelity, Recipe, run, train
from einspace.training.subsets import balanced_subset

TINY = "sequential(routing[im2col(4,4,0), linear(16), col2im], relu)"
FAST = dict(epochs=2, batch_size=16)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    path = tmp_path_factory.mktemp("data")
    data.make_fixture("addnist", path, sizes=(200, 60, 40))
    return path


@pytest.fixture(scope="module")
def ds(root):
    return data.load("addnist", root)


@pytest.fixture(scope="module")
def ok_run(ds):
    return train(TINY, ds, **FAST)


# --- the record of a finished run -------------------------------------------------------------------------

def test_ok_run_records_what_produced_it(ok_run, ds):
    ev = ok_run
    assert ev.status == "ok" and ev.ok and ev.message == ""
    assert 0.0 <= ev.score <= 1.0 and ev.score == ev.epoch_scores[-1] and ev.best_epoch == 2
    assert len(ev.train_loss) == len(ev.epoch_scores) == ev.epochs_run == 2
    assert ev.recipe == Recipe.for_task(ds.task, batch_size=16)
    assert ev.fidelity.epochs == 2 and not ev.fidelity.final and ev.fidelity.device == "cpu"
    assert ev.task == "addnist" and ev.input == "3x28x28" and ev.classes == 20 and ev.seed == 0
    assert ev.score_split == "valid" and ev.train_samples == 192 and ev.score_samples == 60   # 12 full batches
    assert ev.version == einspace.__version__ and ev.grammar == einspace.load_grammar().key
    assert ev.arch == einspace.to_string(einspace.parse(TINY))
    built = einspace.build(einspace.parse(TINY), "3x28x28", classes=20)
    assert ev.params == sum(p.numel() for p in built.parameters())
    assert ev.flops > 0 and ev.memory > 0
    assert ev.train_seconds > 0 and ev.score_seconds > 0 and ev.total_seconds >= ev.train_seconds
    json.dumps(ev.to_json(), allow_nan=False)


def test_facade_names():
    assert einspace.train is train and einspace.load_trained is einspace.training.load_trained


def test_task_by_name_and_root(root, ok_run):
    ev = train(TINY, "addnist", root=root, **FAST)
    assert ev.score == ok_run.score and ev.train_loss == ok_run.train_loss


# --- reproducibility ------------------------------------------------------------------------------------

def test_same_seed_same_result_and_other_seed_differs(ds, ok_run):
    again = train(einspace.parse(TINY), ds, **FAST)
    assert (again.score, again.train_loss, again.epoch_scores) == (ok_run.score, ok_run.train_loss, ok_run.epoch_scores)
    other = train(TINY, ds, seed=1, **FAST)
    assert other.train_loss != ok_run.train_loss


def test_the_callers_torch_state_is_neither_needed_nor_disturbed(ds, ok_run):
    torch.manual_seed(1234)
    expected = torch.rand(4)
    torch.manual_seed(1234)
    threads = torch.get_num_threads()
    ev = train(TINY, ds, threads=2, **FAST)
    assert torch.equal(torch.rand(4), expected)
    assert torch.get_num_threads() == threads
    assert ev.score == ok_run.score and ev.threads == 2   # same result whatever the global seed was


# --- statuses, each from a real cause ------------------------------------------------------------------

def test_nan_a_huge_learning_rate_diverges(ds):
    ev = train(TINY, ds, epochs=3, batch_size=16, lr=1e8)
    assert ev.status == "nan" and ev.score is None and "nan" in ev.message.lower()
    assert ev.epochs_run < 3
    json.dumps(ev.to_json(), allow_nan=False)


def test_too_big_is_refused_before_building(ds, monkeypatch):
    def no_build(*args, **kwargs):
        raise AssertionError("too_big must not build the network")
    monkeypatch.setattr(run, "build_typed", no_build)
    ev = train(einspace.seeds.load("resnet18"), ds, max_params=1)
    assert ev.status == "too_big" and ev.score is None and "max_params" in ev.message
    assert ev.params > 11_000_000 and ev.epochs_run == 0 and ev.train_seconds == 0
    ev = train(TINY, ds, max_memory=10)
    assert ev.status == "too_big" and "max_memory" in ev.message and ev.memory > 10


def test_timeout(ds):
    ev = train(TINY, ds, epochs=50, batch_size=16, time_limit=1e-6)
    assert ev.status == "timeout" and ev.score is None and ev.epochs_run == 0
    assert "time limit" in ev.message and ev.train_seconds < 5


def test_error_labels_outside_the_head(ds):
    broken = Dataset(ds.task, ds.directory, Split(ds.train.x, ds.train.y + 100), ds.valid, ds.test,
                     input=ds.input, classes=ds.classes)
    ev = train(TINY, broken, **FAST)
    assert ev.status == "error" and ev.score is None and ev.message


def test_classify_failure():
    assert run.classify_failure(torch.OutOfMemoryError("CUDA out of memory")) == "oom"
    assert run.classify_failure(MemoryError()) == "oom"
    assert run.classify_failure(RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried")) == "oom"
    assert run.classify_failure(RuntimeError("shape mismatch")) == "error"
    assert set(STATUSES) == {"ok", "nan", "oom", "too_big", "timeout", "error"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs RLIMIT_AS (Linux)")
def test_oom_host_memory_exhausted(root):
    """A real host out-of-memory: the process may map 1.5 GB more than it has; one batch of this
    network's activations (512 x 2048 x 28 x 28 floats, 3.3 GB) cannot be had."""
    data.make_fixture("addnist", root / "big", sizes=(520, 20, 20))
    script = textwrap.dedent(f"""
        import resource, torch
        from einspace import data
        from einspace.training import train
        ds = data.load("addnist", {str(root / 'big')!r})
        size = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmSize")) * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size + 1_500_000_000, resource.RLIM_INFINITY))
        ev = train("routing[im2col(1,1,0), linear(2048), col2im]", ds, epochs=1, batch_size=512, threads=1)
        print(ev.dumps())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    ev = Evaluation.loads(out.stdout.strip().splitlines()[-1])
    assert ev.status == "oom" and ev.score is None and "allocate" in ev.message


# --- fidelity -------------------------------------------------------------------------------------------

def test_final_trains_on_train_and_valid_and_scores_test(ds):
    ev = train(TINY, ds, final=True, epochs=1, batch_size=20)
    assert ev.fidelity.final and ev.score_split == "test"
    assert ev.train_samples == 260 and ev.score_samples == 40
    assert Fidelity.for_task(ds.task, final=True).epochs == 64
    assert train(TINY, ds, final=True, max_params=1).fidelity.epochs == 64   # --final alone: 64 epochs


def test_limits_are_class_balanced_subsets(ds):
    ev = train(TINY, ds, epochs=1, batch_size=10, train_limit=100, valid_limit=40)
    assert ev.train_samples == 100 and ev.score_samples == 40
    idx = balanced_subset(ds.train.y, 100, seed=0)
    counts = np.bincount(ds.train.y[idx], minlength=20)
    assert len(idx) == 100 and counts.max() - counts.min() <= 1
    assert np.array_equal(idx, balanced_subset(ds.train.y, 100, seed=0))
    assert not np.array_equal(idx, balanced_subset(ds.train.y, 100, seed=1))


def test_balanced_subset_with_scarce_classes():
    y = np.array([0] * 50 + [1] * 3 + [2] * 50)
    idx = balanced_subset(y, 30, seed=0)
    assert len(idx) == 30 and np.bincount(y[idx]).tolist() in ([14, 3, 13], [13, 3, 14])
    assert len(balanced_subset(y, 1000, seed=0)) == len(y)


def test_best_epoch_score(ds):
    ev = train(TINY, ds, epochs=4, batch_size=16, lr=0.5, score="best")
    assert ev.ok and ev.recipe.score == "best"
    assert ev.score == max(ev.epoch_scores) == ev.epoch_scores[ev.best_epoch - 1]


def test_callback_per_epoch_and_its_errors_propagate(ds):
    seen = []
    ev = train(TINY, ds, callback=seen.append, **FAST)
    assert [r.epoch for r in seen] == [1, 2] and tuple(r.score for r in seen) == ev.epoch_scores

    class Stop(Exception):
        pass

    def stop(result):
        raise Stop

    with pytest.raises(Stop):
        train(TINY, ds, callback=stop, **FAST)
    assert torch.get_num_threads() == 1   # the session was left cleanly (conftest's one thread)


# --- recipe defaults and bad input ---------------------------------------------------------------------

@pytest.mark.parametrize("task", [t for t in data.tasks() if t.classes is not None], ids=lambda t: t.name)
def test_recipe_defaults_are_the_task_table(task):
    r, f = Recipe.for_task(task), Fidelity.for_task(task)
    h = task.hyper
    assert (r.lr, r.momentum, r.weight_decay, r.batch_size) == (h.lr, h.momentum, h.weight_decay, h.batch_size)
    assert (r.optimizer, r.schedule, r.score, r.nesterov) == ("sgd", "cosine", "last", False)
    assert f.epochs == h.epochs_search and Fidelity.for_task(task, final=True).epochs == h.epochs_eval
    assert f.train_limit is f.valid_limit is f.time_limit is f.max_params is None


def test_unseen_nas_numbers():
    r = Recipe.for_task(data.get_task("addnist"))
    assert (r.lr, r.weight_decay, r.batch_size, r.momentum) == (0.04, 3e-4, 256, 0.9) == \
        (Recipe().lr, Recipe().weight_decay, Recipe().batch_size, Recipe().momentum)
    assert Fidelity().epochs == 8


@pytest.mark.parametrize("overrides", [
    {"epochs": 0}, {"epochs": 1.5}, {"lr": -1}, {"lr": float("nan")}, {"batch_size": 0}, {"train_limit": -3},
    {"time_limit": 0}, {"score": "median"}, {"schedule": "step"}, {"device": "gpu"}, {"momentum": -0.1},
    {"learning_rate": 0.1}, {"final": "yes"}, {"seed": -1},
])
def test_bad_settings_raise_training_error(ds, overrides):
    with pytest.raises(TrainingError):
        train(TINY, ds, **overrides)


def test_bad_input_raises_einspace_errors(ds, root):
    with pytest.raises(ParseError):
        train("sequential(", ds)
    with pytest.raises(TypeCheckError):
        train("routing[identity, linear(64), col2im]", ds)
    with pytest.raises(data.DataError):
        train(TINY, "nonsense", root=root)
    with pytest.raises(data.DataError):
        train(TINY, "language", root=root)      # not built there
    if not torch.cuda.is_available():
        with pytest.raises(TrainingError, match="CUDA"):
            train(TINY, ds, device="cuda:0")
    dense = Dataset(data.get_task("darcyflow"), ds.directory, ds.train, ds.valid, ds.test, input=ds.input,
                    classes=None)
    with pytest.raises(TrainingError, match="dense"):
        train(TINY, dense)
    assert issubclass(TrainingError, EinspaceError)


def test_progress_bar_only_when_asked_or_on_a_terminal(ds, capsys):
    train(TINY, ds, progress=True, **FAST)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "loss" in err
    train(TINY, ds, **FAST)                       # stderr is not a terminal under pytest
    assert capsys.readouterr().err == ""


# --- batch-norm recalibration of short runs ------------------------------------------------------------

NORMED = "sequential(routing[im2col(4,4,0), linear(16), col2im], sequential(norm, relu))"


def test_auto_recalibrates_short_runs_only(ds):
    from einspace.training.loop import needs_recalibration
    net = einspace.build(einspace.parse(NORMED), "3x28x28", classes=20)
    assert needs_recalibration(net, "auto", 7) and not needs_recalibration(net, "auto", 175)
    assert needs_recalibration(net, "always", 10_000) and not needs_recalibration(net, "never", 1)
    plain = einspace.build(einspace.parse(TINY), "3x28x28", classes=20)
    assert not needs_recalibration(plain, "always", 1)   # nothing to recalibrate
    short = train(NORMED, ds, epochs=1, batch_size=64)    # 3 steps
    assert short.ok and short.recalibrated and short.recipe.recalibrate == "auto"
    never = train(NORMED, ds, epochs=1, batch_size=64, recalibrate="never")
    assert never.ok and not never.recalibrated
    assert never.train_loss == short.train_loss            # training itself is untouched


def test_recalibration_sets_running_stats_to_the_training_average(ds):
    from einspace.training.loop import recalibrate
    net = einspace.build(einspace.parse("sequential(norm, relu)"), "3x28x28", classes=20)
    x = torch.from_numpy(ds.train.x[:128])
    recalibrate(net, x, torch.arange(128), 32)
    bn = next(m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d))
    assert torch.allclose(bn.running_mean, x.mean(dim=(0, 2, 3)), atol=1e-5)
    assert bn.momentum == 0.1


def test_bad_recalibrate_mode_is_refused(ds):
    with pytest.raises(TrainingError, match="recalibrate"):
        train(TINY, ds, recalibrate="sometimes")
