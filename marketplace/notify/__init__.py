"""Notifications (in the app, by e-mail) and outbound webhooks, written through an outbox.

Other features call `marketplace.notify.publish(...)` inside their own transaction; the
`notify.deliver_due` job sends what is due afterwards. Nothing is sent inside a request.
"""

from marketplace.notify.events import EVENTS
from marketplace.notify.services import publish

__all__ = ["EVENTS", "publish"]
