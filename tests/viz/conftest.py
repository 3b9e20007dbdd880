"""Journals of small proxy searches, shared by the plot and report tests (written once a session)."""

from __future__ import annotations

import pytest

import einspace
from einspace import search
from einspace.search import Journal
from einspace.testing.evaluations import proxy_evaluate

SEEDS = ("sequential(sequential(routing[im2col(4,4,0), linear(16), col2im], relu), identity)\n"
         "sequential(routing[im2col(4,4,0), linear(16), col2im], sequential(relu, identity))\n")
MESSAGE = '<script>alert("x")</script>'


def flaky(job):
    """The proxy evaluator with every fifth trial diverging (status nan, no score)."""
    ev = proxy_evaluate(job)
    return ev if job.trial % 5 else {**ev, "status": "nan", "score": None, "message": MESSAGE}


def make_runs(folder):
    """Two journals: a seeded run with cached copies and failures, and a plain run of another seed;
    and one of a run just started: one trial, pending."""
    seeds = folder / "seeds.txt"
    seeds.write_text(SEEDS)
    cfg = dict(strategy="re", evaluations=12, population=4, tournament=3, epochs=1)
    a, b, p = folder / "a.db", folder / "b.db", folder / "pending.db"
    search.run(search.configure("fashion", seed_arch=str(seeds), **cfg), journal=a, fn=flaky)
    search.run(search.configure("fashion", seed=1, **cfg), journal=b, fn=proxy_evaluate)
    with Journal(b) as done, Journal.create(p, done.config, done.meta) as log:
        tree = einspace.parse("sequential(norm, relu)")
        log.propose(log.next_id, origin="random", parents=[], arch=str(tree), hash=einspace.structural_hash(tree),
                    seed=0, fidelity="x")
    return a, b, p


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    return make_runs(tmp_path_factory.mktemp("runs"))


@pytest.fixture
def message():
    """The failure message the flaky evaluator records: markup that must come out escaped."""
    return MESSAGE
