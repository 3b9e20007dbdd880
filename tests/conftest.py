"""Shared test configuration: Hypothesis profiles.

``default``: deterministic (derandomised) and without deadlines, so CI on 2 busy cores is stable.
``thorough``: more examples, random seeds (``HYPOTHESIS_PROFILE=thorough pytest``).
"""

import os

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
