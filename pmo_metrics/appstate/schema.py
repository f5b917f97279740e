"""The app-state store's tables, as SQLAlchemy Core metadata (the migrations create them).

What people write lives here, never in the DuckDB warehouse that each load replaces: notes and
decisions on figures (with every revision kept), saved selection scenarios, subscriptions to the
digests and alerts, and the log of what was sent. Types are portable
(SQLite by default, PostgreSQL when several app servers share the store); JSON documents are
stored as text so both behave alike.
"""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

NOTE_TARGETS = ("project", "kpi", "month")
NOTE_KINDS = ("note", "decision")

notes = sa.Table(
    "notes", metadata,
    sa.Column("note_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("target_kind", sa.String(16), nullable=False),     # one of NOTE_TARGETS
    sa.Column("target_id", sa.String(200), nullable=False),      # project id, metric id or YYYY-MM
    sa.Column("month", sa.String(7)),                            # the month it speaks of, if any
    sa.Column("kind", sa.String(16), nullable=False),            # one of NOTE_KINDS
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("deleted_at", sa.DateTime),                        # set when deleted: history stays
    sa.Index("ix_notes_target", "target_kind", "target_id"),
    sa.Index("ix_notes_month", "month"),
)

note_revisions = sa.Table(
    "note_revisions", metadata,
    sa.Column("revision_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("note_id", sa.Integer, sa.ForeignKey("notes.note_id"), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),          # created | edited | deleted
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("author", sa.String(200), nullable=False),         # who made this revision
    sa.Column("changed_at", sa.DateTime, nullable=False),
    sa.Index("ix_note_revisions_note", "note_id"),
)

scenarios = sa.Table(
    "scenarios", metadata,
    sa.Column("scenario_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("definition", sa.Text, nullable=False),            # JSON: budget, limits, forced in/out …
    sa.Column("result", sa.Text, nullable=False),                # JSON: the funded set and its totals
    sa.Column("data_version", sa.String(64)),                    # the warehouse load it was computed on
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

# -- distribution: who receives what, and what was sent ------------------------------------------

subscriptions = sa.Table(
    "subscriptions", metadata,
    sa.Column("subscription_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("definition", sa.Text, nullable=False),            # JSON: the keys of a [subscriptions.NAME] table
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

SEND_STATUSES = ("sending", "sent", "failed", "nothing")

# One row per (subscription, month, load): the unique key is what makes a send happen once, even
# when two schedulers run at the same moment — the second one's insert fails and it backs off.
sends = sa.Table(
    "sends", metadata,
    sa.Column("send_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("subscription", sa.String(64), nullable=False),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("load_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),          # one of SEND_STATUSES
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("channel", sa.String(16), nullable=False),         # email | teams | slack
    sa.Column("recipient", sa.String(320), nullable=False),      # the address, or the webhook's host only
    sa.Column("message_id", sa.String(200)),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Column("claimed_by", sa.String(200), nullable=False),     # host:pid of the run that holds it
    sa.Column("claimed_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.UniqueConstraint("subscription", "month", "load_id", name="uq_sends_key"),
    sa.Index("ix_sends_month", "month"),
)
