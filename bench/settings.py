"""The project's production settings (config.settings.base), for `make bench` only.

Everything comes from config.settings.base and the environment the benchmark sets (DEBUG off, a
random SECRET_KEY, the throwaway database, persistent connections). The one difference: the
collected static files go to a scratch folder (BENCH_STATIC_ROOT), so a benchmark never writes
into the project's own `staticfiles/`.
"""

import os

from config.settings.base import *  # noqa: F403

if os.environ.get("BENCH_STATIC_ROOT"):
    STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
