"""Settings for the test suite: the production settings, with test values for what a deployment
would put in the environment. DATABASE_URL still comes from the environment (SQLite by default,
PostgreSQL in CI's second run)."""

import json
import os

_TEST_KEYRING = json.dumps(
    {
        # Fixed, public test keys: never used outside the test suite.
        "primary": "test1",
        "keys": {"test1": "dGVzdC1rZXktZW5jcnlwdGlvbi1rZXktMDAwMDAwMDE="},
        "mac_key": "dGVzdC1tYWMta2V5LTAwMDAwMDAwMDAwMDAwMDAwMDE=",
    }
)

os.environ.setdefault("VK_DEBUG", "0")
os.environ.setdefault("VK_SECRET_KEY", "test-secret-key-" + "t" * 50)
os.environ.setdefault("VK_KEYRING", _TEST_KEYRING)
os.environ.setdefault("VK_EID_PROVIDERS", "bankid,freja,siths")
os.environ.setdefault("VK_EID_SIMULATORS", "1")
os.environ.setdefault("VK_ALLOW_SIMULATORS", "1")
os.environ.setdefault("VK_TLS", "0")
os.environ.setdefault("VK_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("VK_TASK_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")

from vardkontakt.settings import *  # noqa: E402,F403
from vardkontakt.settings import STORAGES  # noqa: E402

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
