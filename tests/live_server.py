"""pytest-django's live server, made to end its clients' connections before it stops.

A pytest plugin (`-p tests.live_server` in pyproject.toml). The live server is session-scoped and
stops before the session's browser does. With SQLite in memory, its request threads use the
test's own database connection, shared with them until the server stops. A browser connection
still open then (HTTP keep-alive: a browser context a test didn't close) ended after that, and
its thread closed a connection it could no longer touch: a DatabaseError in a server thread.
This server shuts its clients' sockets and waits for their threads when it closes, so every
request thread is done before the connection stops being shared.
"""

import contextlib
import os
import socket
import threading

import pytest


def _closing_server_class():
    from django.core.servers.basehttp import ThreadedWSGIServer

    class ClosingThreadedWSGIServer(ThreadedWSGIServer):
        """Closing it ends its clients' connections and waits for their threads."""

        daemon_threads = False
        block_on_close = True

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.clients: set[socket.socket] = set()
            self.clients_lock = threading.Lock()

        def process_request(self, request, client_address):
            with self.clients_lock:
                self.clients.add(request)
            super().process_request(request, client_address)

        def shutdown_request(self, request):
            with self.clients_lock:
                self.clients.discard(request)
            super().shutdown_request(request)

        def server_close(self):
            with self.clients_lock:
                clients = list(self.clients)
            for client in clients:
                # A thread waiting for a keep-alive client's next request reads the end and
                # finishes; one serving a request finishes it first.
                with contextlib.suppress(OSError):
                    client.shutdown(socket.SHUT_RDWR)
            super().server_close()  # joins the request threads

    return ClosingThreadedWSGIServer


def start_live_server(addr: str = "localhost"):
    """A started pytest-django LiveServer whose server ends its clients' connections."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer(addr, start=False)
    server.thread.server_class = _closing_server_class()
    server.start()
    return server


class Fixtures:
    @pytest.fixture(scope="session")
    def live_server(self, request):
        """pytest-django's `live_server`, on a server that ends its clients' connections."""
        server = start_live_server(
            request.config.getvalue("liveserver")
            or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
            or "localhost"
        )
        yield server
        server.stop()


def pytest_configure(config):
    # Registered now, after pytest-django (an installed plugin, loaded after `-p` ones), so that
    # this `live_server` is the one tests get.
    config.pluginmanager.register(Fixtures(), "tests.live_server.fixtures")
