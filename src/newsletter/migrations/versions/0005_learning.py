"""learning the editor's judgement: the editor's decisions, and the versioned models

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from newsletter.store.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "editor_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("arxiv_id", sa.String(40), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("section", sa.Text()),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_editor_decisions"),
    )
    op.create_index("ix_editor_decisions_week_start", "editor_decisions", ["week_start"])
    op.create_table(
        "models",
        sa.Column("version", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("trained_at", UTCDateTime(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_models"),
    )


def downgrade() -> None:
    op.drop_table("models")
    op.drop_index("ix_editor_decisions_week_start", table_name="editor_decisions")
    op.drop_table("editor_decisions")
