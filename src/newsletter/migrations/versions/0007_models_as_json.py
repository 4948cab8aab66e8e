"""models as JSON, never pickles: release 0.1's pickled models are refused, not read

A model is now stored as JSON of its numbers (`format`, `body`); the pickled models of
release 0.1 are kept as rows (their version numbers and summaries stay) with their bytes
dropped unread and the reason recorded in `refused`. The next build, or `newsletter train`,
trains a new version from the stored decisions.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

REFUSED = (
    "a pickled model of release 0.1: never unpickled (a pickle can run code); dropped by "
    "migration 0007, the next build trains a new version from the stored decisions"
)


def upgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.add_column(
            sa.Column("format", sa.String(40), nullable=False, server_default="pickle")
        )
        batch.add_column(sa.Column("body", sa.Text()))
        batch.add_column(sa.Column("refused", sa.Text()))
    models = sa.table("models", sa.column("format", sa.String), sa.column("refused", sa.Text))
    op.execute(models.update().where(models.c.format == "pickle").values(refused=REFUSED))
    with op.batch_alter_table("models") as batch:
        batch.alter_column("format", server_default=None)
        batch.drop_column("blob")  # the pickles' bytes, unread


def downgrade() -> None:
    # Release 0.1 reads `blob` as a pickle and retrains when it fails to load: empty bytes.
    with op.batch_alter_table("models") as batch:
        batch.add_column(
            sa.Column("blob", sa.LargeBinary(), nullable=False, server_default=sa.text("''"))
        )
    with op.batch_alter_table("models") as batch:
        batch.alter_column("blob", server_default=None)
        batch.drop_column("refused")
        batch.drop_column("body")
        batch.drop_column("format")
