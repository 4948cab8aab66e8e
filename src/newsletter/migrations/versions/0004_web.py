"""web endpoints: SendGrid event ids seen, and what SendGrid said about each delivery

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from newsletter.store.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DELIVERY_EVENTS = ("delivered_at", "opened_at", "clicked_at", "bounced_at", "complained_at")


def upgrade() -> None:
    op.create_table(
        "webhook_events",
        sa.Column("sg_event_id", sa.String(255), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("occurred_at", UTCDateTime()),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sg_event_id", name="pk_webhook_events"),
    )
    op.create_index("ix_webhook_events_received_at", "webhook_events", ["received_at"])
    # Nullable columns: a plain ALTER TABLE ADD COLUMN on every backend, no table rewrite.
    for name in DELIVERY_EVENTS:
        op.add_column("deliveries", sa.Column(name, UTCDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        for name in DELIVERY_EVENTS:
            batch.drop_column(name)
    op.drop_index("ix_webhook_events_received_at", table_name="webhook_events")
    op.drop_table("webhook_events")
