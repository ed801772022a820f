"""Linkage settings: one module, read from the environment.

The defaults run the embedded mode (SQLite, in-memory channel layer, eager Celery): nothing to
configure on a laptop. Production and CI differ only by environment variables, listed in
.env.example. A feature that needs a service fails at start when it is on but not configured.
"""

import datetime
import importlib.util
import socket
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from .env import env_bool, env_int, env_list, env_str
from .secret_key import announce_created, secret_key_from_file

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Run mode -------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
LINKAGE_MODE = env_str("LINKAGE_MODE", "services" if REDIS_URL else "embedded")
if LINKAGE_MODE not in {"embedded", "services"}:
    raise ImproperlyConfigured(f"LINKAGE_MODE must be 'embedded' or 'services', not {LINKAGE_MODE!r}")
if LINKAGE_MODE == "services" and not REDIS_URL:
    raise ImproperlyConfigured("LINKAGE_MODE=services needs REDIS_URL (channel layer, Celery broker, cache)")
EMBEDDED = LINKAGE_MODE == "embedded"

# --- Core -----------------------------------------------------------------------------------
DEBUG = env_bool("DJANGO_DEBUG", default=False)

# A blank key (spaces only) is no key; a short one set by hand is refused outside debug (it signs
# sessions, tickets and password-reset links: 32 characters at least, 50 or more as Django advises).
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or ""
MIN_SECRET_KEY_LENGTH = 32
if SECRET_KEY and not SECRET_KEY.strip():
    SECRET_KEY = ""
if SECRET_KEY and len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH and not DEBUG:
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters: set a long random one "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    )
if not SECRET_KEY:
    if DEBUG or EMBEDDED:
        # Never a fixed key from the source: a random one made on first run, kept in var/ (0600).
        SECRET_KEY_FILE = Path(env_str("LINKAGE_SECRET_KEY_FILE") or BASE_DIR / "var" / "secret_key")
        SECRET_KEY, _key_created = secret_key_from_file(SECRET_KEY_FILE)
        if _key_created:
            announce_created(SECRET_KEY_FILE)
    else:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in the services mode")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_htmx",
    "django_celery_beat",
    "linkage",
    "agencies",
    "notifications",
    "incidents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "linkage.middleware.RefuseNulMiddleware",  # a NUL in a parameter is a 400, not a database error
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "linkage.urls"
WSGI_APPLICATION = "linkage.wsgi.application"
ASGI_APPLICATION = "linkage.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "linkage.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Which server imports these settings: linkage/asgi.py sets "asgi", linkage/wsgi.py "wsgi" (manage.py
# runserver is Daphne's, so "asgi"); Celery and other commands leave it empty. Django's ASGI handler
# runs each request's sync code on a thread of its own, so a persistent connection is never reused
# and never closed there: under ASGI every connection closes at the end of its request (CONN_MAX_AGE 0,
# whatever DATABASE_CONN_MAX_AGE says). A WSGI worker (gunicorn, sync) holds one connection and keeps
# it DATABASE_CONN_MAX_AGE seconds (default 60), checked before reuse.
LINKAGE_SERVER = env_str("LINKAGE_SERVER", "")
if LINKAGE_SERVER not in {"", "asgi", "wsgi"}:
    raise ImproperlyConfigured(f"LINKAGE_SERVER must be 'asgi' or 'wsgi', not {LINKAGE_SERVER!r}")
DATABASE_CONN_MAX_AGE = (
    0 if LINKAGE_SERVER == "asgi" else env_int("DATABASE_CONN_MAX_AGE", 60 if LINKAGE_SERVER == "wsgi" else 0)
)
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'var' / 'linkage.sqlite3'}",
        conn_max_age=DATABASE_CONN_MAX_AGE,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A fresh clone has no var/: make the file's folder, so that any manage.py command works.
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Several threads of one process (server + sweep) share the file: wait for locks, don't fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channel layer, Celery -----------------------------------------------------------
if EMBEDDED:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # redis-py 8 reads with a 5 s socket timeout by default, the same 5 s that channels_redis blocks
    # in BZPOPMIN waiting for a socket's next message: under load the read times out first and the
    # socket's consumer dies (close 1011). A read timeout well above the blocking pop avoids the race.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30, "socket_connect_timeout": 5}]},
        }
    }

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = EMBEDDED
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 45
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Publishing a task gives up fast: the outbox sweep hands over whatever could not be sent.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Every task has a route (a test fails when one has none). A plain `celery -A linkage.celery:app
# worker` consumes every queue below; `-Q escalation` / `-Q notifications` run a worker for one of
# them when one kind of work needs its own processes.
CELERY_TASK_QUEUES = tuple(Queue(name, Exchange(name), routing_key=name) for name in ("escalation", "notifications"))
CELERY_TASK_ROUTES = {
    "incidents.escalation_sweep": {"queue": "escalation"},
    "notifications.deliver": {"queue": "notifications"},
    "notifications.deliver_many": {"queue": "notifications"},
    "notifications.outbox_sweep": {"queue": "notifications"},
}
CELERY_TASK_DEFAULT_QUEUE = "notifications"
# Deadlines are swept from PostgreSQL every few seconds; a sweep message older than two intervals
# (beat kept sending while no worker ran) is dropped, the next one does the same work.
LINKAGE_SWEEP_SECONDS = env_int("LINKAGE_SWEEP_SECONDS", 5)
# The embedded mode runs the sweeps inside the server process instead of beat and a worker.
LINKAGE_SWEEP_IN_PROCESS = env_bool("LINKAGE_SWEEP_IN_PROCESS", EMBEDDED)
CELERY_BEAT_SCHEDULE = {
    "escalation-sweep": {
        "task": "incidents.escalation_sweep",
        "schedule": float(LINKAGE_SWEEP_SECONDS),
        "options": {"expires": 2 * LINKAGE_SWEEP_SECONDS},
    },
    "outbox-sweep": {
        "task": "notifications.outbox_sweep",
        "schedule": float(LINKAGE_SWEEP_SECONDS),
        "options": {"expires": 2 * LINKAGE_SWEEP_SECONDS},
    },
}

# --- Notifications --------------------------------------------------------------------------
# Links in e-mails and SMS point here. Unset, they follow the address the embedded mode serves
# (LINKAGE_ADDR, which scripts/demo.sh passes to runserver).
LINKAGE_ADDR = env_str("LINKAGE_ADDR", "127.0.0.1:8000")


def _served_url(address: str) -> str:
    """runserver's address ("8080", "0.0.0.0:8080", "[::1]:8080") as the URL people reach it at."""
    host, _colon, port = address.rpartition(":")
    host = host or "127.0.0.1"
    if host in {"0", "0.0.0.0", "[::]"}:  # noqa: S104 — every interface: others reach it by the machine's name
        host = socket.gethostname()
    return f"http://{host}:{port}"


LINKAGE_BASE_URL = env_str("LINKAGE_BASE_URL", _served_url(LINKAGE_ADDR)).rstrip("/")
# The site answers at the address its links give (unless DJANGO_ALLOWED_HOSTS says otherwise).
if not env_str("DJANGO_ALLOWED_HOSTS") and urlsplit(LINKAGE_BASE_URL).hostname not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(urlsplit(LINKAGE_BASE_URL).hostname)
# SMS: "console" writes them to the log; "http" POSTs {"to", "text", "id"} to a gateway (Idempotency-Key: id).
LINKAGE_SMS_BACKEND = env_str("LINKAGE_SMS_BACKEND", "console")
LINKAGE_SMS_GATEWAY_URL = env_str("LINKAGE_SMS_GATEWAY_URL", "")
LINKAGE_SMS_GATEWAY_TOKEN = env_str("LINKAGE_SMS_GATEWAY_TOKEN", "")
if LINKAGE_SMS_BACKEND not in {"console", "http"}:
    raise ImproperlyConfigured("LINKAGE_SMS_BACKEND must be 'console' or 'http'")
if LINKAGE_SMS_BACKEND == "http" and not LINKAGE_SMS_GATEWAY_URL:
    raise ImproperlyConfigured("LINKAGE_SMS_BACKEND=http needs LINKAGE_SMS_GATEWAY_URL")
# Failed deliveries retry after base, 3 × base, 9 × base … seconds, up to the attempt limit.
LINKAGE_DELIVERY_RETRY_SECONDS = env_int("LINKAGE_DELIVERY_RETRY_SECONDS", 10)
LINKAGE_DELIVERY_MAX_ATTEMPTS = env_int("LINKAGE_DELIVERY_MAX_ATTEMPTS", 8)
LINKAGE_DELIVERY_TIMEOUT = env_int("LINKAGE_DELIVERY_TIMEOUT", 10)
EMAIL_TIMEOUT = LINKAGE_DELIVERY_TIMEOUT  # a slow mail server costs one attempt, not a stuck worker
# A queued row handed to the broker this long ago and still queued is handed over again.
LINKAGE_OUTBOX_STALE_SECONDS = env_int("LINKAGE_OUTBOX_STALE_SECONDS", 30)

# --- Auth and permissions -------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "linkage.auth.SerialisedChecksOnly",  # refuses a password check outside linkage.auth's lock
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out address or username (below)
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Linkage never grants anything to anonymous users: no guardian anonymous user row.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Sign-in lockout, API tokens, socket tickets (docs/security.md) --------------------------
# Every password check (login page, admin login, API token) is counted by django-axes in the
# database, per client address and per username: LINKAGE_LOGIN_FAILURE_LIMIT failures from one
# address, or against one username, lock that address or username out for LINKAGE_LOGIN_COOLOFF_SECONDS
# (429 with a message), unless an administrator deletes the record first. In PostgreSQL, not the
# cache, so the lockout holds while Redis is down.
INSTALLED_APPS.append("linkage.apps.AxesConfig")  # django-axes, its admin section named in our catalog
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last: turns a lockout into the 429 page or JSON
AXES_FAILURE_LIMIT = env_int("LINKAGE_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = datetime.timedelta(seconds=env_int("LINKAGE_LOGIN_COOLOFF_SECONDS", 900))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]  # either one reaching the limit locks
# Tries while locked out do not extend the lock: someone hammering a username cannot keep its
# owner out for longer than the cool-off after the attempts stop.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "linkage.auth.client_address"
AXES_USERNAME_CALLABLE = "linkage.auth.attempted_username"
AXES_LOCKOUT_CALLABLE = "linkage.auth.lockout_response"
# API tokens work this long after they are issued (30 days), then answer 401; a new password or
# deactivation deletes them at once, and DELETE /api/v1/auth/token/ revokes one.
LINKAGE_TOKEN_SECONDS = env_int("LINKAGE_TOKEN_SECONDS", 30 * 24 * 3600)
# A socket ticket (POST /api/v1/auth/ws-ticket/, then /ws/...?ticket=) opens one socket within this time.
LINKAGE_WS_TICKET_SECONDS = env_int("LINKAGE_WS_TICKET_SECONDS", 60)
# The situation board's screenful of incident cards; past it each severity level keeps an even share
# and says how many of its older incidents are not shown (incidents/board.py). Counts cover all.
LINKAGE_BOARD_ROWS = max(env_int("LINKAGE_BOARD_ROWS", 200), 4)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous call is answered 401 with WWW-Authenticate, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "linkage.auth.ExpiringTokenAuthentication",  # DRF Token, refused after LINKAGE_TOKEN_SECONDS
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSON parser with a depth limit and no NUL or lone surrogates (linkage/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["linkage.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "linkage.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "linkage.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "token": env_str("LINKAGE_THROTTLE_TOKEN", "10/min"),
        "writes": env_str("LINKAGE_THROTTLE_WRITES", "120/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Throttles key on the client address: trust X-Forwarded-For only from the proxy we sit behind.
    "NUM_PROXIES": 1 if env_bool("DJANGO_BEHIND_PROXY", default=False) else 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Linkage API",
    "DESCRIPTION": "Emergency linkage: open incidents, bring in agencies, accept and report tasks, share a timeline.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.models.IncidentStatus",
        "AssignmentStatusEnum": "incidents.models.AssignmentStatus",
        "IncidentKindEnum": "incidents.models.IncidentKind",
        "AgencyKindEnum": "agencies.models.AgencyKind",
        "SeverityEnum": "incidents.models.Severity",
    },
}
# Bodies above 1 MiB are refused (413) before any parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
LINKAGE_CAP_SENDER = env_str("LINKAGE_CAP_SENDER", "linkage@localhost")

# --- Maps -----------------------------------------------------------------------------------
# Leaflet draws the markers itself; tiles are a background from this URL template. Empty: no tiles
# (the map still shows the incidents, on a blank ground), as on a network with no internet.
LINKAGE_MAP_TILES = {
    "url": env_str("LINKAGE_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
    "attribution": env_str("LINKAGE_MAP_ATTRIBUTION", "© OpenStreetMap contributors"),
    # Where a map with nothing on it looks first: Kunming.
    "center": [float(x) for x in env_str("LINKAGE_MAP_CENTER", "25.04,102.71").split(",")],
    "zoom": env_int("LINKAGE_MAP_ZOOM", 11),
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("LINKAGE_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# Leaflet's JS and CSS come from the django-leaflet package, found without importing it (its admin
# module needs GeoDjango and GDAL, which Linkage does not use); the map script is our own.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("leaflet", Path(importlib.util.find_spec("leaflet").submodule_search_locations[0]) / "static" / "leaflet"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# The embedded mode serves static files straight from the apps, with no collectstatic step.
WHITENOISE_USE_FINDERS = EMBEDDED or DEBUG

# --- Transport security ---------------------------------------------------------------------
# On by default in the services mode without DEBUG: production sits behind TLS. The embedded
# mode serves plain HTTP on localhost.
HTTPS = env_bool("DJANGO_HTTPS", default=not DEBUG and not EMBEDDED)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_AGE = 12 * 3600  # one long shift
# Database sessions that treat a malformed session cookie as none (linkage/sessions.py).
SESSION_ENGINE = "linkage.sessions"

# --- Mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "linkage@localhost")

# --- Linkage --------------------------------------------------------------------------------
# Prefix of incident references, KM-2026-000042.
LINKAGE_REFERENCE_PREFIX = env_str("LINKAGE_REFERENCE_PREFIX", "KM")
# Accept deadline for an agency brought in by hand, without a plan step.
LINKAGE_DEFAULT_ACCEPT_SECONDS = env_int("LINKAGE_DEFAULT_ACCEPT_SECONDS", 120)

# --- Live sockets ---------------------------------------------------------------------------
# An open socket re-checks its user's access this often (changes no signal saw), and closes after
# this long (code 4000: the page reconnects at once, handshake and all). See docs/security.md.
LINKAGE_SOCKET_RECHECK_SECONDS = env_int("LINKAGE_SOCKET_RECHECK_SECONDS", 60)
LINKAGE_SOCKET_MAX_SECONDS = env_int("LINKAGE_SOCKET_MAX_SECONDS", 3600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LINKAGE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
