"""The whole search over Dask: a LocalCluster of 2 worker processes started by the run itself.

Exactly the budget with nothing repeated; a worker SIGKILLed mid-evaluation (by the evaluation
itself, on its first attempt) costs that attempt only and the trial is sent again, or recorded as
``worker_died`` when out of retries.
"""

from __future__ import annotations

import functools
import os
import signal

import pytest

from einspace import search
from einspace.search import Journal, configure
from einspace.testing.evaluations import proxy_evaluate

slow_proxy = functools.partial(proxy_evaluate, delay=0.2)


def dies_once(job):
    """Kill this worker process (SIGKILL) on trial 3's first attempt; otherwise the proxy."""
    if job.trial == 3 and job.attempt == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return proxy_evaluate(job, delay=0.1)


def config(**kw):
    return configure("fashion", **{"strategy": "re", "evaluations": 10, "population": 4, "tournament": 3,
                                   "epochs": 1, **kw})


def attempts(path):
    with Journal(path) as log:
        return [(e.trial, e.attempt) for e in log.events() if e.kind == "trial_dispatched"]


def test_two_workers_reach_the_budget_with_nothing_repeated(tmp_path):
    path = tmp_path / "d.db"
    result = search.run(config(), journal=path, executor="dask", workers=2, fn=slow_proxy)
    assert len(result.by_state("finished")) == 10 and not result.by_state("pending")
    sent = attempts(path)
    assert len(sent) == len(set(sent)) == len(result.trials)
    with Journal(path) as log:
        workers = {t.worker for t in log.trials() if t.state == "finished"}
        assert len(workers) == 2           # both workers evaluated trials


def test_a_worker_killed_mid_evaluation_costs_one_attempt(tmp_path):
    path = tmp_path / "k.db"
    result = search.run(config(evaluations=6), journal=path, executor="dask", workers=2, fn=dies_once)
    assert len(result.by_state("finished")) == 6
    with Journal(path) as log:
        t3 = log.trial(3)
        assert t3.state == "finished" and t3.attempts == 2
        lost = [e for e in log.events() if e.kind == "trial_failed"]
        assert [(e.trial, e.attempt, e.data["status"]) for e in lost] == [(3, 1, "worker_died")]


def test_out_of_retries_the_trial_is_recorded_as_worker_died(tmp_path):
    path = tmp_path / "r.db"
    result = search.run(config(evaluations=6, retries=0), journal=path, executor="dask", workers=2, fn=dies_once)
    assert len(result.by_state("finished")) == 6
    t3 = Journal(path).trial(3)
    assert t3.state == "failed" and t3.status == "worker_died" and t3.attempts == 1
