"""Settings for every environment.

Everything that differs between a laptop and production is read from the environment through the
one `env` below; `.env.example` lists each variable. A `.env` file beside manage.py is read too,
but only when the environment sets DJANGO_READ_DOT_ENV_FILE=true (cookiecutter-django's
convention), and never under config.settings.test, which turns it off: a developer's `.env`
must not change what the test suite sees. The environment wins over `.env`.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# A development key exists only while DEBUG is on; production must set SECRET_KEY.
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-development-only-key-do-not-deploy")
else:
    SECRET_KEY = env.str("SECRET_KEY")
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# One base URL per portal. Each portal is served under the path of its URL, so the three paths
# must differ; the hosts may differ too (then list each in ALLOWED_HOSTS).
PARTNER_CENTER_URL = env.str("PARTNER_CENTER_URL", default="http://127.0.0.1:8000/partner-center/")
ADMIN_CENTER_URL = env.str("ADMIN_CENTER_URL", default="http://127.0.0.1:8000/admin-center/")
OFFICE_ADMIN_URL = env.str("OFFICE_ADMIN_URL", default="http://127.0.0.1:8000/office-admin/")

# How long a relationship request link stays valid.
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=90)

# The Microsoft Customer Agreement version customers accept today.
CUSTOMER_AGREEMENT_VERSION = env.str("CUSTOMER_AGREEMENT_VERSION", default="MCA 2026-09")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "tenancy",
    # After tenancy: its db_worker (which takes back a lost worker's tasks) is the one that runs.
    "django_tasks_db",
    "api",
    "partner_center",
    "admin_center",
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The API's request ids (MS-RequestId, MS-CorrelationId; Graph's request-id) on /v1/ answers.
    "api.request_ids.RequestIdsMiddleware",
    # Before the sign-in lock, so that its 429 page speaks the browser's language too.
    "django.middleware.locale.LocaleMiddleware",
    "tenancy.web.middleware.SignInLockMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "tenancy.web.middleware.SameOriginNullOriginMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "tenancy.web.middleware.MembershipMiddleware",
    "tenancy.web.middleware.OperatorsInEnglishMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# The portals' pages and emails: Jinja2 (jinja2/, tenancy/web/jinja.py). Django's templates:
# the operators' console (Django's admin), the REST framework's and the libraries' own pages.
TEMPLATES = [
    {
        "BACKEND": "tenancy.web.jinja.Jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "tenancy.web.jinja.environment",
            "context_processors": [
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenancy.web.context_processors.membership",
            ],
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenancy.web.context_processors.membership",
            ],
        },
    },
]

# An empty DATABASE_URL (or EMAIL_URL below) means unset, as `.env.example` says.
DATABASES = {
    "default": environ.Env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    ),
}
# Persistent connections (checked before reuse) in production: opening one costs more than a
# page's queries. The development server keeps the per-request default.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes SQLite take its write lock when a transaction starts, so two requests
    # that read-then-write wait for each other instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# What every web server must share: the counters of rate limits and sign-in allowances
# (tenancy.counters: atomic on either store) and whatever is cached, in this cache:
# Django's database cache on the project's database by default (its table is made by a
# migration), Django's own RedisCache with CACHE_URL=redis://host:6379/0 (redis + hiredis).
CACHES = {
    "default": environ.Env.cache_url_config(
        env.str("CACHE_URL", default="") or "dbcache://django_cache"
    )
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A Redis that is away is known in half a second, not after the operating system's timeout:
    # a request waits that long at most before counting in the database instead.
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
    )
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
    # Past MAX_ENTRIES rows the database cache deletes a third of its keys, live ones included.
    # (Expired rows go first; 50,000 keeps the COUNT the cache runs on each write cheap.)
    CACHES["default"].setdefault("OPTIONS", {})["MAX_ENTRIES"] = 50_000
# Parts of pages kept under the version of the data they show (tenancy.web.fragments). The
# version is counted in the database, so each process keeping its own copies is as right as
# sharing them: a bounded memory of each process by default, any Django cache with
# FRAGMENT_CACHE_URL.
CACHES["fragments"] = environ.Env.cache_url_config(
    env.str("FRAGMENT_CACHE_URL", default="") or "locmemcache://fragments"
)
if CACHES["fragments"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache":
    # A Customer list page's part is some 20 KB: 500 of them are 10 MB a process.
    CACHES["fragments"].setdefault("OPTIONS", {})["MAX_ENTRIES"] = 500
# Sessions stay in the database, on Redis too. A cached copy would save one query a page, but
# Django's cached_db can't delete a session from a cache that is away (it raises, or leaves the
# copy): a session signed out while Redis restarts would come back with it. One query is the
# price of a sign-out that holds. (Django's database sessions, their read compiled once:
# tenancy.web.sessions.)
SESSION_ENGINE = "tenancy.web.sessions"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# A sign-in's try is taken from an allowance before its password is hashed, and refused once
# the allowance is spent (tenancy.web.sign_in_guard): a browser where the account signed in
# before has its own; unknown browsers share the account's and their address's. The limit-th
# failure locks that allowance for SIGN_IN_LOCK_MINUTES from its first failure.
AUTHENTICATION_BACKENDS = [
    "tenancy.web.sign_in_guard.SignInGuardBackend",
    # Signs users in; loads the user with their membership (one query a request).
    "tenancy.web.auth_backend.MemberBackend",
    # For sessions signed in before MemberBackend came: they name this one.
    "django.contrib.auth.backends.ModelBackend",
]
SIGN_IN_FAILURE_LIMIT = env.int("SIGN_IN_FAILURE_LIMIT", default=5)
SIGN_IN_LOCK = timedelta(minutes=env.int("SIGN_IN_LOCK_MINUTES", default=15))
# Password checks a second for browsers the account never signed in from, all together, across
# the site: past it they are asked to try again in a moment, so a flood of guesses from many
# addresses and names can't keep every worker hashing. Browsers that signed in before never
# wait. Each check is a PBKDF2 hash (Django 6.1: 1,500,000 iterations, about 0.7 s of a core
# here): set it to about half the servers' cores divided by that (1 on one 2-core machine); 0
# turns it off.
SIGN_IN_UNKNOWN_PER_SECOND = env.int("SIGN_IN_UNKNOWN_PER_SECOND", default=1)

# Second factors. MFA_REQUIRED sends a user without one to enrol before anything else.
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=False)
# The operators' console (/operators/) opens only to an operator who gave a second factor (one
# without is sent to enrol first), whatever MFA_REQUIRED says: always in production, where DEBUG
# is off; `make run`'s demo operator signs in with the password alone.
OPERATORS_MFA_REQUIRED = env.bool("OPERATORS_MFA_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Reseller relationships portal")
# Passkeys are bound to the host the user signs in on (each portal's host is its own relying
# party); they are accepted from the three portals' origins only.
OTP_WEBAUTHN_RP_ID_CALLABLE = "tenancy.mfa.relying_party_id"
OTP_WEBAUTHN_RP_NAME = env.str("OTP_WEBAUTHN_RP_NAME", default="Reseller relationships portal")
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False

# The Partner Center API (/v1/): apps authenticate with their key; each app has its own rate,
# counted where every web server shares it (api.throttling); errors come in one shape (api.errors).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.AppKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.AppRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env.str("API_RATE", default="600/min")},
    "EXCEPTION_HANDLER": "api.errors.handle",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Partner Center API (reseller relationships portal)",
    "DESCRIPTION": "The partner's customers, relationship requests and admin relationships, in "
    "Partner Center's REST shapes. Authenticate with an app's key: "
    "`Authorization: Bearer <key>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Request bodies as components of their own, with minLength 1 where a blank is refused.
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation's shared error answers (401, 429, and 400/404 where they apply).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema_hooks.complete_errors",
    ],
    # Choice sets that share a field name ("status") get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "RequestDoneStatusEnum": ["succeeded"],
        "ValidationEventStatusEnum": ["pending", "succeeded", "failed"],
    },
}

LOGIN_URL = "sign-in"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "sign-in"

# The portals speak these languages (each user picks one; else the browser's Accept-Language);
# the operators' console stays English. Adding one: see the README ("Languages").
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("ja", "日本語"),
    ("hi", "हिन्दी"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Email: console by default; production sets EMAIL_URL (smtp+tls://user:password@host:587).
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Partner Center <no-reply@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)


def _mailer_from_url(url: str) -> dict:
    config = environ.Env.email_url_config(url)
    options = {"timeout": 10}
    if config.get("EMAIL_HOST"):
        options |= {
            "host": config["EMAIL_HOST"],
            "port": config["EMAIL_PORT"],
            "username": config["EMAIL_HOST_USER"],
            "password": config["EMAIL_HOST_PASSWORD"],
            "use_tls": bool(config.get("EMAIL_USE_TLS")),
            "use_ssl": bool(config.get("EMAIL_USE_SSL")),
        }
    if config["EMAIL_BACKEND"] != "django.core.mail.backends.smtp.EmailBackend":
        options = {}
    return {"BACKEND": config["EMAIL_BACKEND"], "OPTIONS": options}


MAILERS = {"default": _mailer_from_url(env.str("EMAIL_URL", default="") or "consolemail://")}
# The console mailer prints whole emails (request links with their tokens): outside DEBUG, the
# deployment check and gunicorn refuse it unless this says it is meant (tenancy.checks).
EMAIL_CONSOLE_ALLOWED = env.bool("EMAIL_CONSOLE_ALLOWED", default=DEBUG)

# Background work (every email; webhook deliveries) is a row in the project's database, run by
# `manage.py db_worker` (django-tasks-db): it outlives a crash, and several workers and web
# servers can share one PostgreSQL. Retries with backoff: tenancy.tasks.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A task whose worker has not been heard from for this long (killed, its machine lost) is taken
# back and run again. A worker beats every tenth of it for the task it runs, however long that
# runs; five minutes lets a database restart or a paused machine miss several beats, and clocks
# of different machines be seconds apart, before a live worker's task is taken from it.
TASK_LEASE = timedelta(seconds=env.int("TASK_LEASE_SECONDS", default=300))
# A bulk job not heard of for this long (its worker was killed) is taken over by another step
# (tenancy.services.bulk_jobs).
BULK_JOB_LEASE_SECONDS = env.int("BULK_JOB_LEASE_SECONDS", default=60)
# How many items of a bulk job one step works on at once, each in its own transaction and on its
# own database connection (PostgreSQL; on SQLite, one): while one waits for the database,
# another's Python runs. A worker process holds this many connections during a step.
BULK_JOB_THREADS = env.int("BULK_JOB_THREADS", default=3)
# A request still waiting for a customer's approval this many days after it was sent is sent to
# the customer's Global administrators again, once each time (admin_relationship_reminders).
ADMIN_REQUEST_REMINDER_DAYS = env.list("ADMIN_REQUEST_REMINDER_DAYS", cast=int, default=[7, 21])

# Webhooks (tenancy.effects.webhook_delivery): each attempt waits this many seconds for an
# answer. A webhook's address must be public: loopback, private, link-local and other reserved
# addresses are refused (server-side request forgery); WEBHOOKS_ALLOW_LOOPBACK lets loopback
# through (tests, a laptop).
WEBHOOKS_TIMEOUT = env.float("WEBHOOKS_TIMEOUT", default=10.0)
WEBHOOKS_ALLOW_LOOPBACK = env.bool("WEBHOOKS_ALLOW_LOOPBACK", default=False)

# HTTPS. Off by default so `make run` works over plain HTTP; production turns each on.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind a proxy that appends the client's address to X-Forwarded-For: record that address
# (for example with an agreement acceptance) instead of the proxy's. The last address in the
# header is taken, the one our proxy added; see `.env.example` before turning it on.
USE_X_FORWARDED_FOR = env.bool("USE_X_FORWARDED_FOR", default=False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Nothing inline runs without the request's nonce; nothing loads from another host. Forms may
# post to (and be redirected to) the three portals, which may sit on hosts of their own.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [
        CSP.SELF,
        *sorted({_origin(u) for u in (PARTNER_CENTER_URL, ADMIN_CENTER_URL, OFFICE_ADMIN_URL)}),
    ],
}


# Browsers offer passkeys on https:// pages and on http://localhost only (never on an IP address):
# under `make run`, open http://localhost:8000 to use one.
# A portal on http://127.0.0.1:<port> is also http://localhost:<port>, where passkeys work.
def _passkey_origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return _origin(url)
    if parts.hostname in ("localhost", "127.0.0.1"):
        return f"http://localhost{f':{parts.port}' if parts.port else ''}"
    return None


OTP_WEBAUTHN_ALLOWED_ORIGINS = sorted(
    {
        origin
        for url in (PARTNER_CENTER_URL, ADMIN_CENTER_URL, OFFICE_ADMIN_URL)
        if (origin := _passkey_origin(url))
    }
)

# Invitation tokens are redacted from every log line, the development server's included.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_tokens": {"()": "tenancy.logging.RedactInvitationTokens"},
        "skip_429": {"()": "tenancy.logging.SkipTooManyRequests"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["skip_429"],
        },
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
