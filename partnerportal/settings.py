"""The one settings module: every value that differs between machines comes from the environment.

See the README's settings table. ``DJANGO_ENV=production`` switches on the deployment hardening that
``manage.py check --deploy`` asks for; nothing else differs between the demo, CI and production.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; a missing file is ignored

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

# Off unless DEBUG=true: the demo too is served without Django's debug pages (a wrong Host header would
# otherwise show settings and paths); WhiteNoise serves the static files either way.
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="" if PRODUCTION else "insecure-development-key-only-for-the-demo-and-tests-0123456789",
)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production.")
# Tenants are found by host name; `.localhost` covers dstny.localhost and openip.localhost in the demo.
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else [".localhost", "127.0.0.1", "testserver"]
)

INSTALLED_APPS = [
    "partnerportal.apps.PartnerPortalAdminConfig",  # replaces django.contrib.admin: tenant-aware site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",  # a new password ends the other sessions; the person's sessions page
    "django_countries",
    "django_tables2",
    "django_filters",
    "django_htmx",
    "simple_history",
    "django_celery_beat",
    "csp",
    "partnerportal.apps.PartnerPortalConfig",
    "tiers.apps.TiersConfig",
    "benefits.apps.BenefitsConfig",
    "obligations.apps.ObligationsConfig",
    "promos.apps.PromosConfig",
    "documents.apps.DocumentsConfig",
    "recruitment.apps.RecruitmentConfig",
    "experts.apps.ExpertsConfig",
    "leads.apps.LeadsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "partnerportal.middleware.HealthCheckMiddleware",
    "partnerportal.middleware.TenantMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "partnerportal.middleware.MembershipMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "partnerportal.mfa.ManagerMFAMiddleware",  # after MembershipMiddleware and MessageMiddleware
    "django_htmx.middleware.HtmxMiddleware",
    # The audit trail records who made each change (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Pages with someone's data are never stored by a shared cache (nor kept for the back button).
    "partnerportal.middleware.PrivateCacheMiddleware",
]

ROOT_URLCONF = "partnerportal.urls"
WSGI_APPLICATION = "partnerportal.wsgi.application"

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
                "partnerportal.context_processors.portal",
            ],
            # `date` with the French "1er" and `money` in every template (partnerportal/formatting.py).
            "builtins": ["partnerportal.templatetags.portal_l10n"],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Production keeps each worker's database connection for a minute (checked before reuse) instead of opening
# one per request, which costs a PostgreSQL server more than most pages (bench_pages); `?conn_max_age=N` in
# DATABASE_URL or CONN_MAX_AGE (0: one connection per request, as behind a transaction-pooling PgBouncer).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several processes (web, worker) share the demo file: wait on locks instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
CACHES["default"]["KEY_FUNCTION"] = "partnerportal.tenancy.tenant_cache_key"
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Redis down is a cache miss, not an error page (partnerportal/cache.py); a hung Redis costs a second.
    CACHES["default"]["BACKEND"] = "partnerportal.cache.ResilientRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(socket_connect_timeout=1, socket_timeout=1)

AUTH_USER_MODEL = "partnerportal.User"
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "partnerportal:home"

# django-allauth: e-mail login, no usernames, no public sign-up (invitations only, see adapters.py).
ACCOUNT_ADAPTER = "partnerportal.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# A password change keeps the session it was made in; the adapter ends the person's other sessions.
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Sign-in and password reset answer the same for an unknown address as for a known one.
ACCOUNT_PREVENT_ENUMERATION = True
# Failed sign-ins: 10 a minute per IP, 5 in 5 minutes per address, counted across tenants (the counters
# are outside the tenant cache partition, tenancy.tenant_cache_key). A lock-out lasts minutes, so that an
# attacker cannot keep a real person out for long (a password reset lifts it at once).
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
# Sessions are registered at sign-in; tracking each request's IP and time would cost a write per page.
USERSESSIONS_TRACK_ACTIVITY = env.bool("USERSESSIONS_TRACK_ACTIVITY", default=False)
ACCOUNT_FORMS = {"reset_password": "partnerportal.forms.TenantResetPasswordForm"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# The client's address for allauth's per-IP rate limits: the last X-Forwarded-For entry added by the
# TRUSTED_PROXY_COUNT proxies in front (0: REMOTE_ADDR, no proxy). `make load` sets 1 and gives each
# simulated person an address of their own, as real people have. Production sits behind its TLS proxy
# (SECURE_PROXY_SSL_HEADER): counting the proxy's address would lock everybody out together.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if PRODUCTION else 0)
# The public application form (recruitment): every POST counts against the client's address (the same one
# allauth's limits read, TRUSTED_PROXY_COUNT included), across every tenant's host; allauth's rate syntax.
RECRUITMENT_APPLY_RATE_LIMIT = env.str("RECRUITMENT_APPLY_RATE_LIMIT", default="10/h/ip")
MFA_TOTP_ISSUER = "Partner Portal"
# Managers and the superuser must enrol in TOTP and give a code before the back-office (partnerportal/mfa.py).
MANAGER_MFA_REQUIRED = env.bool("MANAGER_MFA_REQUIRED", default=PRODUCTION)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
FORMAT_MODULE_PATH = ["partnerportal.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# Outside production nothing is collected: WhiteNoise serves the app's static folders directly, with DEBUG
# on or off (production serves the collected, hashed files; `make stack` collects them).
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=not PRODUCTION)
# ... looking each file up when asked rather than listing every static file whenever the app loads (each
# test client loads it again).
WHITENOISE_AUTOREFRESH = env.bool("WHITENOISE_AUTOREFRESH", default=not PRODUCTION)
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Files no URL serves (duty evidence): read only through views that check who asks.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private")
# Uploads (duty evidence): the largest file, and the largest image in pixels, checked from its header before
# it is decoded (40 million: an A4 page scanned at 600 dpi). Tenant logos: at most LOGO_MAX_BYTES.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=40_000_000)
LOGO_MAX_BYTES = env.int("LOGO_MAX_BYTES", default=1024 * 1024)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    # Diplomas and packs: a private folder under PRIVATE_MEDIA_ROOT by default; object storage by
    # configuration, e.g. DOCUMENTS_STORAGE_BACKEND=storages.backends.s3.S3Storage and its OPTIONS as JSON.
    "documents": {
        "BACKEND": env("DOCUMENTS_STORAGE_BACKEND", default="documents.storage.PrivateDocumentStorage"),
        "OPTIONS": env.json("DOCUMENTS_STORAGE_OPTIONS", default={}),
    },
}

# load_demo renders every demo partner's documents (about 180 PDFs, half a minute); off, it loads the rest
# of the demo without them (quick resets; the test suite, except the documents' own demo test).
DEMO_DOCUMENTS = env.bool("DEMO_DOCUMENTS", default=True)

# Absolute links in documents and e-mails (the diplomas' verification URL): {host} is the tenant's
# primary host name. `make demo` serves on port 8000.
PORTAL_URL = env("PORTAL_URL", default="https://{host}" if PRODUCTION else "http://{host}:8000")

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Partner Portal <noreply@partnerportal.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: without a broker, tasks run eagerly in-process so that the demo needs no Redis.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://localhost/"  # never used by eager tasks; keeps kombu from guessing a host
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# No CELERY_TASK_ACKS_LATE: acks_late is set task by task, on the idempotent ones only (each says why in
# its tasks.py; tests/test_tasks_acks.py holds the table). A message a killed worker held unacknowledged
# goes back to the queue after the visibility timeout, which must outlast the longest task and countdown.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
# A Redis result store that is down fails a send at once instead of after 20 reconnections (the message then
# waits in the outbox, partnerportal/celery.py).
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"
COUNTRIES_FIRST = ["FR", "BE", "LU", "CH", "MC"]

# Invitations to the portal expire after this many days (issue: 7 days, single use).
INVITATION_VALIDITY_DAYS = 7

# Revenue imports (tiers/imports.py): a bigger file, or one with more data lines, is rejected whole with a
# message naming the limit. A line of a billing export is about 40 bytes: 100 MB is 2.5 million lines.
REVENUE_IMPORT_MAX_BYTES = env.int("REVENUE_IMPORT_MAX_BYTES", default=100_000_000)
REVENUE_IMPORT_MAX_LINES = env.int("REVENUE_IMPORT_MAX_LINES", default=2_000_000)

# Leads (leads/): hours a partner has to accept an offered lead before it goes to the next partner; the
# code of the benefit that gives leads (Business's "leads éditeur" in the demo); the limits of a lead import.
LEAD_ACCEPT_HOURS = env.int("LEAD_ACCEPT_HOURS", default=48)
LEAD_BENEFIT_CODE = env.str("LEAD_BENEFIT_CODE", default="leads")
LEAD_IMPORT_MAX_BYTES = env.int("LEAD_IMPORT_MAX_BYTES", default=5_000_000)
LEAD_IMPORT_MAX_LINES = env.int("LEAD_IMPORT_MAX_LINES", default=10_000)

# Content Security Policy (django-csp 4): our own scripts and styles only, no CDN, no inline code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

if PRODUCTION:
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    # SECURE_COOKIES=false only where the production settings are served over plain HTTP on 127.0.0.1
    # (`make stack`, `make load`): a browser sends no Secure cookie back over http.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint narrates each rendering step at INFO; its warnings (a refused URL) still show.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}
