"""Faults: the production setup on loopback, under a bounded load of real writes, while its parts
fail one at a time. Nothing a client was told is done may be lost or done twice.

    make faults
    .venv/bin/python -m bench.faults --clients 4 --outage 5          # a quicker run

What it does, in order (as root: it makes and drops a PostgreSQL cluster):

1. Starts its own parts (bench/fault_parts.py), on 127.0.0.1 only: a throwaway PostgreSQL
   cluster (`pg_createcluster <version> faults`, port 5497), Redis (port 6397, nothing saved), an
   SMTP sink and a webhook receiver (in this process), a self-signed certificate.
2. Reads deploy/: the systemd units' ExecStart, Environment, EnvironmentFile and Restart lines
   (checked by `systemd-analyze verify` when it is there), and nginx's deploy/nginx/portal.conf,
   as they are except for the ports and folders swapped for this run's. Writes the environment
   file the units name. Creates the database (bench.servers), migrates it, collects the static
   files and adds a partner, its app (key), its agent's session, customers to sell to and
   customers (with their Global admins' sessions) to accept its requests.
3. Starts two web servers (portal-web@1 and @2: gunicorn, 2 workers each), two task workers
   (portal-worker@1 and @2) and nginx (in the foreground), restarting any that exits as its unit's
   Restart= says, as systemd would. Runs the reminders unit once. Checks the proxy: plain HTTP
   redirects, sign-in posts past nginx's limit get 429. Registers the partner's webhook (API).
4. Clients (threads, over HTTPS through nginx) write, each recording every write the server
   acknowledged (bench/fault_load.py): relationship requests (API, each with a label and a
   recipient of its own), each then sent by email (Partner Center's Send: one email each), admin
   relationships (API, each with a name of its own), purchases (the customer page's form, each
   with a quantity of its own), acceptances (a customer's Global admin opens the request's link
   and accepts: a reseller relationship, an agreement and two webhook events) and test events
   (API: one webhook event each), and read the customer list (API). Meanwhile, one window each:
   no fault (the baseline); web server 1 killed (SIGKILL, master and workers) and started again;
   task worker 1 killed while it waits for a webhook receiver's answer; PostgreSQL restarted;
   Redis stopped and started again; the SMTP sink taken away and brought back; the webhook
   receiver taken away and brought back.
5. Waits (bounded) for the workers to drain the queue, then checks every acknowledged write in
   the database, every email at the sink and every webhook event at the receiver
   (bench/fault_checks.py). Twice means: a write done twice, an email the sink took twice, a
   webhook event whose receiver's answer reached the worker and which was sent again anyway (an
   attempt cut off before the answer is not a delivery; its repeat carries the same webhook-id).
6. Prints one row per window: requests sent, errors the clients saw, writes acknowledged and then
   missing, writes recorded twice, seconds to recover (also written to bench/last-faults.md), and
   exits 1 if anything is missing or twice. Stops and removes everything it started, whatever
   happened (an error, Ctrl-C, SIGTERM).
"""

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import ssl
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bench.fault_checks import (
    DELIVERIES,
    REQUESTS,
    Run,
    Window,
    check,
    notes,
    text_table,
    write_report,
)
from bench.fault_load import (
    Browser,
    Client,
    Ledger,
    build_fixture,
)
from bench.fault_parts import (
    CLUSTER,
    HOST,
    UNITS,
    WEB_PORTS,
    Cluster,
    Ports,
    Proxy,
    Receiver,
    Redis,
    Service,
    SmtpSink,
    make_certificate,
    oneshot,
    proxy_retries,
    read_unit,
    specifiers,
    tail,
    verify_units,
    wait_for,
)
from bench.report import X
from bench.servers import ROOT, free_port, log, throwaway_site

REPORT = Path(__file__).resolve().parent / "last-faults.md"
PG_PORT = 5497
REDIS_PORT = 6397
DATABASE = "bench_faults"
TASK_LEASE_SECONDS = 5
# What the units' paths are in production, and what they are here.
SERVED_FROM = "/srv/portal"
ENVIRONMENT_FILE = "/etc/portal/env"
WEBHOOK_EVENTS = [
    "reseller-relationship-accepted-by-customer",
    "granular-admin-relationship-approved",
]


def _stop_on_signal(signum, frame):
    raise SystemExit(128 + signum)


# --- The faults -------------------------------------------------------------------------------


def web_ready(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def settle(run: Run, window: Window) -> None:
    """The window ends once requests have succeeded for `--settle` seconds after the part came
    back (at most `--window` seconds after the fault)."""
    deadline = (window.fault_at or window.started) + run.args.window
    restored = window.restored_at or window.started
    while time.time() < deadline and not run.ledger.stop.is_set():
        quiet_since = max([restored, *(s.ended for s in run.ledger.errors_since(window.started))])
        if time.time() - quiet_since >= run.args.settle:
            break
        time.sleep(0.2)


def fault_web(run: Run, window: Window) -> None:
    service = run.webs[1]
    window.fault_at = time.time()
    service.kill()
    window.notes.append(f"{service.unit.name} killed (SIGKILL to its master and workers)")
    back = wait_for(
        lambda: len(service.started) > 1 and web_ready(run.ports.web[1]), run.args.window
    )
    window.restored_at = time.time()
    if back:
        window.notes.append(
            f"started again by Restart=always, serving after "
            f"{window.restored_at - window.fault_at:.1f} s"
        )


def worker_task(worker_id: str, timeout: float) -> str | None:
    """The id of a webhook delivery the worker is running now (polled until it has one)."""
    from django.db import connections
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connections.close_all()
        running = DBTaskResult.objects.filter(
            status="RUNNING", task_path__endswith="webhook_deliver"
        ).values_list("id", "worker_ids")
        for task_id, worker_ids in running:
            if worker_ids and worker_ids[-1] == worker_id:
                return str(task_id)
        time.sleep(0.02)
    return None


def fault_worker(run: Run, window: Window) -> None:
    """Worker 1 killed while it waits for the receiver's answer to a webhook delivery (the
    receiver answers after a second meanwhile)."""
    service = run.workers[1]
    run.receiver.delay = 1.0
    try:
        task_id = worker_task(specifiers("%H-%i", "1"), timeout=15)
        window.fault_at = time.time()
        service.kill()
    finally:
        run.receiver.delay = 0.0
    window.task_id = task_id
    window.notes.append(
        f"{service.unit.name} killed (SIGKILL) "
        + ("in the middle of a webhook delivery" if task_id else "(no delivery caught running)")
    )
    wait_for(lambda: len(service.started) > 1, 10)
    window.restored_at = time.time()
    # Long enough for the lease to run out and the task to be taken back.
    time.sleep(max(0.0, TASK_LEASE_SECONDS + 3 - (time.time() - window.fault_at)))


def fault_database(run: Run, window: Window) -> None:
    window.fault_at = time.time()
    run.cluster.restart()
    window.restored_at = time.time()
    window.notes.append(
        f"pg_ctlcluster restart -m fast took {window.restored_at - window.fault_at:.1f} s"
    )


def _away(part, run: Run, window: Window, note: str) -> None:
    """Take `part` away for the outage, then bring it back."""
    window.fault_at = time.time()
    part.stop()
    time.sleep(run.args.outage)
    part.start()
    window.restored_at = time.time()
    window.notes.append(note.format(outage=run.args.outage))


def fault_redis(run: Run, window: Window) -> None:
    _away(run.redis, run, window, "Redis stopped for {outage:g} s (its data gone: nothing saved)")


def fault_smtp(run: Run, window: Window) -> None:
    _away(run.sink, run, window, "SMTP sink away for {outage:g} s (connections refused)")


def fault_receiver(run: Run, window: Window) -> None:
    _away(run.receiver, run, window, "webhook receiver away for {outage:g} s (connections refused)")


def baseline(run: Run, window: Window) -> None:
    time.sleep(run.args.baseline)


# Each fault, and what recovering from it means (fault_checks).
FAULTS = [
    ("none (baseline)", baseline, REQUESTS),
    ("web server killed", fault_web, REQUESTS),
    ("task worker killed", fault_worker, DELIVERIES),
    ("PostgreSQL restarted", fault_database, REQUESTS),
    ("Redis stopped, started", fault_redis, REQUESTS),
    ("SMTP server away", fault_smtp, DELIVERIES),
    ("webhook receiver away", fault_receiver, DELIVERIES),
]


def run_faults(run: Run) -> None:
    for index, (name, fault, measure) in enumerate(FAULTS):
        if run.ledger.stop.is_set():
            log(f"  the request budget ({run.args.max_requests:,}) is spent: no more faults")
            break
        window = Window(name, time.time(), measure=measure)
        run.windows.append(window)
        run.ledger.window = index
        if fault is not baseline:
            time.sleep(run.args.before)
        fault(run, window)
        if fault is not baseline:
            settle(run, window)
        window.ended = time.time()
        sent = [s for s in run.ledger.sent if s.window == index]
        failed = [s for s in sent if not s.ok]
        if failed:
            answers = Counter(str(s.status) if s.status else "no answer" for s in failed)
            since = window.fault_at or window.started
            window.notes.append(
                "errors: "
                + ", ".join(f"{answer} {X}{n}" for answer, n in answers.most_common())
                + f", the last {max(s.ended for s in failed) - since:.1f} s after the fault"
            )
        log(
            f"  {name}: {len(sent):,} requests, {len(failed):,} errors, "
            f"{window.ended - window.started:.1f} s"
            + (f"; {'; '.join(window.notes)}" if window.notes else "")
        )


# --- After the load: the queue drained, everything checked ----------------------------------


def queue_counts() -> Counter:
    from django.db import connections
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    connections.close_all()
    return Counter(
        dict(DBTaskResult.objects.values_list("status").annotate(n=Count("id")).order_by())
    )


def drain(seconds: float) -> tuple[float, Counter]:
    started = time.time()
    counts = Counter()
    while time.time() - started < seconds:
        try:
            counts = queue_counts()
        except Exception as error:
            log(f"  the queue could not be read: {error}")
            counts = Counter({"unknown": 1})
        if not counts["READY"] and not counts["RUNNING"]:
            break
        time.sleep(1)
    return time.time() - started, counts


# --- The run --------------------------------------------------------------------------------


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=6, help="client threads (default 6)")
    parser.add_argument(
        "--pause", type=float, default=0.05, help="seconds between a client's writes"
    )
    parser.add_argument("--max-requests", type=int, default=20_000, help="the request budget")
    parser.add_argument("--acceptances", type=int, default=800, help="customers to accept requests")
    parser.add_argument("--baseline", type=float, default=6, help="seconds without a fault")
    parser.add_argument("--before", type=float, default=2, help="seconds of load before a fault")
    parser.add_argument(
        "--outage", type=float, default=8, help="seconds Redis, SMTP, receiver stay away"
    )
    parser.add_argument(
        "--settle", type=float, default=3, help="seconds of success ending a window"
    )
    parser.add_argument(
        "--window", type=float, default=40, help="the longest a fault's window lasts"
    )
    parser.add_argument("--drain", type=float, default=100, help="the longest the queue may take")
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument("--logs", type=Path, help="a folder to keep the servers' logs in")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.max_requests < 1:
        parser.error("--clients and --max-requests must be positive")
    return args


def settings_for(ports: Ports, database_url: str) -> dict[str, str]:
    """The application's environment (the EnvironmentFile the units name): production's, on this
    run's loopback ports."""
    origin = f"https://{HOST}:{ports.https}"
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "CSRF_TRUSTED_ORIGINS": origin,
        "DATABASE_URL": database_url,
        "CONN_MAX_AGE": "60",
        "CACHE_URL": f"redis://{HOST}:{REDIS_PORT}/0",
        "EMAIL_URL": f"smtp://{HOST}:{ports.smtp}",
        "EMAIL_CONSOLE_ALLOWED": "false",
        "DEFAULT_FROM_EMAIL": "Partner Center <no-reply@faults.example>",
        "SECURE_SSL_REDIRECT": "true",
        "SESSION_COOKIE_SECURE": "true",
        "CSRF_COOKIE_SECURE": "true",
        "SECURE_HSTS_SECONDS": "0",
        "SECURE_PROXY_SSL_HEADER": "true",
        "USE_X_FORWARDED_FOR": "true",
        "MFA_REQUIRED": "false",
        "PARTNER_CENTER_URL": f"{origin}/partner-center/",
        "ADMIN_CENTER_URL": f"{origin}/admin-center/",
        "OFFICE_ADMIN_URL": f"{origin}/office-admin/",
        "WEBHOOKS_ALLOW_LOOPBACK": "true",
        "WEBHOOKS_TIMEOUT": "5",
        "TASK_LEASE_SECONDS": str(TASK_LEASE_SECONDS),
        # Not what is measured here: the load is never throttled.
        "API_RATE": "1000000/min",
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "WARNING",
    }


def probe_proxy(ports: Ports, context: ssl.SSLContext) -> list[str]:
    """Plain HTTP redirects to HTTPS; sign-in posts from one address past nginx's limit get 429
    with Retry-After, before the application sees them."""
    facts = []
    connection = http.client.HTTPConnection(HOST, ports.http, timeout=10)
    connection.request("GET", "/partner-center/")
    answer = connection.getresponse()
    connection.close()
    if answer.status != 301 or not answer.getheader("Location", "").startswith("https://"):
        raise RuntimeError(f"plain HTTP answered {answer.status}, not a redirect to https://")
    facts.append("nginx: plain HTTP redirects to https://")
    browser = Browser(ports.https, context)
    passed = 0
    for _ in range(40):
        answer = browser.form("/sign-in/", {"username": "x", "password": "y"}, "/sign-in/")
        if answer.status == 429:
            break
        passed += 1
    browser.close()
    if answer.status != 429 or "retry-after" not in answer.headers:
        raise RuntimeError("40 sign-in posts from one address were never refused by nginx")
    facts.append(
        f"nginx: {passed} sign-in posts from one address reached the application, the next "
        f"got 429 (Retry-After: {answer.headers['retry-after']})"
    )
    return facts


def register_webhook(ports: Ports, context: ssl.SSLContext, key: str) -> str:
    browser = Browser(ports.https, context)
    body = {
        "WebhookUrl": f"http://{HOST}:{ports.receiver}/partner-center",
        "WebhookEvents": WEBHOOK_EVENTS,
    }
    answer = browser.send(
        "POST",
        "/v1/webhooks/registration",
        json.dumps(body).encode(),
        {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    browser.close()
    if answer.status != 201:
        raise RuntimeError(f"registering the webhook answered {answer.status}: {answer.body[:300]}")
    return answer.json()["SigningSecret"]


def main(argv=None) -> int:
    args = parse(argv)
    if os.geteuid() != 0:
        raise SystemExit("make faults runs as root: it creates and drops a PostgreSQL cluster.")
    for tool in ("nginx", "redis-server", "openssl"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed (make faults installs nginx-light).")
    # Ctrl-C (even when started in the background), SIGTERM and SIGHUP all unwind the run.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGHUP, _stop_on_signal)
    started_at, began = datetime.now(UTC), time.time()
    scratch = tempfile.TemporaryDirectory(prefix="bench-faults-")
    folder = Path(scratch.name)
    folder.chmod(0o711)  # nginx's workers (an unprivileged user) reach their temp folder inside
    ports = Ports(
        https=free_port(),
        http=free_port(),
        web={i: free_port() for i in WEB_PORTS},
        smtp=free_port(),
        receiver=free_port(),
    )
    cluster = Cluster(PG_PORT)
    redis = Redis(REDIS_PORT, folder)
    sink, receiver = SmtpSink(ports.smtp), Receiver(ports.receiver)
    services: list[Service] = []
    proxy: Proxy | None = None
    ledger = Ledger(args.max_requests)
    clients: list[Client] = []
    exit_status = 1
    try:
        log(f"PostgreSQL {cluster.version}/{CLUSTER} on port {PG_PORT}, Redis on {REDIS_PORT}")
        cluster.create()
        redis.start()
        sink.start()
        receiver.start()
        certificate = make_certificate(folder)
        context = ssl.create_default_context(cafile=str(certificate))

        database_url = f"postgres://postgres@{HOST}:{PG_PORT}/{DATABASE}"
        swaps = {SERVED_FROM: str(ROOT), ENVIRONMENT_FILE: str(folder / "env")}
        swaps |= {f"{HOST}:{WEB_PORTS[i]}": f"{HOST}:{ports.web[i]}" for i in WEB_PORTS}
        facts = [verify_units(folder, swaps)]
        proxy = Proxy(ports, folder)
        proxy.check()
        before = dict(os.environ)
        with throwaway_site(
            database_url,
            DATABASE,
            scratch_prefix="bench-faults-site-",
            extra_env=settings_for(ports, database_url),
        ) as site:
            # The units' environment file: what the site's environment adds to this process's.
            environment = {k: v for k, v in site.env.items() if before.get(k) != v}
            (folder / "env").write_text("".join(f"{k}={v}\n" for k, v in environment.items()))
            built = time.time()
            fixture = build_fixture(args.clients, args.acceptances)
            log(
                f"Data: a partner, its app, {args.clients} customers to sell to, "
                f"{args.acceptances} to accept requests, in {time.time() - built:.1f} s"
            )

            webs = {
                i: Service(
                    read_unit(UNITS / "portal-web@.service", instance=str(i), swaps=swaps), folder
                )
                for i in WEB_PORTS
            }
            workers = {
                i: Service(
                    read_unit(UNITS / "portal-worker@.service", instance=str(i), swaps=swaps),
                    folder,
                )
                for i in (1, 2)
            }
            reminders = read_unit(
                UNITS / "portal-admin-reminders.service", instance="", swaps=swaps
            )
            services = [*webs.values(), *workers.values()]
            for service in services:
                service.start()
            for i, service in webs.items():
                if not wait_for(lambda i=i: web_ready(ports.web[i]), 60, 0.2):
                    raise RuntimeError(
                        f"{service.unit.name} did not start:\n{tail(service.log_path)}"
                    )
            proxy.start()
            if not wait_for(
                lambda: Browser(ports.https, context).send("GET", "/healthz").status == 200, 20, 0.2
            ):
                raise RuntimeError(f"nginx did not start:\n{tail(folder / 'nginx-error.log')}")
            served = ", ".join(f"{s.unit.name} on {HOST}:{ports.web[i]}" for i, s in webs.items())
            log(
                f"Serving: nginx on https://{HOST}:{ports.https} (deploy/nginx/portal.conf) in "
                f"front of {served}; {', '.join(s.unit.name for s in workers.values())}"
            )
            facts.append(f"{reminders.name}, run once: {oneshot(reminders)}")
            facts += probe_proxy(ports, context)
            receiver.secret = register_webhook(ports, context, fixture.key)
            for fact in facts:
                log(f"  {fact}")

            run_state = Run(args, ledger, cluster, redis, sink, receiver, webs, workers, ports)
            log(f"\nLoad: {args.clients} clients through nginx; one fault per window:")
            clients = [
                Client(i, ledger, fixture, ports.https, context, args.pause)
                for i in range(args.clients)
            ]
            for client in clients:
                client.start()
            try:
                run_faults(run_state)
            finally:
                ledger.stop.set()
                for client in clients:
                    client.join(50)
            run_state.windows[-1].ended = time.time()
            waited, counts = drain(args.drain)
            log(
                f"Queue drained in {waited:.1f} s: "
                + ", ".join(f"{n:,} {status.lower()}" for status, n in sorted(counts.items()))
            )
            facts.append(
                "tasks at the end: "
                + ", ".join(f"{n:,} {status.lower()}" for status, n in sorted(counts.items()))
            )
            rows, checked = check(run_state, fixture)
            checked.append(proxy_retries(folder / "portal-access.log"))
            if args.logs:
                args.logs.mkdir(parents=True, exist_ok=True)
                windows = [w.__dict__ for w in run_state.windows]
                (args.logs / "windows.json").write_text(json.dumps(windows, indent=1))
            facts += checked
            restarts = [f"{s.unit.name} {len(s.exits)}" for s in services if s.exits]
            if restarts:
                facts.append(
                    "exits (each started again by its unit's Restart=): " + ", ".join(restarts)
                )
            elapsed = time.time() - began
            log("")
            log(text_table(rows))
            log("")
            for line in notes(rows):
                log(line)
            for fact in facts:
                log(f"- {fact}")
            write_report(args.report, rows, run_state, facts, started_at, elapsed)
            log(f"\nWritten to {args.report}; {elapsed / 60:.1f} min in all.")
            bad = sum(row.missing + row.twice for row in rows)
            if bad:
                log(f"\n{bad} writes missing or twice, among them:")
                for example in run_state.examples:
                    log(f"  {example}")
                log("The last lines of the logs:")
                for service in services:
                    log(f"--- {service.unit.name}\n{tail(service.log_path, 15)}")
            exit_status = 1 if bad else 0
    finally:
        ledger.stop.set()
        if proxy is not None:
            proxy.stop()
        for service in services:
            service.stop()
        receiver.stop()
        sink.stop()
        redis.stop()
        cluster.drop()
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
            for path in folder.glob("*.log"):
                shutil.copy(path, args.logs / path.name)
            with open(args.logs / "requests.jsonl", "w") as requests:
                for sent in ledger.sent:
                    requests.write(json.dumps(sent.__dict__) + "\n")
        scratch.cleanup()
    return exit_status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("Interrupted: everything the run started is stopped and removed.")
