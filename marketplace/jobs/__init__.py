"""Background jobs: dispatch to Celery when a broker is configured, else a thread in-process."""
