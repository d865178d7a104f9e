"""Counts every web server shares, that no two of them can lose: `hit(key, per)` adds one and
says the new count and when its window ends, in one atomic step.

A window opens at a key's first hit and lasts `per` seconds; the hit after it ends starts the
next at 1. Where the count lives follows the shared cache (CACHES["default"]):

- Redis (CACHE_URL=redis://…): INCR, and EXPIRE … NX on the window's first hit, in one MULTI.
- Otherwise, the database: one INSERT … ON CONFLICT DO UPDATE … RETURNING on tenancy_counter,
  which adds to the row, or starts it again once its window is over, as one statement. Django's
  database cache can't do that (its `incr` reads, then writes a pickled value: two servers
  counting at once lose one of the counts), so counts are not kept in it.

A count is only ever added to, then forgotten when its window ends (`clear` forgets it sooner:
a successful sign-in clears its own allowance). Expired rows are deleted by `prune`, which
`hit` calls now and then.

When Redis doesn't answer (restarting, unreachable), counts go to the database meanwhile, as
exact, with a warning in the log: limits hold through the outage, and nothing answers 500 for
it. Counts made before the outage are not seen during it, nor the outage's after it: a limit may
start again once on each side, never more.
"""

import logging
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.db import connection

from tenancy.models import Counter

logger = logging.getLogger(__name__)
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
# One hit in this many deletes the database's expired counts (a few rows each time).
PRUNE_ONE_IN = 1000


@dataclass(frozen=True, slots=True)
class Count:
    value: int
    ends: float  # when the window ends, seconds since the epoch

    def wait(self, now: float | None = None) -> int:
        """Whole seconds until the window ends (at least 1)."""
        return max(1, int(self.ends - (time.time() if now is None else now) + 0.999))


def _on_redis() -> bool:
    return settings.CACHES["default"]["BACKEND"] == REDIS_CACHE


def _redis(key: str):
    full = shared_cache.make_and_validate_key(f"count:{key}")
    return full, shared_cache._cache.get_client(full, write=True)


def _redis_away(error: Exception) -> None:
    logger.warning("Redis did not answer (%s): counting in the database meanwhile", error)


def hit(key: str, *, per: int) -> Count:
    """Add one to `key`'s count in its current window of `per` seconds; the count after it."""
    if _on_redis():
        try:
            return _hit_redis(key, per)
        except _redis_errors() as error:
            _redis_away(error)
    return _hit_database(key, per)


def _hit_redis(key: str, per: int) -> Count:
    now = time.time()
    full, client = _redis(key)
    pipe = client.pipeline(transaction=True)
    pipe.incr(full)
    pipe.expire(full, per, nx=True)
    pipe.pttl(full)
    value, _set, ttl_ms = pipe.execute()
    return Count(int(value), now + (ttl_ms / 1000 if ttl_ms > 0 else per))


def _hit_database(key: str, per: int) -> Count:
    now = time.time()
    table = connection.ops.quote_name(Counter._meta.db_table)
    key_column = connection.ops.quote_name("key")
    with connection.cursor() as cursor:  # one statement: atomic on its own
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, value, expires) VALUES (%s, 1, %s) "  # noqa: S608
            f"ON CONFLICT ({key_column}) DO UPDATE SET "
            f"value = CASE WHEN {table}.expires <= %s THEN 1 ELSE {table}.value + 1 END, "
            f"expires = CASE WHEN {table}.expires <= %s THEN excluded.expires "
            f"ELSE {table}.expires END "
            f"RETURNING value, expires",
            [key, now + per, now, now],
        )
        value, ends = cursor.fetchone()
    if random.randrange(PRUNE_ONE_IN) == 0:  # noqa: S311 (not a secret)
        prune()
    return Count(int(value), float(ends))


def _redis_errors() -> tuple[type[Exception], ...]:
    import redis

    return (redis.ConnectionError, redis.TimeoutError)


def peek(*keys: str) -> dict[str, Count]:
    """The counts of `keys` in their current windows (keys with none are left out), without
    adding to them: one round trip."""
    if not keys:
        return {}
    if _on_redis():
        try:
            return _peek_redis(keys)
        except _redis_errors() as error:
            _redis_away(error)
    return {
        row.key: Count(row.value, row.expires)
        for row in Counter.objects.filter(key__in=keys, expires__gt=time.time())
    }


def _peek_redis(keys) -> dict[str, Count]:
    now = time.time()
    fulls = [_redis(key)[0] for key in keys]
    pipe = _redis(keys[0])[1].pipeline(transaction=False)
    for full in fulls:
        pipe.get(full)
        pipe.pttl(full)
    answers = pipe.execute()
    found = {}
    for key, value, ttl_ms in zip(keys, answers[0::2], answers[1::2], strict=True):
        if value is not None and ttl_ms > 0:
            found[key] = Count(int(value), now + ttl_ms / 1000)
    return found


def clear(*keys: str) -> None:
    """Forget these counts now (wherever they were counted)."""
    if not keys:
        return
    if _on_redis():
        try:
            _redis(keys[0])[1].delete(*[_redis(key)[0] for key in keys])
        except _redis_errors() as error:
            _redis_away(error)
    Counter.objects.filter(key__in=keys).delete()


def prune() -> int:
    """Delete the database's counts whose window is over; how many."""
    deleted, _ = Counter.objects.filter(expires__lte=time.time()).delete()
    return deleted
