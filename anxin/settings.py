"""Anxin settings: one module, every value from a typed environment helper (see anxin/env.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from anxin.env import EnvError, env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ANXIN_VAR_DIR", str(BASE_DIR / "var")))

ANXIN_ENV = env_choice("ANXIN_ENV", ("dev", "prod", "test"), "dev")
PROD = ANXIN_ENV == "prod"

if PROD:
    SECRET_KEY = env_str("SECRET_KEY", required=True)
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
        raise EnvError("SECRET_KEY must be at least 50 random characters in production")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        raise EnvError("ALLOWED_HOSTS is required in production")
    DEBUG = False
else:
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-anxin-" + "x" * 30)
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
    DEBUG = env_bool("DEBUG", ANXIN_ENV == "dev")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves Swagger UI from its own static files (no CDN)
    "django_htmx",
    "simple_history",
    "axes",
    "csp",  # Content-Security-Policy header (django-csp; decision 0034)
    "anxin.core",
    "anxin.accounts",
    "anxin.network",
    "anxin.catalog",
    "anxin.customers",
    "anxin.orders",
    "anxin.dispatch",
    "anxin.feedback",
    "anxin.sales",
    "anxin.imports",
    "anxin.telephony",
    "anxin.notifications",
    "anxin.complaints",
    "anxin.web",
    "anxin.dashboards",
    "anxin.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "anxin.core.middleware.UploadSizeMiddleware",  # before anything reads the body
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "anxin.core.middleware.ApiTokenMiddleware",
    "anxin.core.middleware.IdempotencyMiddleware",
    "anxin.core.middleware.TextSanityMiddleware",  # after Idempotency, which reads the raw body
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "anxin.urls"
WSGI_APPLICATION = "anxin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "anxin.dashboards.navigation.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'anxin.sqlite3'}")
try:
    # Connections are reused across requests: a new PostgreSQL one per request halves API throughput,
    # and a new SQLite one (open + the PRAGMAs below) costs ~2 ms, more than the request it serves.
    # Django keeps one connection per thread; SQLite in WAL mode is safe with one per thread (decision 0050).
    _default_age = 60 if DATABASE_URL.startswith(("postgres://", "postgresql://")) else 600
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", _default_age), conn_health_checks=True)
except ValueError as exc:
    raise EnvError(f"DATABASE_URL is not a database URL: {exc}") from exc
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside one writer; IMMEDIATE makes a writing transaction take the
    # write lock at BEGIN, so it waits (busy_timeout) instead of failing with "database is locked".
    # init_command runs once per new connection, so with reused connections once per thread.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON;"),
    }
    # Tests use a file, not SQLite's shared-cache memory database: the concurrency tests open a
    # connection per thread, and shared-cache answers those with "database table is locked"
    # instead of waiting. The process id keeps parallel runs in one checkout apart (pytest-xdist
    # also appends _gw<n>); Django deletes the file when the run ends.
    _db["TEST"] = {"NAME": env_str("ANXIN_TEST_SQLITE", "") or str(VAR_DIR / f"test_anxin_{os.getpid()}.sqlite3")}
DATABASES = {"default": _db}
# A PostgreSQL streaming replica for the reads that may lag (exports, statistics: ``core.replicas``).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    try:
        DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=_db["CONN_MAX_AGE"], conn_health_checks=True)
    except ValueError as exc:
        raise EnvError(f"DATABASE_REPLICA_URL is not a database URL: {exc}") from exc
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["anxin.core.replicas.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "anxin.accounts.backends.CachedModelBackend",  # ModelBackend whose get_user reads the identity cache
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock a username+address after repeated failures.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- i18n / time --------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["anxin.formats"]

# --- Static -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage" if PROD else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Outside production whitenoise serves straight from the apps' static folders (no collectstatic).
WHITENOISE_USE_FINDERS = not PROD
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# --- Background work ----------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TIMEZONE = TIME_ZONE
# Shared between processes (gunicorn workers, the periodic runner): e.g. one-time SMS codes.
# Redis in production; the embedded default keeps entries in files under var/ (no server needed).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "anxin.core.cache.ReusingRedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache")}}
# Identity — sessions, the user behind a session or an API token — is read on every request, so it
# comes from a cache of its own (decision 0050): the rows stay in the database (sessions are
# cached_db), so a full embedded cache that culls entries loses only copies, never an SMS code.
if REDIS_URL:
    CACHES["identity"] = {"BACKEND": "anxin.core.cache.ReusingRedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "identity"}
else:
    CACHES["identity"] = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache" / "identity"),
        "OPTIONS": {"MAX_ENTRIES": 20000},
    }
if "pytest" in sys.modules:
    # Each test process keeps its own (xdist workers have their own databases, so their own ids).
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "identity": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "identity"},
    }

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)
# Sessions are rows (durable, shared by every app server) read through the identity cache; logout
# deletes both. The user behind a session or token comes from the same cache (anxin.accounts.identity),
# dropped whenever the user, its unit or the token is saved; the timeout only bounds what a change
# made past the ORM (raw SQL) can leave behind.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "identity"
ANXIN_IDENTITY_CACHE_SECONDS = env_int("ANXIN_IDENTITY_CACHE_SECONDS", 600)
if ANXIN_IDENTITY_CACHE_SECONDS < 1:
    raise EnvError("ANXIN_IDENTITY_CACHE_SECONDS must be at least 1")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Content-Security-Policy (decision 0034): scripts and styles only from our own static files, so
# injected markup can neither run script (no inline <script>, on*= handlers, javascript: URLs,
# eval) nor restyle the page. Templates keep behaviour in static JS and styles in static CSS.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # the signature pad redraws its PNG data URL
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
if PROD:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [f"https://{h}" for h in ALLOWED_HOSTS])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Anxin --------------------------------------------------------------------------------
ANXIN_PAGE_SIZE = env_int("ANXIN_PAGE_SIZE", 25)
ANXIN_HOTLINE = env_str("ANXIN_HOTLINE", "400-699-9999")
ANXIN_SITE_NAME = _("Anxin after-sales service")
# The quality-supervision hotline printed on the customer card of the work-order slip.
ANXIN_SUPERVISION_HOTLINE = env_str("ANXIN_SUPERVISION_HOTLINE", "400-699-9315")
# Business-rule defaults (DOMAIN.md); each module reads them with the same number as fallback.
ANXIN_WARRANTY_EXPIRING_DAYS = env_int("ANXIN_WARRANTY_EXPIRING_DAYS", 30)  # "expiring" badge on appliances
ANXIN_RETURN_DAYS = env_int("ANXIN_RETURN_DAYS", 15)  # return for a quality problem within N days of purchase
ANXIN_EXCHANGE_DAYS = env_int("ANXIN_EXCHANGE_DAYS", 30)  # exchange within N days of purchase
ANXIN_REPEAT_REPAIR_DAYS = env_int("ANXIN_REPEAT_REPAIR_DAYS", 30)  # a repair within N days of the last one is a repeat
ANXIN_CALLBACK_DEADLINE_HOURS = env_int("ANXIN_CALLBACK_DEADLINE_HOURS", 72)  # callback within N h of completion
ANXIN_GUIDANCE_CALLBACK_MINUTES = env_int("ANXIN_GUIDANCE_CALLBACK_MINUTES", 30)  # confirm phone guidance after N min
ANXIN_EXPORT_MAX_ROWS = env_int("ANXIN_EXPORT_MAX_ROWS", 20000)  # largest CSV / Excel export
ANXIN_IDEMPOTENCY_KEEP_HOURS = env_int("ANXIN_IDEMPOTENCY_KEEP_HOURS", 24)  # an Idempotency-Key replays for at least N h
ANXIN_API_TOKEN_DAYS = env_int("ANXIN_API_TOKEN_DAYS", 365)  # a new API token expires after N days (decision 0029)
# Uploads are refused from their Content-Length before the body is read (decision 0030).
ANXIN_UPLOAD_MAX_MB = env_int("ANXIN_UPLOAD_MAX_MB", 10)  # one file: an order's photo or PDF, an Excel import
ANXIN_REQUEST_MAX_MB = env_int("ANXIN_REQUEST_MAX_MB", 110)  # one request: a completion report with its 20 photos
ANXIN_SINGLE_FILE_VIEWS = ("api:upload_attachment", "customer_import")  # views that take one file: the one-file limit
for _name in ("ANXIN_API_TOKEN_DAYS", "ANXIN_UPLOAD_MAX_MB", "ANXIN_REQUEST_MAX_MB"):
    if globals()[_name] < 1:
        raise EnvError(f"{_name} must be at least 1")
if ANXIN_REQUEST_MAX_MB < ANXIN_UPLOAD_MAX_MB:
    raise EnvError("ANXIN_REQUEST_MAX_MB must be at least ANXIN_UPLOAD_MAX_MB")
ANXIN_CUSTOMER_SEARCH_PER_MINUTE = env_int("ANXIN_CUSTOMER_SEARCH_PER_MINUTE", 30)  # customer searches per user per minute (0: no limit)
ANXIN_CALL_MISSED_AFTER_MINUTES = env_int("ANXIN_CALL_MISSED_AFTER_MINUTES", 5)  # a call still ringing after N min was missed
# The outbox of domain events (decision 0039): durable handlers run after commit, retried with backoff.
ANXIN_OUTBOX_MAX_ATTEMPTS = env_int("ANXIN_OUTBOX_MAX_ATTEMPTS", 8)  # a delivery failing N times is stuck (HQ page)
ANXIN_OUTBOX_BACKOFF_SECONDS = env_int("ANXIN_OUTBOX_BACKOFF_SECONDS", 30)  # first retry after N s, then doubling
ANXIN_OUTBOX_BACKOFF_MAX_SECONDS = env_int("ANXIN_OUTBOX_BACKOFF_MAX_SECONDS", 3600)  # never more than N s between tries
ANXIN_OUTBOX_LEASE_SECONDS = env_int("ANXIN_OUTBOX_LEASE_SECONDS", 300)  # a claim not finished in N s: the runner died
ANXIN_OUTBOX_POLL_SECONDS = env_int("ANXIN_OUTBOX_POLL_SECONDS", 2)  # run_periodic / Celery beat drain every N s
ANXIN_OUTBOX_KEEP_DAYS = env_int("ANXIN_OUTBOX_KEEP_DAYS", 7)  # fully handled events are purged after N days
for _name in (
    "ANXIN_OUTBOX_MAX_ATTEMPTS",
    "ANXIN_OUTBOX_BACKOFF_SECONDS",
    "ANXIN_OUTBOX_BACKOFF_MAX_SECONDS",
    "ANXIN_OUTBOX_LEASE_SECONDS",
    "ANXIN_OUTBOX_POLL_SECONDS",
    "ANXIN_OUTBOX_KEEP_DAYS",
):
    if globals()[_name] < 1:
        raise EnvError(f"{_name} must be at least 1")
# After a commit that wrote events, ask a Celery worker to drain at once (beat drains anyway).
# Off in the embedded mode: eager tasks would run the handlers inside the web request.
ANXIN_OUTBOX_KICK = env_bool("ANXIN_OUTBOX_KICK", not CELERY_TASK_ALWAYS_EAGER)
# Core sits below accounts (decision 0043): what core needs of it is named here, not imported.
ANXIN_OUTBOX_MANAGER_ROLES = ("hq_manager",)  # accounts.choices.Role values that see and retry stuck deliveries
ANXIN_API_TOKEN_AUTHENTICATOR = "anxin.accounts.services.api_token_authenticate"  # Bearer token → user or None

# --- Screen pops pushed (decision 0051; anxin/telephony/pop_push.py, pop_stream.py) ----------
# "local": one process (the embedded default); "redis": between server processes over Redis pub/sub.
ANXIN_POP_BROKER = env_choice("ANXIN_POP_BROKER", ("local", "redis"), "redis" if REDIS_URL else "local")
if "pytest" in sys.modules:
    ANXIN_POP_BROKER = "local"  # like the cache: each test process on its own (the Redis tests say so themselves)
if ANXIN_POP_BROKER == "redis" and not REDIS_URL:
    raise EnvError("ANXIN_POP_BROKER=redis needs REDIS_URL")
# Redis pub/sub ignores the database number: installations sharing one Redis need their own channel.
ANXIN_POP_CHANNEL = env_str("ANXIN_POP_CHANNEL", "anxin:screen-pop")
ANXIN_POP_HEARTBEAT_SECONDS = env_int("ANXIN_POP_HEARTBEAT_SECONDS", 20)  # a comment every N s keeps the stream open
ANXIN_POP_STREAM_SECONDS = env_int("ANXIN_POP_STREAM_SECONDS", 300)  # a stream ends after N s; the browser reconnects
# At most N streams of one process read the database at once (each look takes a connection): 2,000
# agents reconnecting together must not exceed PostgreSQL's max_connections.
ANXIN_POP_LOOKS_AT_ONCE = env_int("ANXIN_POP_LOOKS_AT_ONCE", 8)
for _name in ("ANXIN_POP_HEARTBEAT_SECONDS", "ANXIN_POP_STREAM_SECONDS", "ANXIN_POP_LOOKS_AT_ONCE"):
    if globals()[_name] < 1:
        raise EnvError(f"{_name} must be at least 1")
