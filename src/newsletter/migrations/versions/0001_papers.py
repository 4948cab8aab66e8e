"""papers, their signals, and per-location feed state

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from newsletter.store.schema import StringList, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "papers",
        sa.Column("arxiv_id", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer()),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("authors", StringList(), nullable=False),
        sa.Column("categories", StringList(), nullable=False),
        sa.Column("primary_category", sa.String(40)),
        sa.Column("abs_url", sa.Text(), nullable=False),
        sa.Column("pdf_url", sa.Text(), nullable=False),
        sa.Column("hf_url", sa.Text()),
        sa.Column("submitted_at", UTCDateTime()),
        sa.Column("listed_on", sa.Date()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("arxiv_id", name="pk_papers"),
    )
    op.create_index("ix_papers_listed_on", "papers", ["listed_on"])
    op.create_table(
        "signals",
        sa.Column("arxiv_id", sa.String(40), nullable=False),
        sa.Column("feed", sa.String(200), nullable=False),
        sa.Column("listed_on", sa.Date()),
        sa.Column("announce_type", sa.String(20), nullable=False),
        sa.Column("upvotes", sa.Integer()),
        sa.Column("comments", sa.Integer()),
        sa.Column("on_hugging_face", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["arxiv_id"],
            ["papers.arxiv_id"],
            name="fk_signals_arxiv_id_papers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("arxiv_id", "feed", name="pk_signals"),
    )
    op.create_table(
        "feed_state",
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("location", name="pk_feed_state"),
    )


def downgrade() -> None:
    op.drop_table("feed_state")
    op.drop_table("signals")
    op.drop_index("ix_papers_listed_on", table_name="papers")
    op.drop_table("papers")
