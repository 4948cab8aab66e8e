"""review: draft versions (each accepted change a new one), what was proofed and approved,
the run waiting for the editor; every version's picks; the editor's order as decisions

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from newsletter.store.schema import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN on every backend: no table rewrite (on SQLite a rewrite of
    # issues would drop it, and with it, through ON DELETE CASCADE, every delivery row).
    for column in (
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("edited", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("proofed_version", sa.Integer()),
        sa.Column("approved_version", sa.Integer()),
        sa.Column("approved_by", sa.Text()),
        sa.Column("approved_at", UTCDateTime()),
        sa.Column("waiting_run", sa.String(64)),
        sa.Column("waiting_until", UTCDateTime()),
    ):
        op.add_column("issues", column)
    revisions = op.create_table(
        "issue_revisions",
        sa.Column("issue_number", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("picks", sa.JSON(), nullable=False),
        sa.Column("edits", sa.JSON()),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("editor", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_number"],
            ["issues.number"],
            name="fk_issue_revisions_issue_number_issues",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("issue_number", "version", name="pk_issue_revisions"),
    )
    op.add_column("editor_decisions", sa.Column("position", sa.Integer()))
    _first_versions(revisions)


def _first_versions(revisions: sa.Table) -> None:
    """Every issue so far is its build, version 1: its picks as they are, proofed as built."""
    conn = op.get_bind()
    issues = sa.table(
        "issues",
        sa.column("number", sa.Integer()),
        sa.column("data", sa.JSON()),
        sa.column("created_at", UTCDateTime()),
        sa.column("proofed_version", sa.Integer()),
    )
    rows = conn.execute(sa.select(issues.c.number, issues.c.data, issues.c.created_at)).all()
    if not rows:
        return
    conn.execute(
        revisions.insert(),
        [
            {
                "issue_number": number,
                "version": 1,
                "picks": [
                    [section["name"], paper["arxiv_id"]]
                    for section in (data or {}).get("sections", [])
                    for paper in section.get("papers", [])
                ],
                "edits": None,
                "source": "build",
                "editor": None,
                "created_at": created,
            }
            for number, data, created in rows
        ],
    )
    conn.execute(sa.update(issues).values(proofed_version=1))


def downgrade() -> None:
    op.drop_column("editor_decisions", "position")
    op.drop_table("issue_revisions")
    for name in (
        "waiting_until",
        "waiting_run",
        "approved_at",
        "approved_by",
        "approved_version",
        "proofed_version",
        "edited",
        "version",
    ):
        op.drop_column("issues", name)
