"""Running calls at the same moment, for the races the PostgreSQL tests prove."""

import threading

from django.db import connection


def at_once(*calls):
    """Run the calls in threads released together; return their results (or the exception
    each raised) in order. Each thread closes its own database connection."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results
