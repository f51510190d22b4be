"""WSGI entry point: `gunicorn wsgi:app`; Celery worker: `celery -A wsgi:celery worker`."""

from marketplace import create_app

app = create_app()
celery = app.extensions.get("celery")
