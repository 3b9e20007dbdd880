"""run_job, evaluate and the local executor, and make_executor's checks (no Dask started here).

Real training of a 1,124-parameter network on a tiny synthetic AddNIST (``make_fixture``), so the
file runs in a few seconds; the Dask executor has its own file (test_dask_executor.py).
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from einspace import data
from einspace.errors import EinspaceError, ExecutorError
from einspace.search import worker
from einspace.search.executors import Executor, LocalExecutor, make_executor
from einspace.search.trial import Job, Outcome
from einspace.training import Evaluation, Fidelity, Recipe

TINY = "sequential(routing[im2col(4,4,0), linear(16), col2im], relu)"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    path = tmp_path_factory.mktemp("data")
    data.make_fixture("addnist", path, sizes=(200, 60, 40))
    return str(path)


def make_job(root: str, trial: int = 1, attempt: int = 1, arch: str = TINY, seed: int = 0) -> Job:
    ds = data.load("addnist", root)
    recipe = Recipe.for_task(ds.task, batch_size=16).to_json()
    fidelity = Fidelity.for_task(ds.task, epochs=1, threads=1).to_json()
    return Job(trial, attempt, arch, seed, "addnist", recipe, fidelity, root=root)


def echo(job: Job) -> dict:
    """A stand-in evaluation: says which job it saw."""
    return {"status": "ok", "trial": job.trial}


def broken(job: Job) -> dict:
    raise ValueError(f"no good: {job.key}")


# --- run_job and evaluate -----------------------------------------------------------------------------------

def test_run_job_gives_the_evaluation_dict(root):
    job = make_job(root)
    outcome = worker.run_job(job)
    assert isinstance(outcome, Outcome) and outcome.job == job
    assert outcome.error is None and not outcome.died and outcome.worker == "local" and outcome.seconds > 0
    ev = Evaluation.from_json(outcome.evaluation)
    assert ev.status == "ok" and 0.0 <= ev.score <= 1.0 and ev.seed == 0 and ev.fidelity.epochs == 1


def test_an_exception_in_fn_becomes_an_error_outcome(root):
    outcome = worker.run_job(make_job(root), broken)
    assert outcome.evaluation is None and not outcome.died
    assert outcome.error == "ValueError: no good: trial-1-1" and outcome.worker == "local"


def test_bad_input_found_on_the_worker_is_an_error_outcome(root):
    outcome = worker.run_job(make_job(root, arch="sequential(nonsense"))
    assert outcome.evaluation is None and outcome.error.startswith("ParseError: ")


def test_keyboard_interrupt_is_not_swallowed(root):
    def interrupted(job: Job) -> dict:
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        worker.run_job(make_job(root), interrupted)


def test_a_task_is_loaded_once_per_process(root, monkeypatch):
    worker.clear_cache()
    calls = []
    real = data.loaders.load
    monkeypatch.setattr(data.loaders, "load", lambda *a, **k: calls.append(a) or real(*a, **k))
    first = worker.cached_dataset("addnist", root)
    assert worker.cached_dataset("addnist", root) is first and len(calls) == 1
    worker.evaluate(make_job(root))
    assert len(calls) == 1


def test_evaluate_needs_no_torch_in_the_search_layer():
    code = "import sys, einspace.search.executors, einspace.search.worker; print('torch' in sys.modules, 'distributed' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# --- the local executor ---------------------------------------------------------------------------------

def test_local_executor_returns_every_job_in_order(root):
    jobs = [make_job(root, trial=i) for i in (1, 2, 3)]
    with LocalExecutor(echo) as ex:
        assert isinstance(ex, Executor) and ex.slots == 1 and ex.name == "local" and ex.describe() == "local"
        for job in jobs:
            ex.submit(job)
        assert ex.in_flight() == 3
        outcomes = ex.wait()
        assert [o.job for o in outcomes] == jobs and [o.evaluation["trial"] for o in outcomes] == [1, 2, 3]
        assert ex.in_flight() == 0 and all(o.worker == "local" for o in outcomes)


def test_local_executor_runs_real_evaluations_and_reports_errors(root):
    with LocalExecutor() as ex:
        ex.submit(make_job(root, trial=1))
        ex.submit(make_job(root, trial=2, arch="linear(16"))
        ok, bad = ex.wait()
    assert ok.evaluation["status"] == "ok" and bad.error.startswith("ParseError")


def test_local_wait_with_nothing_in_flight_returns_at_once():
    ex = LocalExecutor(echo)
    start = time.perf_counter()
    assert ex.wait() == [] and ex.wait(timeout=5) == []
    assert time.perf_counter() - start < 0.1


def test_local_wait_starts_no_job_after_its_timeout(root):
    def slow(job: Job) -> dict:
        time.sleep(0.05)
        return {"trial": job.trial}
    ex = LocalExecutor(slow)
    for i in range(3):
        ex.submit(make_job(root, trial=i))
    assert len(ex.wait(timeout=0.0)) == 1 and ex.in_flight() == 2
    assert len(ex.wait()) == 2


def test_submit_after_close_raises(root):
    ex = LocalExecutor(echo)
    ex.close()
    ex.close()  # idempotent
    with pytest.raises(ExecutorError, match="closed"):
        ex.submit(make_job(root))
    assert ex.wait() == [] and "closed" in repr(ex)


# --- make_executor --------------------------------------------------------------------------------------

def test_make_executor_local_by_default():
    ex = make_executor()
    assert isinstance(ex, LocalExecutor) and ex.slots == 1
    assert make_executor("local", fn=echo)._fn is echo


@pytest.mark.parametrize("kwargs, message", [
    (dict(kind="threads"), "unknown executor 'threads'; expected one of: local, dask"),
    (dict(kind="dask", workers=0), "workers must be an integer >= 1, got 0"),
    (dict(kind="dask", workers=1.5), "workers must be an integer >= 1"),
    (dict(kind="dask", workers=True), "workers must be an integer >= 1"),
    (dict(kind="dask", threads=0), "threads must be an integer >= 1, got 0"),
    (dict(kind="dask", scheduler="nowhere"), "scheduler must be an address such as tcp://host:8786"),
    (dict(kind="local", workers=2), "local executor runs one job in this process; it takes no workers"),
    (dict(kind="local", scheduler="tcp://h:1"), "takes no scheduler"),
    (dict(kind="dask", nanny=False), "the dask executor takes no option nanny"),
    (dict(kind="dask", lifetime=-1), "lifetime must be a number of seconds > 0"),
])
def test_make_executor_refuses_bad_settings(kwargs, message):
    with pytest.raises(ExecutorError) as info:
        make_executor(**kwargs)
    assert message in str(info.value) and isinstance(info.value, EinspaceError)
