"""The Dask executor on a real LocalCluster of 2 worker processes, started once for the module.

Same results as the local executor, two jobs at once, a worker SIGKILLed mid-job reported as
``died`` (and the other worker untouched, a retry succeeding), a remote scheduler by address, and an
unreachable one refused quickly. The stand-in evaluations below are module-level so the workers
(spawned processes with this process's ``sys.path``) import them by name.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from dataclasses import replace
from pathlib import Path

import pytest

from einspace import data
from einspace.errors import ExecutorError
from einspace.search.executors import LocalExecutor, make_executor
from einspace.search.executors.dask import DaskExecutor
from einspace.search.trial import Job, Outcome
from einspace.training import Fidelity, Recipe

TINY = "sequential(routing[im2col(4,4,0), linear(16), col2im], relu)"
TIMING = ("build_seconds", "train_seconds", "score_seconds", "total_seconds")


def sleeper(job: Job) -> dict:
    """Sleep ``job.fidelity["sleep"]`` seconds; report when, where, and torch's thread count.
    With ``job.fidelity["mark"]``, first write this process's pid to that file."""
    import torch
    if "mark" in job.fidelity:
        Path(job.fidelity["mark"]).write_text(str(os.getpid()))
    start = time.time()
    time.sleep(job.fidelity["sleep"])
    return {"status": "ok", "start": start, "end": time.time(), "pid": os.getpid(),
            "threads": torch.get_num_threads()}


def sleep_job(trial: int, seconds: float, attempt: int = 1, **extra: object) -> Job:
    return Job(trial, attempt, "", 0, "addnist", {}, {"sleep": seconds, **extra})


def collect(ex, count: int, timeout: float = 60.0) -> list[Outcome]:
    """Wait until ``count`` outcomes are in (or fail after ``timeout`` seconds)."""
    out: list[Outcome] = []
    deadline = time.monotonic() + timeout
    while len(out) < count:
        left = deadline - time.monotonic()
        assert left > 0, f"only {len(out)} of {count} outcomes after {timeout} s"
        out += ex.wait(timeout=left)
    return out


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    path = tmp_path_factory.mktemp("data")
    data.make_fixture("addnist", path, sizes=(200, 60, 40))
    return str(path)


@pytest.fixture(scope="module")
def dask_ex():
    ex = DaskExecutor(workers=2, threads=1, fn=sleeper)
    yield ex
    ex.close()


def tiny_job(root: str, trial: int, seed: int = 0) -> Job:
    ds = data.load("addnist", root)
    return Job(trial, 1, TINY, seed, "addnist", Recipe.for_task(ds.task, batch_size=16).to_json(),
               Fidelity.for_task(ds.task, epochs=1).to_json(), root=root)


def test_the_executor_describes_itself(dask_ex):
    assert dask_ex.name == "dask" and dask_ex.slots == 2 and dask_ex.in_flight() == 0
    assert dask_ex.describe() == "dask LocalCluster 2 workers"
    assert dask_ex.wait() == []
    workers = dask_ex.client.scheduler_info()["workers"]
    assert len(workers) == 2 and all(w["nthreads"] == 1 for w in workers.values())


def trim_threshold() -> str | None:
    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def test_workers_keep_glibc_default_trimming(dask_ex):
    """The nanny's MALLOC_TRIM_THRESHOLD_=65536 makes torch training several times slower."""
    assert set(dask_ex.client.run(trim_threshold).values()) == {os.environ.get("MALLOC_TRIM_THRESHOLD_")}


def test_same_job_same_evaluation_as_the_local_executor(root, dask_ex):
    jobs = [tiny_job(root, 1), tiny_job(root, 2, seed=1)]
    with LocalExecutor() as local:
        for job in jobs:
            local.submit(job)
        here = {o.job.trial: o for o in local.wait()}
    # the real evaluation, on the module's cluster (joined by address: no second cluster to start)
    with make_executor("dask", scheduler=dask_ex.client.scheduler.address, threads=1) as ex:
        for job in jobs:
            ex.submit(job)
        there = {o.job.trial: o for o in collect(ex, 2)}
        names = {str(w["name"]) for w in ex.client.scheduler_info()["workers"].values()}
    for trial in (1, 2):
        a, b = here[trial].evaluation, there[trial].evaluation
        assert a["status"] == b["status"] == "ok" and there[trial].error is None
        assert {k: v for k, v in a.items() if k not in TIMING} == {k: v for k, v in b.items() if k not in TIMING}
        assert there[trial].worker in names and there[trial].seconds > 0
    assert here[1].evaluation["score"] != here[2].evaluation["score"] or \
        here[1].evaluation["train_loss"] != here[2].evaluation["train_loss"]


def test_two_jobs_run_at_once_with_one_torch_thread_each(dask_ex):
    dask_ex.submit(sleep_job(10, 1.0))
    dask_ex.submit(sleep_job(11, 1.0))
    a, b = (o.evaluation for o in collect(dask_ex, 2))
    overlap = min(a["end"], b["end"]) - max(a["start"], b["start"])
    assert overlap > 0.5 and a["pid"] != b["pid"] and a["threads"] == b["threads"] == 1


def test_an_error_on_a_worker_is_an_error_outcome(dask_ex):
    dask_ex.submit(Job(12, 1, "", 0, "addnist", {}, {}))  # sleeper finds no "sleep": KeyError
    (outcome,) = collect(dask_ex, 1)
    assert outcome.error == "KeyError: 'sleep'" and not outcome.died and outcome.worker in ("0", "1")


def test_a_duplicate_key_in_flight_is_refused(dask_ex):
    dask_ex.submit(sleep_job(13, 0.1))
    with pytest.raises(ExecutorError, match="already in flight"):
        dask_ex.submit(sleep_job(13, 0.1))
    collect(dask_ex, 1)


def test_a_worker_killed_mid_job_comes_back_died_and_a_retry_succeeds(dask_ex, tmp_path):
    mark = tmp_path / "pid"
    doomed = sleep_job(20, 30.0, mark=str(mark))
    dask_ex.submit(doomed)
    deadline = time.monotonic() + 30
    while not mark.exists() or not mark.read_text():
        assert time.monotonic() < deadline, "the long job never started"
        time.sleep(0.05)
    client = dask_ex.client
    (address,) = [addr for addr, keys in client.processing().items() if doomed.key in keys]
    pid = client.run(os.getpid, workers=[address])[address]
    assert pid == int(mark.read_text())
    bystander = sleep_job(21, 2.0)
    dask_ex.submit(bystander)
    time.sleep(0.3)   # let the bystander start on the other worker

    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    died = collect(dask_ex, 1, timeout=10)
    assert time.monotonic() - killed_at < 5
    (outcome,) = died
    assert outcome.job == doomed and outcome.died and outcome.evaluation is None
    assert outcome.error.startswith(f"KilledWorker: worker {outcome.worker} (") and f"pid {pid})" in outcome.error
    assert outcome.worker in ("0", "1")

    (other,) = collect(dask_ex, 1, timeout=20)
    assert other.job == bystander and other.error is None and not other.died
    assert other.evaluation["pid"] != pid

    retry = replace(doomed, attempt=2, fidelity={"sleep": 0.1})
    dask_ex.submit(retry)
    (again,) = collect(dask_ex, 1, timeout=60)
    assert again.job == retry and again.error is None and not again.died and again.evaluation["pid"] != pid


def test_a_running_scheduler_by_address(dask_ex):
    address = dask_ex.client.scheduler.address
    dask_ex.client.wait_for_workers(2, timeout=120)   # a worker killed by the test before may be restarting
    with DaskExecutor(scheduler=address, fn=sleeper) as ex:
        assert ex.describe() == f"dask {address}" and ex.slots == 2
        ex.submit(sleep_job(30, 0.1))
        (outcome,) = collect(ex, 1)
        assert outcome.evaluation["status"] == "ok"
    assert dask_ex.client.status == "running" and len(dask_ex.client.nthreads()) == 2  # not closed


def test_an_unreachable_scheduler_is_refused_quickly():
    with socket.socket() as s:   # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(ExecutorError, match=f"could not reach the Dask scheduler at 'tcp://127.0.0.1:{port}'"):
        DaskExecutor(scheduler=f"tcp://127.0.0.1:{port}", connect_timeout=1.0)
    assert time.monotonic() - start < 10


def test_closed_executor_refuses_jobs_and_close_is_idempotent():
    ex = make_executor("dask", workers=1, fn=sleeper)
    ex.submit(sleep_job(40, 30.0))   # abandoned at close, which does not wait for it
    start = time.monotonic()
    ex.close()
    assert time.monotonic() - start < 15
    ex.close()
    with pytest.raises(ExecutorError, match="closed"):
        ex.submit(sleep_job(41, 0.1))
    assert ex.in_flight() == 0 and ex.wait() == []


@pytest.mark.slow
def test_workers_restarted_by_lifetime_lose_no_job():
    with DaskExecutor(workers=2, fn=sleeper, lifetime=4) as ex:
        for i in range(12):
            ex.submit(sleep_job(50 + i, 1.0))
        outcomes = collect(ex, 12, timeout=120)
    assert all(o.error is None and not o.died for o in outcomes)
    assert len({o.evaluation["pid"] for o in outcomes}) > 2   # workers were replaced along the way
