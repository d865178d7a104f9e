"""bench.settings (the production settings) for `make bench-guessers`, with sign-in throttling
switchable by environment: SIGN_IN_THROTTLING=false turns django-axes off.

django-axes reads AXES_ENABLED from Django's settings only; production has no switch to turn it
off, so only the benchmark's settings read one.
"""

import os

from bench.settings import *  # noqa: F403

AXES_ENABLED = os.environ.get("SIGN_IN_THROTTLING", "true").strip().lower() not in {
    "false",
    "0",
    "no",
    "off",
}
