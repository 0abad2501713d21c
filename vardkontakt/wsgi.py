import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vardkontakt.settings")
application = get_wsgi_application()

# What the process loaded to start (settings, apps, models, the URLconf and every view module it
# imports) lives as long as the process: moved out of the garbage collector's generations, the
# collector's full passes no longer walk those ~90,000 objects in the middle of a request (the
# slowest requests in bench/profile_request.py fell from ~76-99 ms to ~23-37 ms).
get_resolver().url_patterns  # noqa: B018 - imports the URLconf and the views now, not at the first request
gc.collect()
gc.freeze()
