"""What an API call's queries include besides its own: the app's rate is one statement on the
database, none when the counters are on Redis (CACHE_URL=redis://…, CI's PostgreSQL leg)."""

from tenancy import counters

RATE_QUERIES = 0 if counters._on_redis() else 1
