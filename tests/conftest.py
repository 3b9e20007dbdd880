"""Shared test configuration: Hypothesis profiles.

``default``: deterministic (derandomised) and without deadlines, so CI on 2 busy cores is stable.
``thorough``: more examples, random seeds (``HYPOTHESIS_PROFILE=thorough pytest``).
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.register_profile("thorough", deadline=None, max_examples=5000,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
