"""WSGI entry point: `gunicorn wsgi:app`; Celery worker: `celery -A wsgi:celery worker`."""

import gc

from marketplace import create_app

app = create_app()
celery = app.extensions.get("celery")

# What the app builds at start (mappers, message catalogues, the OpenAPI spec, schemas) lives as
# long as the process. Left to the collector, every full collection walks all of it: pauses of
# ~0.2 s in the middle of requests that allocate many rows (benchmarks/dashboard.py showed them
# as one request in three taking twice as long). Frozen, the collector skips those objects.
gc.freeze()
