"""Notes and decisions on figures (with revisions), saved selection scenarios.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("note_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("target_kind", sa.String(16), nullable=False),
        sa.Column("target_id", sa.String(200), nullable=False),
        sa.Column("month", sa.String(7)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("deleted_at", sa.DateTime),
    )
    op.create_index("ix_notes_target", "notes", ["target_kind", "target_id"])
    op.create_index("ix_notes_month", "notes", ["month"])
    op.create_table(
        "note_revisions",
        sa.Column("revision_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("note_id", sa.Integer, sa.ForeignKey("notes.note_id"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_note_revisions_note", "note_revisions", ["note_id"])
    op.create_table(
        "scenarios",
        sa.Column("scenario_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("data_version", sa.String(64)),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scenarios")
    op.drop_index("ix_note_revisions_note", "note_revisions")
    op.drop_table("note_revisions")
    op.drop_index("ix_notes_month", "notes")
    op.drop_index("ix_notes_target", "notes")
    op.drop_table("notes")
