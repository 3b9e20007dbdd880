"""Shared test configuration: Hypothesis profiles and the fixtures several folders use.

Hypothesis profiles: ``default``: deterministic (derandomised) and without deadlines, so CI on 2
busy cores is stable. ``thorough``: more examples, random seeds (``HYPOTHESIS_PROFILE=thorough pytest``).

Plain helper functions and strategies live in ``tests/helpers.py`` (``from helpers import ...``).
"""

import os

import pytest
from hypothesis import HealthCheck, settings

try:  # tiny tensors: one thread avoids oversubscribing the 2 cores (and is much faster)
    import torch
    torch.set_num_threads(1)
except ImportError:  # torch is optional for the language tests
    pass

settings.register_profile("default", deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.register_profile("thorough", deadline=None, max_examples=5000,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def cli(capsys):
    """The ``einspace`` command line, run in this process: ``code, out, err = cli("check", ARCH, "-i", "3x8x8")``."""
    from einspace.cli.main import main

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err
    return run
