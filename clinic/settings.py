"""Settings for IsoCourse, read from the environment (see README.md, "Configuration").

Embedded defaults (SQLite and Celery's filesystem broker under var/, console email) need no
service; production sets DEBUG off, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, CELERY_BROKER_URL
and EMAIL_URL.
"""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from clinic import __version__
from clinic.env import (
    env_bool,
    env_database,
    env_email,
    env_int,
    env_list,
    env_str,
    env_timezone,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SITE_NAME = "IsoCourse"
# The base of our own FHIR identifier and code system URIs (docs/INTEROP.md, "FHIR export"):
# registry IDs, authorization numbers, local codes. A deployment sets its own domain.
FHIR_SYSTEM_BASE = env_str("FHIR_SYSTEM_BASE", "https://isocourse.example/fhir").rstrip("/")
APP_VERSION = __version__

DEBUG = env_bool("DEBUG", False)
if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "django-insecure-local-development-only-never-in-production")
else:
    SECRET_KEY = env_str("SECRET_KEY")  # no default: a production secret is never guessed
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tables2",
    "django_filters",
    "django_htmx",
    "simple_history",
    "phonenumber_field",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # recovery codes until accounts 0002 hashed them
    "django_otp_webauthn",
    # The rooms, bottom floor first (docs/ARCHITECTURE.md): each imports only those above it
    # in this list, never one below.
    "clinic.accounts",
    "registry",
    "dosing",
    "clinic.monitoring",  # app label "clinic": its tables and migrations kept their names
    "clinic.reminders",
    "clinic.staff",
    "clinic.pharmacy",
    "clinic.portal",
]
# Demo accounts and generated registries: for `make run`, the tests and the bench, never
# installed in production (DEBUG off) unless asked for.
DEMO_APPS = env_bool("DEMO_APPS", DEBUG)
if DEMO_APPS:
    INSTALLED_APPS.append("clinic.demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Right after the sessions: it ends an idle session before anything reads the user (so
    # before the lifetime and second-factor checks), and its response step runs after all the
    # others but the sessions', so it sees every change to the session before the save.
    "clinic.accounts.middleware.IdleSessionMiddleware",
    # The browser's language (Accept-Language, or the language cookie) before sign-in.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor (django-otp's
    # OTPMiddleware, its device check folded into the roles query).
    "clinic.accounts.two_factor.VerifiedDeviceMiddleware",
    # A signed-in patient's own language (clinic/portal/language.py), over the browser's.
    "clinic.portal.language.PatientLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "clinic.accounts.middleware.AbsoluteSessionLifetimeMiddleware",
    # After the lifetime check, so an expired session goes to sign-in, not to the code page.
    "clinic.accounts.two_factor.RequireSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "clinic.accounts.middleware.NoStoreMiddleware",
    # AxesMiddleware last: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic.accounts.context_processors.frame",
            ],
        },
    },
]

# Database: SQLite file in var/ unless DATABASE_URL names another (postgres://user:pw@host/db).
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'clinic.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: wait for locks and take write locks up front.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 20, minimum=1),
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# How long the reminder sender waits for a database that went away (restart, fail-over, a
# lock) before it gives up on a step (clinic/db_outage.py).
DB_OUTAGE_PATIENCE_SECONDS = env_int("DB_OUTAGE_PATIENCE_SECONDS", 60, minimum=0)

# Accounts and passwords: Argon2id first; length and common-password checks, no composition
# rules (OWASP ASVS 6.2.5); any length up to what a password manager makes (64+ characters).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60  # a reset link works for one hour

# Sessions: stored server-side, so logout and deactivation end them at once. The role decides
# the idle limit at login. IdleSessionMiddleware ends a session idle for that long (to the
# minute, never early) and writes an unchanged session at most once every
# SESSION_WRITE_SECONDS, not on every request; a session whose data changed is saved as usual.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_SAVE_EVERY_REQUEST = False
SESSION_WRITE_SECONDS = 60
STAFF_IDLE_MINUTES = env_int("STAFF_IDLE_MINUTES", 15, minimum=1)
PATIENT_IDLE_MINUTES = env_int("PATIENT_IDLE_MINUTES", 30, minimum=1)
SESSION_ABSOLUTE_HOURS = env_int("SESSION_ABSOLUTE_HOURS", 12, minimum=1)
# The idle limit of a session that has not signed in (a password reset, say).
SESSION_COOKIE_AGE = STAFF_IDLE_MINUTES * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Login throttling (django-axes): lock a username + IP pair, not a whole username, so an attacker
# cannot lock the real user out from elsewhere (ASVS 6.1.1).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Every sign-in is logged (AccessLog, axes' default) and so is every failed one (log-in
# monitoring: HIPAA 164.308(a)(5)(ii)(C), OWASP ASVS 16.3.1), with username, address and time.
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# Two-factor sign-in (django-otp): every staff role reads or enters clinical data, or
# authorizes dispenses, so each must pass a second factor (an authenticator app, a passkey, or
# a one-time recovery code) after the password. Superusers always must.
TWO_FACTOR_ROLES = env_list(
    "TWO_FACTOR_ROLES", ["Prescriber", "Clinical staff", "Pharmacist", "Registry admin"]
)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "IsoCourse")
RECOVERY_CODE_COUNT = 10
# Passkeys (django-otp-webauthn) as a second factor only, never instead of the password. The
# relying party is the site's host name (not an address: browsers refuse passkeys for an IP),
# and the browser's origin must be one of PASSKEY_ORIGINS (docs/DEPLOY.md).
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_ID = env_str("PASSKEY_RP_ID", "localhost")
OTP_WEBAUTHN_RP_NAME = env_str("PASSKEY_RP_NAME", "IsoCourse")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list("PASSKEY_ORIGINS", ["http://localhost:8000"])
# The device pages of the admin never show a secret key or its QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Security headers. HTTPS-only settings follow DEBUG so `check --deploy` is clean in production.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The language chosen in the footer, before sign-in (clinic/portal/language.py).
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The login throttle counts per username and client address. Behind the proxy every
    # request arrives from the proxy's own address, so five wrong passwords from anywhere would
    # pause a username for everyone: take the client's address from X-Real-IP, which the proxy
    # sets on every request, overwriting any the client sent (docs/DEPLOY.md, nginx).
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_REAL_IP", "REMOTE_ADDR")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Content Security Policy (django-csp 4): scripts only from our own origin, never inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # Bootstrap draws form icons with data: SVGs
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Internationalisation: the clinic's local zone for display; everything is stored in UTC.
# Patients read the portal, their reminders and texts in English or Spanish: the language saved
# on their record once signed in, their browser's before (docs/LANGUAGES.md). Translations live
# in locale/ (templates and project code) and in each app's locale/ directory.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_timezone("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# Static files: vendored libraries in static/vendor, served by WhiteNoise with hashed names.
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic writes here; STATIC_ROOT lets a second copy of the app (or a test) keep its own.
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email: console by default; EMAIL_URL=smtp+tls://user:password@host:587 in production.
_email = env_email("EMAIL_URL", "consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25) or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10
# A neutral sender: it shows on lock screens, so it names the clinic, not the treatment.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Dermatology clinic <no-reply@localhost>")

# Text-message reminders (docs/SMS.md): phone numbers are stored in E.164; a number typed
# without a country code is read as one of this region's. The provider speaks the shape of
# Twilio's Messages API; with SMS_PROVIDER_URL unset, SMS is not set up and no text is sent.
PHONENUMBER_DEFAULT_REGION = env_str("PHONENUMBER_DEFAULT_REGION", "GB")
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"  # how pages show it: "+44 7911 123456"
SMS_PROVIDER_URL = env_str("SMS_PROVIDER_URL", "")
SMS_ACCOUNT_SID = env_str("SMS_ACCOUNT_SID", "")
SMS_AUTH_TOKEN = env_str("SMS_AUTH_TOKEN", "")
SMS_FROM = env_str("SMS_FROM", "")
SMS_TIMEOUT = 10
# The webhook's public URL as the provider calls it (its signature covers the URL); unset,
# the URL the request arrived at.
SMS_WEBHOOK_URL = env_str("SMS_WEBHOOK_URL", "")

# The number the patient portal gives for "call the clinic" (after a stop, a dose to check).
CLINIC_PHONE = env_str("CLINIC_PHONE", "+44 20 7946 0000")

# Celery: the database is the truth, the broker only carries wake-ups (docs in DESIGN.md).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "celery-broker"
    (_broker_dir / "queue").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Worker control messages (ping, shutdown) also go to files; keep them under var/.
        "control_folder": str(_broker_dir / "control"),
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
else:
    # Longer than any task may run, so an unacked task is not handed to a second worker.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Several deployments may share one Redis: each names its own queue.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "clinic")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
HEARTBEAT_SECONDS = env_int("HEARTBEAT_SECONDS", 60, minimum=1)


# Beat reads crontab hours in the clinic's zone (messages themselves carry UTC), so nightly
# work runs at 02:00 clinic time in summer and winter alike.
CELERY_TIMEZONE = TIME_ZONE
# Periodic work. Run exactly one beat process per deployment (duplicates double the work).
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "clinic.tasks.heartbeat", "schedule": float(HEARTBEAT_SECONDS)},
    # Due reminders every minute (due_at lives in the rows; the broker never holds an ETA).
    "send-due-reminders": {"task": "clinic.tasks.send_due_reminders", "schedule": 60.0},
    "sweep-stuck-reminders": {"task": "clinic.tasks.sweep_stuck_reminders", "schedule": 300.0},
    "flag-courses": {
        "task": "clinic.tasks.flag_courses",
        "schedule": crontab(hour=2, minute=0),
    },
    # The outcomes report's counts, after the flag run (clinic.monitoring.outcomes).
    "outcome-counts": {
        "task": "clinic.tasks.build_outcome_counts",
        "schedule": crontab(hour=2, minute=30),
    },
    "certification-expiry-reminders": {
        "task": "clinic.tasks.certification_expiry_reminders",
        "schedule": crontab(hour=2, minute=15),
    },
}

# Logging: one line per event to stderr; the audit trail lives in the database.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": env_str("LOG_LEVEL", "INFO")},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"
