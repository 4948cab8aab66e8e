"""The welcome mail: a new reader's first mail, with the latest sent issue (the rules are
subscribers/welcome.py's). The web app sends it after a confirmation, the CLI after
`newsletter subscribers add --welcome`."""

from __future__ import annotations

from newsletter.app import App
from newsletter.delivery.backends import Backend
from newsletter.errors import SubscriberError
from newsletter.store import Store, StoredIssue
from newsletter.subscribers.welcome import Outcome, Welcomed, send_welcome

__all__ = ["Outcome", "Welcomed", "welcome", "will_welcome"]


def welcome(app: App, subscriber_id: int, *, backend: Backend | None = None) -> Welcomed:
    """Welcome the subscriber with the latest sent issue, through `backend` (default: the
    configured one, opened and closed here), once: see subscribers/welcome.py."""
    config = app.editor().welcome
    with app.store() as store:
        sub = store.get_subscriber(subscriber_id)
        if sub is None:
            raise SubscriberError(f"no subscriber with id {subscriber_id}", email="")
        latest = _latest_sent(store)
        opened = backend or app.open_backend(app.backend())
        try:
            sender, token = app.sender(opened.name)
            return send_welcome(store, sub, latest, config, opened, sender, token)
        finally:
            if backend is None:
                opened.close()


def will_welcome(app: App, subscriber_id: int) -> bool:
    """Whether a welcome mail would go to the subscriber now (for the page that says so)."""
    if not app.editor().welcome.enabled:
        return False
    with app.store() as store:
        latest = _latest_sent(store)
        if latest is None or store.received_issue(latest.number, subscriber_id):
            return False
        found = store.welcome_of(subscriber_id)
        return found is None or not found.status.final


def _latest_sent(store: Store) -> StoredIssue | None:
    numbers = store.sent_issue_numbers()
    return store.get_issue(numbers[0]) if numbers else None
