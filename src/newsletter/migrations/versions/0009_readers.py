"""readers in the loop: votes on papers and the welcome mail's ledger

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from newsletter.store.schema import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "votes",
        sa.Column("issue_number", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("arxiv_id", sa.String(40), nullable=False),
        sa.Column("choice", sa.String(10), nullable=False),
        sa.Column("audience", sa.Boolean(), nullable=False),
        sa.Column("voted_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_number"],
            ["issues.number"],
            name="fk_votes_issue_number_issues",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("issue_number", "subscriber_id", "arxiv_id", name="pk_votes"),
    )
    op.create_table(
        "welcomes",
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("issue_number", sa.Integer()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("backend", sa.String(20), nullable=False),
        sa.Column("provider_id", sa.Text()),
        sa.Column("error", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name="fk_welcomes_subscriber_id_subscribers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscriber_id", name="pk_welcomes"),
    )


def downgrade() -> None:
    op.drop_table("welcomes")
    op.drop_table("votes")
