"""Django settings for Vårdkontakt, read from the environment (see docs/configuration.md)."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from vardkontakt.env import database_from_url, env_base_url, env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VK_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("VK_DEBUG", False)

if DEBUG:
    SECRET_KEY = env_str("VK_SECRET_KEY", "insecure-development-key-" + "x" * 40)
else:
    SECRET_KEY = env_str("VK_SECRET_KEY")
    if len(SECRET_KEY) < 50:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("VK_SECRET_KEY must be at least 50 characters long.")

ALLOWED_HOSTS = env_list("VK_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "vardkontakt.crypto",
    "vardkontakt.audit",
    "vardkontakt.identity",
    "vardkontakt.directory",
    "vardkontakt.roles",
    "vardkontakt.cases",
    "vardkontakt.notifications",
    "vardkontakt.onboarding",
    "vardkontakt.web",
    "vardkontakt.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "vardkontakt.web.middleware.SecurityHeadersMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "vardkontakt.web.language.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "vardkontakt.identity.middleware.SessionRealmMiddleware",
]

ROOT_URLCONF = "vardkontakt.urls"
WSGI_APPLICATION = "vardkontakt.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["vardkontakt.web.templatetags.url_once"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vardkontakt.web.context_processors.site",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {
    "default": database_from_url(env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'vardkontakt.sqlite3'}"))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Identity and sessions -------------------------------------------------------------------------
AUTH_USER_MODEL = "identity.User"
# Users log in with e-ID only (identity.eid); this backend only loads the user of a session.
AUTHENTICATION_BACKENDS = ["vardkontakt.identity.backends.EIdBackend"]
LOGIN_URL = "identity:login"
SESSION_ENGINE = "vardkontakt.identity.backends"  # Django's database sessions, read by one written statement
SESSION_COOKIE_NAME = "vk_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Idle and absolute lifetimes of a logged-in session, enforced by SessionRealmMiddleware.
VK_SESSION_IDLE_SECONDS = env_int("VK_SESSION_IDLE_SECONDS", 15 * 60, minimum=60)
VK_SESSION_ABSOLUTE_SECONDS = env_int("VK_SESSION_ABSOLUTE_SECONDS", 8 * 60 * 60, minimum=300)
SESSION_COOKIE_AGE = VK_SESSION_ABSOLUTE_SECONDS

# --- e-ID -----------------------------------------------------------------------------------------
# Which e-ID providers are offered: bankid and freja for residents, siths for staff.
VK_EID_PROVIDERS = env_list("VK_EID_PROVIDERS", ["bankid", "freja", "siths"] if DEBUG else [])
# The providers are the local simulators (vardkontakt/simulators, `manage.py run_simulators`), and the
# population register is the local file. Refused at start-up unless DEBUG or VK_ALLOW_SIMULATORS.
VK_EID_SIMULATORS = env_bool("VK_EID_SIMULATORS", DEBUG)
VK_ALLOW_SIMULATORS = env_bool("VK_ALLOW_SIMULATORS", False)
VK_SIMULATOR_URL = env_str("VK_SIMULATOR_URL", "http://127.0.0.1:8010").rstrip("/")
_SIM = VK_SIMULATOR_URL if VK_EID_SIMULATORS else ""

# BankID Relying Party API v6, over mutual TLS with the relying party's certificate.
VK_BANKID_API_URL = env_str(
    "VK_BANKID_API_URL", f"{_SIM}/bankid/rp/v6.0/" if _SIM else "https://appapi2.bankid.com/rp/v6.0/"
)
VK_BANKID_CLIENT_CERT = env_str("VK_BANKID_CLIENT_CERT", "")  # PEM file: the RP certificate
VK_BANKID_CLIENT_KEY = env_str("VK_BANKID_CLIENT_KEY", "")  # PEM file: its private key
VK_BANKID_CA_CERT = env_str(
    "VK_BANKID_CA_CERT", ""
)  # PEM file: the CA that signed BankID's server certificate
# Where "BankID on this device" sends the browser (the simulator's app page in the demo).
VK_BANKID_APP_URL = env_str("VK_BANKID_APP_URL", f"{_SIM}/bankid/app/" if _SIM else "bankid:///")

# Freja eID Plus (residents) and SITHS through the Inera IdP (staff), both over OpenID Connect.
VK_FREJA_ISSUER = env_str("VK_FREJA_ISSUER", f"{_SIM}/freja" if _SIM else "")
VK_FREJA_CLIENT_ID = env_str("VK_FREJA_CLIENT_ID", "vardkontakt")
VK_FREJA_CLIENT_SECRET = env_str("VK_FREJA_CLIENT_SECRET", "simulator-secret" if _SIM else "")
VK_SITHS_ISSUER = env_str("VK_SITHS_ISSUER", f"{_SIM}/siths" if _SIM else "")
VK_SITHS_CLIENT_ID = env_str("VK_SITHS_CLIENT_ID", "vardkontakt")
VK_SITHS_CLIENT_SECRET = env_str("VK_SITHS_CLIENT_SECRET", "simulator-secret" if _SIM else "")

# The population register (folkbokföring): a factory returning a PopulationRegister.
VK_POPULATION_REGISTER = env_str("VK_POPULATION_REGISTER", "vardkontakt.identity.adapters.local_register")
VK_POPULATION_REGISTER_FILE = env_str(
    "VK_POPULATION_REGISTER_FILE", str(BASE_DIR / "data" / "population-register.json")
)

# Failed or cancelled logins allowed per session and per IP address within the window (seconds).
VK_LOGIN_FAILURES_PER_SESSION = env_int("VK_LOGIN_FAILURES_PER_SESSION", 5, minimum=1)
VK_LOGIN_FAILURES_PER_IP = env_int("VK_LOGIN_FAILURES_PER_IP", 50, minimum=1)
VK_LOGIN_FAILURE_WINDOW = env_int("VK_LOGIN_FAILURE_WINDOW", 15 * 60, minimum=60)
# Sensitive changes (locking a login, blocking a guardian, granting roles, notification addresses)
# need an e-ID authentication this recent (seconds).
VK_STEP_UP_SECONDS = env_int("VK_STEP_UP_SECONDS", 5 * 60, minimum=30)

# --- Encryption ------------------------------------------------------------------------------------
# The key ring: JSON in VK_KEYRING, or a file named by VK_KEYRING_FILE (see crypto.keyring).
VK_KEYRING = env_str("VK_KEYRING", "")
VK_KEYRING_FILE = env_str("VK_KEYRING_FILE", "")

# --- Internationalisation --------------------------------------------------------------------------
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Svenska")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "vardkontakt" / "locale"]
LANGUAGE_COOKIE_NAME = "vk_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "build" / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "media"},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Security --------------------------------------------------------------------------------------
# Behind TLS (production) the cookies are secure and HSTS is sent. VK_TRUSTED_PROXIES is the number
# of reverse proxies in front of the application: their X-Forwarded-Proto and the addresses they add
# to X-Forwarded-For are trusted (identity/network.py); nothing else a client sends is.
VK_TLS = env_bool("VK_TLS", not DEBUG)
VK_TRUSTED_PROXIES = env_int("VK_TRUSTED_PROXIES", 0, minimum=0)
if VK_TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = VK_TLS
CSRF_COOKIE_SECURE = VK_TLS
LANGUAGE_COOKIE_SECURE = VK_TLS
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = VK_TLS and env_bool("VK_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("VK_HSTS_SECONDS", 31536000, minimum=0) if VK_TLS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = VK_TLS
SECURE_HSTS_PRELOAD = VK_TLS and env_bool("VK_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("VK_CSRF_TRUSTED_ORIGINS", [])

# --- E-mail and SMS --------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("VK_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("VK_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("VK_EMAIL_PORT", 25, minimum=1)
DEFAULT_FROM_EMAIL = env_str("VK_DEFAULT_FROM_EMAIL", "no-reply@vardkontakt.invalid")
VK_SMS_BACKEND = env_choice("VK_SMS_BACKEND", "console", {"console", "http"})
# The HTTP SMS gateway (VK_SMS_BACKEND=http): POST JSON {"to", "message", "from"} with a bearer token.
VK_SMS_URL = env_str("VK_SMS_URL", "")
VK_SMS_TOKEN = env_str("VK_SMS_TOKEN", "")
VK_SMS_SENDER = env_str("VK_SMS_SENDER", "Vardkontakt")
if VK_SMS_BACKEND == "http" and not (VK_SMS_URL and VK_SMS_TOKEN):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("VK_SMS_BACKEND=http needs VK_SMS_URL and VK_SMS_TOKEN.")
# Notifications (notifications/delivery.py): attempts per notification, the first retry delay (it
# doubles, up to six hours), and how long a worker holds a notification it is sending.
VK_NOTIFY_MAX_ATTEMPTS = env_int("VK_NOTIFY_MAX_ATTEMPTS", 8, minimum=1)
VK_NOTIFY_RETRY_SECONDS = env_int("VK_NOTIFY_RETRY_SECONDS", 60, minimum=1)
VK_NOTIFY_LEASE_SECONDS = env_int("VK_NOTIFY_LEASE_SECONDS", 10 * 60, minimum=30)

# --- Cache: shared by every process (login failure counts); the database by default ------------------
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "vk_cache"},
}

# --- Background tasks ------------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("VK_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Logging: never personal data; see docs/security.md --------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("VK_LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}),
    },
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

# --- Region this installation serves ---------------------------------------------------------------
VK_REGION_CODE = env_str("VK_REGION_CODE", "01")  # county code; 01 = Region Stockholm
# Where residents reach the site, for links that leave it (the QR code of printed information).
# Empty: the host of the request, which ALLOWED_HOSTS has checked.
VK_PUBLIC_URL = env_base_url("VK_PUBLIC_URL")
CSRF_FAILURE_VIEW = "vardkontakt.web.views.csrf_failure"

# --- Attachments to case messages (cases/attachments.py) -------------------------------------------
VK_ATTACHMENT_MAX_BYTES = env_int("VK_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
VK_ATTACHMENT_MAX_COUNT = env_int("VK_ATTACHMENT_MAX_COUNT", 5, minimum=0)
# Virus scanning through clamd (INSTREAM): a unix socket, or a host and port. Unset: no scanning, and
# attachments are stored marked "not scanned". Set but unreachable: uploads are refused (fail closed).
VK_CLAMD_SOCKET = env_str("VK_CLAMD_SOCKET", "")
VK_CLAMD_HOST = env_str("VK_CLAMD_HOST", "")
VK_CLAMD_PORT = env_int("VK_CLAMD_PORT", 3310, minimum=1)
VK_CLAMD_TIMEOUT = env_int("VK_CLAMD_TIMEOUT", 30, minimum=1)
# A request within those limits keeps its files in memory (the threshold is for the whole request), so
# accepted files are never written to a temporary file in clear before they are sealed.
FILE_UPLOAD_MAX_MEMORY_SIZE = VK_ATTACHMENT_MAX_BYTES * max(VK_ATTACHMENT_MAX_COUNT, 1) + 1024 * 1024
