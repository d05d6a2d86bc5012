"""ASGI entry (decision 0051): uvicorn serves the agents' screen-pop streams from here, and in the
embedded default (``make run``) every page as well."""

import os
import warnings

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anxin.settings")
# Django: "When using ASGI, persistent connections should be disabled" (each request runs in a
# thread of its own, so a kept connection would never be reused). An explicit DB_CONN_MAX_AGE wins.
os.environ.setdefault("DB_CONN_MAX_AGE", "0")
# File responses (WhiteNoise's static files, an order's attachments, ≤ ANXIN_UPLOAD_MAX_MB) are plain
# iterators: under ASGI Django reads such a file whole before sending it, and warns each time. Known
# and accepted here; the pop stream itself is an async iterator.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators", category=Warning)
application = get_asgi_application()
