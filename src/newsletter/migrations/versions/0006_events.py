"""engagement: every provider event kept (replacing the bare event-id table), folded issue
totals, and the list's joins and leaves

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from newsletter.store.schema import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

GONE = ("unsubscribed", "bounced", "complained")


def upgrade() -> None:
    op.create_table(
        "email_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("issue_number", sa.Integer()),
        sa.Column("subscriber_id", sa.Integer()),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("url", sa.Text()),
        sa.Column("target", sa.String(20)),
        sa.Column("target_key", sa.Text()),
        sa.Column("section", sa.Text()),
        sa.Column("machine", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.String(200)),
        sa.PrimaryKeyConstraint("id", name="pk_email_events"),
        sa.UniqueConstraint("event_key", name="uq_email_events_event_key"),
    )
    op.create_index("ix_email_events_received_at", "email_events", ["received_at"])
    op.create_index(
        "ix_email_events_issue_kind", "email_events", ["issue_number", "kind", "subscriber_id"]
    )
    op.create_table(
        "issue_totals",
        sa.Column("issue_number", sa.Integer(), nullable=False),
        sa.Column("folded_at", UTCDateTime(), nullable=False),
        sa.Column("totals", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_number"],
            ["issues.number"],
            name="fk_issue_totals_issue_number_issues",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("issue_number", name="pk_issue_totals"),
    )
    op.create_table(
        "list_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscriber_id", sa.Integer()),
        sa.Column("joined", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("via", sa.String(20), nullable=False),
        sa.Column("issue_number", sa.Integer()),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_list_changes"),
    )
    op.create_index("ix_list_changes_at", "list_changes", ["at"])
    _keep_seen_event_ids()
    _history_from_subscribers()
    op.drop_index("ix_webhook_events_received_at", table_name="webhook_events")
    op.drop_table("webhook_events")


def _keep_seen_event_ids() -> None:
    """Ids seen in the last week stay seen (a retry is still recognised), as kind 'other'."""
    op.execute(
        "INSERT INTO email_events (event_key, kind, occurred_at, received_at, machine) "
        "SELECT sg_event_id, 'other', COALESCE(occurred_at, received_at), received_at, "
        "false FROM webhook_events"
    )


def _history_from_subscribers() -> None:
    """What the subscribers table says of the past: each one's last join and last leave."""
    op.execute(
        "INSERT INTO list_changes (subscriber_id, joined, reason, via, at) "
        "SELECT id, true, 'confirmed', 'other', confirmed_at FROM subscribers "
        "WHERE confirmed_at IS NOT NULL"
    )
    gone = ", ".join(f"'{status}'" for status in GONE)
    op.execute(
        "INSERT INTO list_changes (subscriber_id, joined, reason, via, at) "
        "SELECT id, false, status, 'other', unsubscribed_at FROM subscribers "
        f"WHERE status IN ({gone}) AND unsubscribed_at IS NOT NULL"  # noqa: S608 - constants
    )


def downgrade() -> None:
    op.create_table(
        "webhook_events",
        sa.Column("sg_event_id", sa.String(255), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("occurred_at", UTCDateTime()),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sg_event_id", name="pk_webhook_events"),
    )
    op.create_index("ix_webhook_events_received_at", "webhook_events", ["received_at"])
    op.execute(
        "INSERT INTO webhook_events (sg_event_id, event, occurred_at, received_at) "
        "SELECT event_key, kind, occurred_at, received_at FROM email_events"
    )
    op.drop_index("ix_list_changes_at", table_name="list_changes")
    op.drop_table("list_changes")
    op.drop_table("issue_totals")
    op.drop_index("ix_email_events_issue_kind", table_name="email_events")
    op.drop_index("ix_email_events_received_at", table_name="email_events")
    op.drop_table("email_events")
