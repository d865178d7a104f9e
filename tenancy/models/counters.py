"""Counters every web server shares when the cache is the database: rate windows, sign-in
allowances. One row a key; `tenancy.counters` adds to it in one statement, so two servers
counting at the same moment never lose a count. (With CACHE_URL=redis://… they live in Redis
and this table stays empty.)"""

from django.db import models


class Counter(models.Model):
    key = models.CharField(max_length=200, primary_key=True)
    value = models.BigIntegerField()
    # Seconds since the epoch: compared in SQL, the same on SQLite and PostgreSQL.
    expires = models.FloatField(db_index=True)

    class Meta:
        db_table = "tenancy_counter"

    def __str__(self):
        return f"{self.key} = {self.value}"
