"""Whether a task is retried is the error's own word (`retryable`), read by worth_retrying."""

from __future__ import annotations

import pytest
from prefect.states import Failed

from newsletter.errors import (
    ConfigError,
    FeedError,
    IngestError,
    IssueError,
    NewsletterError,
    SendError,
    StoreError,
    SubscriberError,
    TokenError,
    UnsettledError,
)
from newsletter_flows.tasks import worth_retrying

URL = "https://example.org/feed"


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (ConfigError("no SENDGRID_API_KEY"), False),
        (SubscriberError("not an address", email="x"), False),
        (IngestError("feed hf: HTTP 503 (4 tries)"), False),
        (IssueError("no issue has been sent yet", issue=None), False),
        (TokenError("token expired"), False),
        (FeedError("HTTP 503 (4 tries)", url=URL, status=503, gave_up=True), False),
        (FeedError("HTTP 404 Not Found", url=URL, status=404), False),
        (FeedError("cannot connect: proxy", url=URL), True),
        (SendError("gave up after 9 failed requests in a row: HTTP 503"), True),
        (UnsettledError("batch b1 could not be cancelled"), True),
        (StoreError("database is locked"), True),
        (OSError("connection reset"), True),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_a_task_is_retried_when_its_error_says_it_may_pass(error: Exception, retried: bool) -> None:
    assert worth_retrying(None, None, Failed(data=error)) is retried
    if isinstance(error, NewsletterError):
        assert error.retryable is retried
