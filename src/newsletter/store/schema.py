"""Table definitions. Only the store and the migrations use them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware datetimes stored as UTC on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware one")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class StringList(TypeDecorator[tuple[str, ...]]):
    """A tuple of one-line strings (authors, categories) as newline-joined text.

    Cheaper to read back than JSON, which matters when a week holds thousands of papers;
    the cleaned names never contain a newline.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        items = tuple(value)
        if any("\n" in item for item in items):
            raise ValueError("list items must be single lines")
        return "\n".join(items)

    def process_result_value(self, value: Any, dialect: Dialect) -> tuple[str, ...]:
        return tuple(value.split("\n")) if value else ()


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

papers = Table(
    "papers",
    metadata,
    Column("arxiv_id", String(40), primary_key=True),
    Column("version", Integer),
    Column("title", Text, nullable=False),
    Column("abstract", Text, nullable=False, default=""),
    Column("authors", StringList(), nullable=False),
    Column("categories", StringList(), nullable=False),
    Column("primary_category", String(40)),
    Column("abs_url", Text, nullable=False),
    Column("pdf_url", Text, nullable=False),
    Column("hf_url", Text),
    Column("submitted_at", UTCDateTime()),
    Column("listed_on", Date, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

signals = Table(
    "signals",
    metadata,
    Column(
        "arxiv_id",
        String(40),
        ForeignKey("papers.arxiv_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("feed", String(200), primary_key=True),
    Column("listed_on", Date),
    Column("announce_type", String(20), nullable=False),
    Column("upvotes", Integer),
    Column("comments", Integer),
    Column("on_hugging_face", Boolean, nullable=False, default=False),
)

feed_state = Table(
    "feed_state",
    metadata,
    Column("location", Text, primary_key=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("fetched_at", UTCDateTime(), nullable=False),
)

issues = Table(
    "issues",
    metadata,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("week_start", Date, nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("data", JSON, nullable=False),
    Column("html", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("markdown", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
)

# The editor's review (migration 0011). Each accepted change to a draft makes a new version;
# the issue row holds the current one (its record, HTML, text), what was proofed last, what
# was approved, and the scheduler's run paused waiting for the editor, if one is.
issues.append_column(Column("version", Integer, nullable=False, server_default="1"))
issues.append_column(Column("edited", Boolean, nullable=False, server_default=false()))
issues.append_column(Column("proofed_version", Integer))  # changes are shown since this one
issues.append_column(Column("approved_version", Integer))
issues.append_column(Column("approved_by", Text))
issues.append_column(Column("approved_at", UTCDateTime()))
issues.append_column(Column("waiting_run", String(64)))  # a paused run's id, to resume it
issues.append_column(Column("waiting_until", UTCDateTime()))  # … until its pause times out

# Every version of a draft: its picks in issue order, and the edits that made it.
issue_revisions = Table(
    "issue_revisions",
    metadata,
    Column(
        "issue_number", Integer, ForeignKey("issues.number", ondelete="CASCADE"), primary_key=True
    ),
    Column("version", Integer, primary_key=True),
    Column("picks", JSON, nullable=False),  # [[section, arXiv id], …] in issue order
    Column("edits", JSON),  # the round's edits as applied (issue/edits.py's JSON); none: a build
    Column("source", String(20), nullable=False),  # build | review | dashboard | cli
    Column("editor", Text),  # who, when the editor's link or form says
    Column("created_at", UTCDateTime(), nullable=False),
)

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", Text, nullable=False),
    # lowercased email: addresses are unique case-insensitively on every backend
    Column("email_key", Text, nullable=False, unique=True),
    Column("name", Text),
    Column("status", String(20), nullable=False, index=True),
    Column("source", String(200)),
    Column("attributes", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("confirmed_at", UTCDateTime()),
    Column("unsubscribed_at", UTCDateTime()),
)

# The delivery ledger: one row per (issue, subscriber); see delivery/ledger.py.
deliveries = Table(
    "deliveries",
    metadata,
    Column(
        "issue_number", Integer, ForeignKey("issues.number", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("status", String(20), nullable=False),
    Column("batch_id", String(100), index=True),
    Column("provider_id", Text),
    Column("error", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime(), nullable=False),
    # No (issue, status) index: sends walk the primary key, and every index costs two
    # writes per delivery on the hottest path.
)

# One row per provider request that carries a batch of deliveries; its state says whether
# the provider may hold the messages (so a restart knows what to cancel).
send_batches = Table(
    "send_batches",
    metadata,
    Column("batch_id", String(100), primary_key=True),
    Column(
        "issue_number", Integer, ForeignKey("issues.number", ondelete="CASCADE"), nullable=False
    ),
    Column("backend", String(20), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    # Written by earlier releases, now always NULL: SendGrid's scheduling stays inside its
    # backend (it cancels by batch id, and needs no time kept here).
    Column("send_at", Integer),
    Column("message_id", Text),
    Column("error", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# What the web endpoints add (migration 0004). When SendGrid said a delivery was delivered,
# opened, clicked, bounced or reported as spam: the first time each happened.
deliveries.append_column(Column("delivered_at", UTCDateTime()))
deliveries.append_column(Column("opened_at", UTCDateTime()))
deliveries.append_column(Column("clicked_at", UTCDateTime()))
deliveries.append_column(Column("bounced_at", UTCDateTime()))
deliveries.append_column(Column("complained_at", UTCDateTime()))

# What the editor decided, to learn from (migration 0005): for each week, the papers the
# editor picked (with their section), left out, added, removed or moved at approval, or
# published in an issue imported with `newsletter learn`. The text stays in `papers`.
editor_decisions = Table(
    "editor_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("week_start", Date, nullable=False, index=True),
    Column("arxiv_id", String(40), nullable=False),
    Column("action", String(20), nullable=False),  # picked | left_out | added | removed | moved
    Column("section", Text),
    Column("source", String(20), nullable=False),  # sent | approval | published
    Column("decided_at", UTCDateTime(), nullable=False),
)
# An order the editor gave a section (migration 0011): action "ordered", the paper's place.
editor_decisions.append_column(Column("position", Integer))

# The learned models, versioned: each training run adds one (the highest number not refused
# is in use). A model is stored as JSON of its numbers, never as code (migration 0007 took
# out the pickles of release 0.1, keeping their rows with the reason).
models = Table(
    "models",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=True),
    Column("trained_at", UTCDateTime(), nullable=False),
    Column("summary", JSON, nullable=False),  # what it learned from, and its evaluation
    Column("format", String(40), nullable=False),  # "newsletter.selection/3"; "pickle" (0.1)
    Column("body", Text),  # the model as JSON; NULL once refused
    Column("refused", Text),  # why it is never used, when it is not
)

# Every provider event, once (migration 0006): SendGrid retries a post for 24 hours and the
# unique key keeps a retried event out. Clicks carry the link and what it was on. Opens and
# clicks of an issue older than NEWSLETTER_EVENTS_KEEP_DAYS are folded into issue_totals.
email_events = Table(
    "email_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_key", String(255), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    # no foreign keys: an erased subscriber's events stay, without the person (id negated)
    Column("issue_number", Integer),
    Column("subscriber_id", Integer),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False, index=True),
    Column("url", Text),
    Column("target", String(20)),  # paper | promo | view | unsubscribe | other
    Column("target_key", Text),  # arXiv id, promo name
    Column("section", Text),
    Column("machine", Boolean, nullable=False, default=False),
    Column("detail", String(200)),
    Index("ix_email_events_issue_kind", "issue_number", "kind", "subscriber_id"),
)

# An issue's report once its raw events are folded away: the whole IssueEngagement as JSON.
issue_totals = Table(
    "issue_totals",
    metadata,
    Column(
        "issue_number", Integer, ForeignKey("issues.number", ondelete="CASCADE"), primary_key=True
    ),
    Column("folded_at", UTCDateTime(), nullable=False),
    Column("totals", JSON, nullable=False),
)

# Who joined (became active) and left the list, when, how, and after which issue: list growth.
list_changes = Table(
    "list_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscriber_id", Integer),  # negated once the subscriber is erased
    Column("joined", Boolean, nullable=False),
    Column(
        "reason", String(20), nullable=False
    ),  # left: unsubscribed | bounced | complained | erased
    Column("via", String(20), nullable=False),
    Column("issue_number", Integer),
    Column("at", UTCDateTime(), nullable=False, index=True),
)

# Subject-line tests (migration 0008): the variant of the issue's subjects each delivery of a
# test's sample got (NULL: not in a sample, so it got the title or the winner), and the test.
deliveries.append_column(Column("variant", Integer))

subject_tests = Table(
    "subject_tests",
    metadata,
    Column(
        "issue_number", Integer, ForeignKey("issues.number", ondelete="CASCADE"), primary_key=True
    ),
    Column("subjects", JSON, nullable=False),  # as rendered for readers, in the editor's order
    Column("metric", String(10), nullable=False),  # opens | clicks
    Column("share", Float, nullable=False),
    Column("wait_hours", Float, nullable=False),
    Column("min_per_variant", Integer, nullable=False),
    Column("sample_size", Integer, nullable=False),  # 0: too few readers, no test was run
    Column("started_at", UTCDateTime(), nullable=False),
    Column("sample_sent_at", UTCDateTime()),  # the sample all settled: the wait starts
    Column("decided_at", UTCDateTime()),
    Column("decision", JSON),  # domain/subject_test.Decision: winner, rule, numbers
    Column("told_at", UTCDateTime()),  # the editors were mailed the result
)

# Readers' votes on papers (migration 0009): one per reader per paper of an issue, the latest
# kept. No foreign key on the subscriber: an erased reader's votes stay under the id negated,
# as their events do, so the past's counts hold. `audience`: the issue was delivered to them
# (a vote from a welcome mail's copy is kept apart from the issue's counts).
votes = Table(
    "votes",
    metadata,
    Column(
        "issue_number", Integer, ForeignKey("issues.number", ondelete="CASCADE"), primary_key=True
    ),
    Column("subscriber_id", Integer, primary_key=True),
    Column("arxiv_id", String(40), primary_key=True),
    Column("choice", String(10), nullable=False),  # up | down
    Column("audience", Boolean, nullable=False),
    Column("voted_at", UTCDateTime(), nullable=False),
)

# The welcome mail's ledger (migration 0009): one row per subscriber, recorded `pending` before
# the mail is handed to the backend and settled after (sent, failed, unknown).
welcomes = Table(
    "welcomes",
    metadata,
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("issue_number", Integer),  # the issue it carried
    Column("status", String(20), nullable=False),
    Column("backend", String(20), nullable=False),
    Column("provider_id", Text),
    Column("error", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Each feed's ingest, when it ran and how it went (migration 0010): what `/healthz` reads to
# say whether the daily ingest is keeping up. Kept INGEST_KEEP_DAYS (store/activity.py).
ingests = Table(
    "ingests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("feed", String(200), nullable=False),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("ok", Boolean, nullable=False),
    Column("new", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("error", Text),
)
