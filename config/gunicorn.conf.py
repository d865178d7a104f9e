"""gunicorn settings: `gunicorn -c config/gunicorn.conf.py`. Each can be set by environment."""

import multiprocessing
import os
import sys

wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# A worker is replaced after this many requests (a guard against slow leaks). Each replacement
# costs its first requests their caches (templates, URLs, the database connection), so the
# count is high: under a flood of refused sign-ins (about 1,000 a second here) a lower one
# recycled a worker every few seconds and those first requests were the agents' p99.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# Workers are forked with the application already imported: a replaced worker is serving in
# milliseconds, not after a second of imports. Django opens each worker's database connection
# after the fork, on first use.
preload_app = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
# The path without its query string: a relationship request link carries its token there, and
# no log line may hold one.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'
# gunicorn 27 opens a control socket in the home folder unless told not to.
control_socket_disable = True


def on_starting(server):
    """Refuse to start on the console mailer unless EMAIL_CONSOLE_ALLOWED (tenancy.E003): every
    email, with the links and tokens of relationship requests, would go to this output."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    from tenancy.checks import check_console_mailer

    if errors := check_console_mailer(None):
        sys.exit("\n".join(f"{error.id}: {error.msg}\nHINT: {error.hint}" for error in errors))
