"""The parts `make faults` (bench/faults.py) starts, breaks and removes, on 127.0.0.1 only: the
systemd units of deploy/systemd, read and run as systemd would (there is no systemd here), a
PostgreSQL cluster of its own, Redis, an SMTP sink, a webhook receiver and nginx with
deploy/nginx/portal.conf."""

import contextlib
import email
import email.policy
import os
import re
import select
import shlex
import shutil
import signal
import socket
import socketserver
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.servers import ROOT, log

UNITS = ROOT / "deploy" / "systemd"
PROXY_CONFIG = ROOT / "deploy" / "nginx" / "portal.conf"
HOST = "127.0.0.1"
CLUSTER = "faults"
# The upstream servers in deploy/nginx/portal.conf, and the web unit's bind: 127.0.0.1:800<i>.
WEB_PORTS = {1: 8001, 2: 8002}


def run(*command: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run(  # noqa: S603 (our own arguments, no shell)
        command, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return done


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- systemd's units, read and run as systemd would (there is no systemd here) ---------------


@dataclass
class Unit:
    name: str
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    restart: str = "no"
    restart_sec: float = 0.1
    kill_signal: int = signal.SIGTERM
    kill_mode: str = "control-group"
    stop_timeout: float = 90.0


def specifiers(text: str, instance: str) -> str:
    def swap(match: re.Match) -> str:
        letter = match.group(1)
        values = {"i": instance, "H": socket.gethostname(), "%": "%"}
        if letter not in values:
            raise SystemExit(f"bench/faults.py does not know the unit specifier %{letter}.")
        return values[letter]

    return re.sub(r"%(.)", swap, text)


def read_environment_file(path: Path) -> dict[str, str]:
    """KEY=value lines, as systemd's EnvironmentFile= reads them (comments, blank lines, quotes)."""
    values = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def seconds(value: str) -> float:
    """A systemd time span: "2", "2s", "500ms", "1min"."""
    match = re.fullmatch(r"([\d.]+)\s*(ms|s|sec|min|m)?", value.strip())
    if not match:
        raise SystemExit(f"bench/faults.py does not read the time span {value!r}.")
    number, unit = float(match.group(1)), match.group(2) or "s"
    return number * {"ms": 0.001, "s": 1, "sec": 1, "min": 60, "m": 60}[unit]


def read_unit(path: Path, *, instance: str, swaps: dict[str, str]) -> Unit:
    """The [Service] section of a unit file: its command, folder, environment and restart policy,
    the production paths swapped for this run's."""
    section, service, environment, files = None, {}, [], []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section != "[Service]":
            continue
        key, _, value = line.partition("=")
        value = specifiers(value.strip(), instance)
        for old, new in swaps.items():
            value = value.replace(old, new)
        if key.strip() == "Environment":
            environment += shlex.split(value)
        elif key.strip() == "EnvironmentFile":
            files.append(value)
        else:
            service[key.strip()] = value
    if "ExecStart" not in service:
        raise SystemExit(f"{path.relative_to(ROOT)} has no ExecStart.")
    # What systemd gives a service, then Environment=, then the files (which win).
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
    }
    env |= dict(assignment.split("=", 1) for assignment in environment)
    for name in files:
        optional = name.startswith("-")
        file = Path(name.lstrip("-"))
        if file.exists() or not optional:
            env |= read_environment_file(file)
    argv = shlex.split(service["ExecStart"].lstrip("-@:+!"))
    return Unit(
        name=path.name.replace("@.", f"@{instance}.") if instance else path.name,
        argv=argv,
        cwd=Path(service.get("WorkingDirectory", "/")),
        env=env | {"HOME": str(Path(files[0]).parent) if files else "/"},
        restart=service.get("Restart", "no"),
        restart_sec=seconds(service.get("RestartSec", "100ms")),
        kill_signal=getattr(signal, service.get("KillSignal", "SIGTERM")),
        kill_mode=service.get("KillMode", "control-group"),
        stop_timeout=seconds(service.get("TimeoutStopSec", "90")),
    )


def verify_units(folder: Path, swaps: dict[str, str]) -> str:
    """`systemd-analyze verify` on the units, their paths swapped for this run's (it checks that
    the commands exist). Any complaint stops the run."""
    if shutil.which("systemd-analyze") is None:
        return "systemd-analyze is not installed: the units were not verified"
    copies = folder / "systemd"
    copies.mkdir()
    for unit in sorted(UNITS.iterdir()):
        text = unit.read_text()
        for old, new in swaps.items():
            text = text.replace(old, new)
        (copies / unit.name).write_text(text)
    done = run("systemd-analyze", "verify", "--man=no", *map(str, sorted(copies.iterdir())))
    complaints = (done.stdout + done.stderr).strip()
    if complaints:
        raise SystemExit(f"systemd-analyze verify found problems in deploy/systemd:\n{complaints}")
    return f"systemd-analyze verify: {len(list(copies.iterdir()))} units, no problem"


class Service:
    """A unit's process, started again when it exits as its Restart= says (as systemd would):
    `kill()` is the fault, `stop()` the end of the run."""

    def __init__(self, unit: Unit, folder: Path):
        self.unit = unit
        self.log_path = folder / f"{unit.name}.log"
        self.process: subprocess.Popen | None = None
        self.stopping = False
        self.exits: list[tuple[float, int]] = []  # (time, exit status)
        self.started: list[float] = []
        self._watcher: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock, open(self.log_path, "ab") as output:
            self.process = subprocess.Popen(  # noqa: S603 (the unit's own command, no shell)
                self.unit.argv,
                cwd=self.unit.cwd,
                env=self.unit.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: its control group here
            )
            self.started.append(time.time())
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, daemon=True)
            self._watcher.start()

    def _watch(self) -> None:
        while not self.stopping:
            process = self.process
            status = process.wait()
            if self.stopping:
                return
            self.exits.append((time.time(), status))
            self._signal_group(process.pid, signal.SIGKILL)  # what is left of its group
            again = self.unit.restart == "always" or (
                self.unit.restart == "on-failure" and status != 0
            )
            if not again:
                return
            time.sleep(self.unit.restart_sec)
            if not self.stopping:
                self.start()

    @staticmethod
    def _signal_group(pid: int, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signum)

    def kill(self) -> int:
        """SIGKILL to the whole group (gunicorn's master and its workers): the fault."""
        pid = self.process.pid
        self._signal_group(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        self.stopping = True
        with self._lock:
            process = self.process
        if process is None:
            return
        if process.poll() is None:
            if self.unit.kill_mode == "mixed":
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, self.unit.kill_signal)
            else:
                self._signal_group(process.pid, self.unit.kill_signal)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(min(self.unit.stop_timeout, 30))
        self._signal_group(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)


# --- PostgreSQL, Redis, the SMTP sink, the webhook receiver, nginx -----------------------------


class Cluster:
    """A PostgreSQL cluster of its own, made with Debian's tools and dropped at the end."""

    def __init__(self, port: int):
        versions = sorted(
            (p.name for p in Path("/etc/postgresql").iterdir() if p.name.isdigit()), key=int
        )
        if not versions or shutil.which("pg_createcluster") is None:
            raise SystemExit("PostgreSQL's Debian tools (pg_createcluster) are needed.")
        self.version, self.port = versions[-1], port
        self.made = False

    def exists(self) -> bool:
        return Path(f"/etc/postgresql/{self.version}/{CLUSTER}").exists()

    def create(self) -> None:
        if self.exists():
            log(f"A cluster {self.version}/{CLUSTER} was left by an earlier run: dropping it.")
            run("pg_dropcluster", "--stop", self.version, CLUSTER)
        if not port_is_free(self.port):
            raise SystemExit(f"Port {self.port} is taken: the throwaway cluster needs it.")
        self.made = True
        run(
            "pg_createcluster",
            self.version,
            CLUSTER,
            "--port",
            str(self.port),
            "--start-conf",
            "manual",
            "--",
            "--auth=trust",
        )
        run("pg_ctlcluster", self.version, CLUSTER, "start")

    def restart(self) -> None:
        run("pg_ctlcluster", self.version, CLUSTER, "restart", "-m", "fast")

    def drop(self) -> None:
        if self.made and self.exists():
            run("pg_dropcluster", "--stop", self.version, CLUSTER, check=False)


class Redis:
    def __init__(self, port: int, folder: Path):
        self.port, self.folder = port, folder
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if not port_is_free(self.port):
            raise SystemExit(
                f"Port {self.port} is taken: the throwaway Redis needs it (left by a killed run? "
                f"redis-cli -p {self.port} shutdown)."
            )
        with open(self.folder / "redis.log", "ab") as output:
            self.process = subprocess.Popen(  # noqa: S603 (our own arguments, no shell)
                [
                    shutil.which("redis-server") or "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    HOST,
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.folder),
                ],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if not wait_for(self.ping, 10):
            raise RuntimeError(f"Redis did not start:\n{tail(self.folder / 'redis.log')}")

    def ping(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None


@dataclass
class Mail:
    at: float
    recipients: tuple[str, ...]
    subject: str
    text: str
    message_id: str = ""


class Listener:
    """A part on a loopback port that a fault takes away and brings back: `stop()` closes the
    port (connections are refused), the subclass's `start()` opens it again."""

    _server: socketserver.ThreadingTCPServer | None = None

    def _serve(self, server: socketserver.ThreadingTCPServer) -> None:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True).start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class SmtpSink(Listener):
    """Enough of SMTP for Django's mailer; every message kept. `stop()` closes the port (the
    mail server is gone: connections are refused), `start()` opens it again."""

    def __init__(self, port: int):
        self.port = port
        self.mails: list[Mail] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        sink = self

        class Session(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 127.0.0.1 SMTP sink")
                recipients: list[str] = []
                while line := self.rfile.readline(65536):
                    verb = line[:4].upper()
                    if verb in (b"EHLO", b"HELO"):
                        self.reply("250 127.0.0.1")
                    elif verb == b"MAIL":
                        recipients = []
                        self.reply("250 OK")
                    elif verb == b"RCPT":
                        address = re.search(rb"<([^>]*)>", line)
                        recipients.append(address.group(1).decode() if address else "")
                        self.reply("250 OK")
                    elif verb == b"DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        lines = []
                        while (data := self.rfile.readline(65536)) not in (b".\r\n", b""):
                            lines.append(data[1:] if data.startswith(b"..") else data)
                        sink.keep(tuple(recipients), b"".join(lines))
                        self.reply("250 OK")
                    elif verb == b"QUIT":
                        self.reply("221 Bye")
                        return
                    elif verb in (b"RSET", b"NOOP"):
                        self.reply("250 OK")
                    else:
                        self.reply("502 Not implemented")

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._serve(socketserver.ThreadingTCPServer((HOST, self.port), Session))

    def keep(self, recipients: tuple[str, ...], raw: bytes) -> None:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        with self._lock:
            self.mails.append(
                Mail(
                    time.time(),
                    recipients,
                    str(message["Subject"]),
                    text,
                    str(message["Message-ID"] or ""),
                )
            )


@dataclass
class Delivery:
    at: float
    event_id: str
    name: str
    verified: bool
    answered: bool  # False: its sender was gone before the answer (a worker killed mid-delivery)


def sender_gone(connection: socket.socket) -> bool:
    """The sender closed its end while waiting for the answer (no HTTP pipelining here, so
    anything to read is the end of the connection)."""
    ready, _, _ = select.select([connection], [], [], 0)
    if not ready:
        return False
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class Receiver(Listener):
    """The partner's webhook receiver: answers 204 to each POST (after `delay` seconds), keeping
    its webhook-id, whether its signature verified and whether the sender was still there for
    the answer. `stop()` closes the port, `start()` opens it again."""

    def __init__(self, port: int):
        self.port = port
        self.secret = ""
        self.delay = 0.0
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(receiver.delay)
                answered = not sender_gone(self.connection)
                receiver.keep(dict(self.headers.items()), body, answered)
                self.send_response(204)
                self.end_headers()

            def log_message(self, format, *args) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._serve(ThreadingHTTPServer((HOST, self.port), Handler))

    def keep(self, headers: dict[str, str], body: bytes, answered: bool) -> None:
        from standardwebhooks.webhooks import Webhook

        headers = {key.lower(): value for key, value in headers.items()}
        try:
            payload = Webhook(self.secret).verify(body, headers) if self.secret else {}
            verified = bool(self.secret)
        except Exception:
            payload, verified = {}, False
        event_id, name = headers.get("webhook-id", ""), payload.get("EventName", "")
        with self._lock:
            self.deliveries.append(Delivery(time.time(), event_id, name, verified, answered))


@dataclass
class Ports:
    https: int
    http: int
    web: dict[int, int]
    smtp: int
    receiver: int


def proxy_swaps(ports: Ports, folder: Path) -> dict[str, str]:
    """What deploy/nginx/portal.conf says for production, and what it is in this run."""
    return {
        "listen 443 ssl": f"listen {HOST}:{ports.https} ssl",
        "listen 80;": f"listen {HOST}:{ports.http};",
        **{f"{HOST}:{WEB_PORTS[i]}": f"{HOST}:{ports.web[i]}" for i in WEB_PORTS},
        "/etc/portal/tls/": f"{folder}/tls/",
        "/var/log/nginx/": f"{folder}/",
    }


class Proxy:
    """nginx in the foreground, with deploy/nginx/portal.conf in its http block."""

    def __init__(self, ports: Ports, folder: Path):
        self.folder = folder
        self.process: subprocess.Popen | None = None
        text = PROXY_CONFIG.read_text()
        for old, new in proxy_swaps(ports, folder).items():
            if old not in text:
                raise SystemExit(
                    f"deploy/nginx/portal.conf no longer says {old!r}: update {__file__}."
                )
            text = text.replace(old, new)
        if re.search(r"^\s*listen\s+(?!127\.0\.0\.1:)", text, re.M):
            raise SystemExit("deploy/nginx/portal.conf listens on an address this run can't swap.")
        (folder / "portal.conf").write_text(text)
        temp = folder / "nginx-temp"
        temp.mkdir(mode=0o777)
        temp.chmod(0o777)  # nginx's workers run as an unprivileged user
        paths = "\n".join(
            f"    {kind}_temp_path {temp}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        self.config = folder / "nginx.conf"
        self.config.write_text(
            f"worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/nginx-error.log;\n"
            f"events {{ worker_connections 512; }}\n"
            f"http {{\n{paths}\n    include {folder}/portal.conf;\n}}\n"
        )
        self.command = [
            shutil.which("nginx") or "/usr/sbin/nginx",
            "-p",
            str(folder),
            "-e",
            str(folder / "nginx-error.log"),
            "-c",
            str(self.config),
        ]

    def check(self) -> None:
        run(*self.command, "-t", "-q")

    def start(self) -> None:
        with open(self.folder / "nginx-output.log", "ab") as output:
            self.process = subprocess.Popen(  # noqa: S603 (our own arguments, no shell)
                [*self.command, "-g", "daemon off;"],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        self.process = None


def make_certificate(folder: Path) -> Path:
    tls = folder / "tls"
    tls.mkdir()
    run(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        f"/CN={HOST}",
        "-addext",
        f"subjectAltName=IP:{HOST}",
        "-keyout",
        str(tls / "privkey.pem"),
        "-out",
        str(tls / "fullchain.pem"),
    )
    return tls / "fullchain.pem"


# --- nginx's log, a unit run once ---------------------------------------------------------


ACCESS_LINE = re.compile(
    r'"(?P<method>\S+) \S+ \S+" (?P<status>\d+) .* "(?P<upstreams>[^"]*)" "[^"]*"$'
)


def proxy_retries(access_log: Path) -> str:
    """What nginx's access log says it did with requests a server could not answer."""
    again = posts = 0
    for line in access_log.read_text(errors="replace").splitlines():
        match = ACCESS_LINE.search(line)
        if not match:
            continue
        if ", " in match["upstreams"]:
            again += 1
        elif match["status"] == "502" and match["method"] == "POST":
            posts += 1
    return (
        f"nginx: {again} requests passed on to the other server after the first failed, "
        f"{posts} posts cut off by a failure answered 502 (not sent to the other server)"
    )


def oneshot(unit: Unit) -> str:
    done = subprocess.run(  # noqa: S603 (the unit's own command, no shell)
        unit.argv,
        cwd=unit.cwd,
        env=unit.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"{unit.name} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "(no output)"
