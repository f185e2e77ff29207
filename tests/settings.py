"""Settings for the test suite: production settings with test-only conveniences.

DEBUG stays off (as in production) so tests see production behaviour; the rest of the
environment (DATABASE_URL in particular) is honoured, so the same suite runs on PostgreSQL.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-" + "k3Yq9vZ2" * 6)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DEMO_APPS", "true")  # seed_demo and generate_demo_data are tested

from clinic.settings import *  # noqa: E402,F403
from clinic.settings import DATABASES, VAR_DIR  # noqa: E402

# Plain HTTP in tests: the test client and the live server do not speak TLS.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

# Fast hashing for the many users factories make; tests/accounts/test_accounts.py checks the
# production list (Argon2 first) separately.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]

# Unit tests never need a broker: tasks are called directly. Tests with a real worker point
# their producer at Redis or the filesystem transport themselves.
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}

# Vendored files are served as they are (no manifest to build before each run).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# WhiteNoise looks for STATIC_ROOT at start-up; tests never collect into it.
STATIC_ROOT = VAR_DIR / "test-staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so a Celery worker started by a test can open the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-clinic.sqlite3")}
elif os.environ.get("TEST_DATABASE_NAME"):
    # Two runs on one PostgreSQL server (a CI run and a developer's) each name their own.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
