"""bench.settings (the production settings) for `make bench-guessers`, with sign-in throttling
switchable by environment, and the client's address read from X-Forwarded-For.

SIGN_IN_THROTTLING=false takes tenancy.web.sign_in_guard out: its backend (the allowances taken
before a password is checked), SignInLockMiddleware (the refusal before the session, the CSRF
check and the form) and the site-wide budget of password checks for unknown browsers. Every
guess is then hashed, as Django alone does. Otherwise the production settings as they are.
Production has no such switch; only the benchmark's settings read one.

USE_X_FORWARDED_FOR: the guessers that spread over addresses say theirs in X-Forwarded-For, as
the proxy in front of production does (deploy/); sign-in throttling counts by it
(tenancy.web.http.client_ip). Requests without the header count as 127.0.0.1.
"""

import os

from bench.settings import *  # noqa: F403

GUARD_BACKEND = "tenancy.web.sign_in_guard.SignInGuardBackend"
LOCK_MIDDLEWARE = "tenancy.web.middleware.SignInLockMiddleware"

SIGN_IN_THROTTLING = os.environ.get("SIGN_IN_THROTTLING", "true").strip().lower() not in {
    "false",
    "0",
    "no",
    "off",
}

# The switch must take out what production has: if these names move, the benchmark stops here
# instead of measuring a guard that is still on.
if GUARD_BACKEND not in AUTHENTICATION_BACKENDS or LOCK_MIDDLEWARE not in MIDDLEWARE:  # noqa: F405
    raise RuntimeError(f"{GUARD_BACKEND} or {LOCK_MIDDLEWARE} is not in the production settings")

if not SIGN_IN_THROTTLING:
    AUTHENTICATION_BACKENDS = [b for b in AUTHENTICATION_BACKENDS if b != GUARD_BACKEND]  # noqa: F405
    MIDDLEWARE = [m for m in MIDDLEWARE if m != LOCK_MIDDLEWARE]  # noqa: F405
    SIGN_IN_UNKNOWN_PER_SECOND = 0

USE_X_FORWARDED_FOR = True
