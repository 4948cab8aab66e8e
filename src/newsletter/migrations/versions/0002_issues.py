"""issues: numbered drafts and sent issues with their rendered forms

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from newsletter.store.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issues",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("number", name="pk_issues"),
        sa.UniqueConstraint("week_start", name="uq_issues_week_start"),
    )


def downgrade() -> None:
    op.drop_table("issues")
