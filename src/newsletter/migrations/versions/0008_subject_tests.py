"""subject-line tests: each delivery's variant, and the test of an issue

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from newsletter.store.schema import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: a plain ALTER TABLE ADD COLUMN on every backend; every earlier delivery was
    # in no test, which NULL says.
    op.add_column("deliveries", sa.Column("variant", sa.Integer()))
    op.create_table(
        "subject_tests",
        sa.Column("issue_number", sa.Integer(), nullable=False),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("metric", sa.String(10), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("wait_hours", sa.Float(), nullable=False),
        sa.Column("min_per_variant", sa.Integer(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("sample_sent_at", UTCDateTime()),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("decision", sa.JSON()),
        sa.Column("told_at", UTCDateTime()),
        sa.ForeignKeyConstraint(
            ["issue_number"],
            ["issues.number"],
            name="fk_subject_tests_issue_number_issues",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("issue_number", name="pk_subject_tests"),
    )


def downgrade() -> None:
    op.drop_table("subject_tests")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("variant")
