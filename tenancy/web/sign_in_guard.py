"""How many passwords a sign-in may try, and from where: exact under any number of parallel
guessers, and never a way for a stranger to keep the owner out.

Each try is taken from an allowance *before* its password is checked (`tenancy.counters.hit`,
one atomic step on whatever every web server shares), so with an allowance of 5 exactly 5
passwords are checked, however many guesses arrive at once; the rest are refused without a hash.
Which allowance a try comes from (OWASP's device cookies):

- A browser where this account signed in before carries a signed cookie naming the account (by a
  hash) and a random device id. Its tries come from that device's own allowance: strangers'
  guesses, which have no such cookie, can't spend it, so the owner signs in from their browser
  while the account is under attack.
- Every other try comes from the account's allowance for unknown browsers *and* its address's
  (one address guessing at many accounts is stopped too; its guesses don't lock those accounts
  for their owners' browsers).

And tries from unknown browsers, all accounts and addresses together, are held to
SIGN_IN_UNKNOWN_PER_SECOND across the site: guessers spread over many addresses and names can't
keep every worker hashing passwords (each check costs a PBKDF2 hash) and slow everyone's pages.
Past it, an unknown browser is asked to try again in a moment; known browsers never wait.

The limit-th failure locks that allowance until its window (SIGN_IN_LOCK_MINUTES from its first
failure) ends; a success clears the allowance it used. Counted failures and each new lock are
audit lines (tenancy.web.signals); refused tries are not, so a guesser can't fill the trail.
"""

import hashlib
import secrets
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied

from tenancy import counters
from tenancy.web.http import client_ip

DEVICE_COOKIE = "sign_in_device"
DEVICE_COOKIE_AGE = 180 * 24 * 60 * 60
DEVICE_SALT = "tenancy.sign-in-device"
DEVICES_PER_BROWSER = 5


def limit() -> int:
    return settings.SIGN_IN_FAILURE_LIMIT


def window() -> int:
    return int(settings.SIGN_IN_LOCK.total_seconds())


def _hashed(text: str) -> str:
    # A key holds no user-chosen characters (any store takes it), and no name in clear.
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _account(username: str) -> str:
    return _hashed(username.strip().lower())


def _devices(request) -> list[list[str]]:
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        entries = signing.loads(raw, salt=DEVICE_SALT, max_age=DEVICE_COOKIE_AGE)
    except signing.BadSignature:
        return []
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, list) and len(e) == 2][:DEVICES_PER_BROWSER]


def device_of(request, username: str) -> str | None:
    """This browser's device id for `username`, if the account signed in here before."""
    if not username:
        return None
    account = _account(username)
    return next((device for who, device in _devices(request) if who == account), None)


def allowances(request, username: str | None) -> list[str]:
    """The counters a try by `username` from this request is taken from."""
    username = (username or "").strip()
    if device := device_of(request, username):
        return [f"sign-in:device:{device}"]
    keys = []
    if username:
        keys.append(f"sign-in:account:{_account(username)}")
    if address := client_ip(request):
        keys.append(f"sign-in:address:{_hashed(address)}")
    return keys


def lock_in_force(request, username: str | None) -> datetime | None:
    """When the lock on this try's allowance ends, if one holds now (one read; nothing added)."""
    counts = counters.peek(*allowances(request, username)).values()
    ends = max((c.ends for c in counts if c.value >= limit()), default=None)
    if ends is None or ends <= time.time():
        return None
    return datetime.fromtimestamp(ends, tz=UTC)


def take_try(request, username: str | None) -> None:
    """Take one try from this request's allowances, before its password is checked; refused
    (PermissionDenied) if one of them is spent. What it took is kept on the request, for the
    audit and for a success to clear."""
    keys = allowances(request, username)
    per_second = settings.SIGN_IN_UNKNOWN_PER_SECOND
    if per_second and not keys[0].startswith("sign-in:device:"):
        busy = counters.hit("sign-in:unknown-browsers", per=1)
        if busy.value > per_second:
            request.sign_in_refused = True
            request.sign_in_busy = busy.wait()
            raise PermissionDenied
    taken = {key: counters.hit(key, per=window()) for key in keys}
    request.sign_in_tries = taken
    spent = [count for count in taken.values() if count.value > limit()]
    if spent:
        request.sign_in_refused = True
        request.sign_in_locked_until = datetime.fromtimestamp(max(c.ends for c in spent), tz=UTC)
        raise PermissionDenied


def failed(request) -> tuple[int, bool] | None:
    """After a wrong password: (failures so far, whether this one locked), or None when the try
    was refused without a check."""
    taken = getattr(request, "sign_in_tries", None)
    if not taken or getattr(request, "sign_in_refused", False):
        return None
    failures = max(count.value for count in taken.values())
    locking = [count for count in taken.values() if count.value == limit()]
    if locking:
        request.sign_in_locked_until = datetime.fromtimestamp(max(c.ends for c in locking), tz=UTC)
    return failures, bool(locking)


def succeeded(request) -> None:
    """A right password: the allowance it was taken from starts again."""
    taken = getattr(request, "sign_in_tries", None)
    if taken:
        counters.clear(*taken)


def remember_device(request, response, *usernames: str) -> None:
    """After a sign-in with the right password: this browser is now known for the account (by
    each name it was signed in with: user name or email)."""
    accounts = [_account(name) for name in usernames if name]
    device = next(filter(None, (device_of(request, name) for name in usernames)), None)
    device = device or secrets.token_urlsafe(16)
    kept = [entry for entry in _devices(request) if entry[0] not in accounts]
    entries = [*([account, device] for account in accounts), *kept][:DEVICES_PER_BROWSER]
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(entries, salt=DEVICE_SALT, compress=True),
        max_age=DEVICE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


class SignInGuardBackend:
    """First of AUTHENTICATION_BACKENDS: takes the try from its allowance (or refuses it, which
    stops Django's authenticate before any password is hashed); checks nothing itself."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None and username is not None:
            take_try(request, username)
        return None

    # No get_user: it signs no one in, so Django never records it as a session's backend.
