"""The browser tests' live server: a client connection left open (HTTP keep-alive, as a browser
context a test didn't close leaves it) ends before the server stops sharing the test's database
connection with its request threads, so no request thread fails closing it."""

import http.client
import threading

import pytest
from django.db import connection

from tests.live_server import start_live_server


def request_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.endswith("(process_request_thread)")]


@pytest.mark.django_db
def test_a_connection_left_open_ends_before_the_server_stops_sharing_the_database():
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite in memory shares the test's connection with the server")
    server = start_live_server("localhost")
    assert server.thread.connections_override, "SQLite in memory: the test's connection is shared"
    client = http.client.HTTPConnection("localhost", server.thread.port, timeout=5)
    client.request("GET", "/healthz")
    answer = client.getresponse()
    assert answer.read() == b"ok"
    assert not answer.will_close, "kept alive"

    server.stop()
    client.close()
    for thread in request_threads():
        thread.join(5)
    # pytest fails the test if a request thread raised (filterwarnings in pyproject.toml).
