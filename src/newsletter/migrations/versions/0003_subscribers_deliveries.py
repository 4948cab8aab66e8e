"""subscribers, the delivery ledger and provider batches

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from newsletter.store.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("email_key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source", sa.String(200)),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", UTCDateTime()),
        sa.Column("unsubscribed_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_subscribers"),
        sa.UniqueConstraint("email_key", name="uq_subscribers_email_key"),
    )
    op.create_index("ix_subscribers_status", "subscribers", ["status"])
    op.create_table(
        "deliveries",
        sa.Column("issue_number", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("batch_id", sa.String(100)),
        sa.Column("provider_id", sa.Text()),
        sa.Column("error", sa.Text()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_number"],
            ["issues.number"],
            name="fk_deliveries_issue_number_issues",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name="fk_deliveries_subscriber_id_subscribers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("issue_number", "subscriber_id", name="pk_deliveries"),
    )
    op.create_index("ix_deliveries_batch_id", "deliveries", ["batch_id"])
    op.create_table(
        "send_batches",
        sa.Column("batch_id", sa.String(100), nullable=False),
        sa.Column("issue_number", sa.Integer(), nullable=False),
        sa.Column("backend", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("send_at", sa.Integer()),
        sa.Column("message_id", sa.Text()),
        sa.Column("error", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_number"],
            ["issues.number"],
            name="fk_send_batches_issue_number_issues",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("batch_id", name="pk_send_batches"),
    )
    op.create_index("ix_send_batches_status", "send_batches", ["status"])


def downgrade() -> None:
    op.drop_table("send_batches")
    op.drop_index("ix_deliveries_batch_id", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_subscribers_status", table_name="subscribers")
    op.drop_table("subscribers")
