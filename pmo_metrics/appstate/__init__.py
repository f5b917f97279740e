"""The app-state store: what people write — notes and decisions on figures, saved scenarios.

It is a small schema behind SQLAlchemy, apart from the warehouse: each load replaces the DuckDB
file, so nothing a person writes may live there. By default it is a SQLite file beside the
warehouse (`appstate.sqlite`); deployments with several app servers point `app_state_url` at a
PostgreSQL database they all share. The schema is created and upgraded by Alembic migrations
(`pmo_metrics/appstate/migrations`), run by `AppState.open` — safe when several servers start at
once (PostgreSQL takes an advisory lock; SQLite serialises writers itself).

Texts are stored as written and are plain text: whoever shows one escapes it.
"""
from __future__ import annotations

import fcntl
import json
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from .schema import NOTE_KINDS, NOTE_TARGETS, metadata, note_revisions, notes, scenarios

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MAX_TEXT = 10_000          # characters of a note or a scenario description
MAX_NAME = 200             # characters of a scenario name, an author, a target id
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_PG_LOCK = 738_211_001     # advisory lock key: one migration at a time across app servers
_MIGRATING = threading.Lock()  # Alembic keeps its context in module globals: one upgrade per process

__all__ = ["AppState", "AppStateError", "Note", "Scenario", "default_url", "NOTE_KINDS", "NOTE_TARGETS",
           "metadata"]


class AppStateError(Exception):
    """The store cannot do what was asked; the message is one line for the user."""


@dataclass(frozen=True)
class Note:
    note_id: int
    target_kind: str
    target_id: str
    month: str | None
    kind: str
    text: str
    author: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    @property
    def edited(self) -> bool:
        return self.updated_at != self.created_at


@dataclass(frozen=True)
class Scenario:
    scenario_id: int
    name: str
    description: str
    definition: dict[str, Any]
    result: dict[str, Any]
    data_version: str | None
    author: str
    created_at: datetime
    updated_at: datetime


def default_url(database_path: str | Path) -> str:
    """The store beside the warehouse: `<folder of the database>/appstate.sqlite`."""
    return f"sqlite:///{Path(database_path).expanduser().resolve().parent / 'appstate.sqlite'}"


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _text(value: Any, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise AppStateError(f"{what} must not be empty")
    value = value.replace("\x00", "").strip()
    if len(value) > limit:
        raise AppStateError(f"{what} is longer than {limit:,} characters")
    return value


def _alembic_config(connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


class AppState:
    """One app-state store. `AppState.open(url)` connects and brings the schema up to date."""

    def __init__(self, url: str):
        try:
            self.url = sa.engine.make_url(url)
        except sa.exc.ArgumentError:
            raise AppStateError(f"the app-state store URL {url!r} is not a SQLAlchemy database URL") from None
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if self.url.get_backend_name() == "sqlite":
            if self.url.database and self.url.database != ":memory:":
                Path(self.url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        elif self.url.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": 10}
        self.engine = sa.create_engine(self.url, **kwargs)
        if self.url.get_backend_name() == "sqlite":
            @sa.event.listens_for(self.engine, "connect")
            def _sqlite_pragmas(dbapi_con, _record):
                # WAL lets readers go on while one app server writes; foreign keys are off by default
                dbapi_con.execute("PRAGMA journal_mode = WAL")
                dbapi_con.execute("PRAGMA foreign_keys = ON")

    @classmethod
    def open(cls, url: str) -> "AppState":
        store = cls(url)
        store.upgrade()
        return store

    def close(self) -> None:
        self.engine.dispose()

    @property
    def shown_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    # -- schema ---------------------------------------------------------------------------------

    @contextmanager
    def _migration_lock(self):
        """One migration at a time: across threads, and across app servers (a lock file beside a
        SQLite store; PostgreSQL's advisory lock is taken inside the transaction)."""
        with _MIGRATING:
            database = self.url.database if self.url.get_backend_name() == "sqlite" else None
            if not database or database == ":memory:":
                yield
                return
            with open(Path(database).expanduser().with_name(Path(database).name + ".migrate.lock"), "a+") as fh:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def upgrade(self, revision: str = "head") -> None:
        """Apply the migrations up to `revision`; an up-to-date store is left as it is."""
        try:
            with self._migration_lock(), self.engine.begin() as con:
                if con.dialect.name == "postgresql":
                    con.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
                command.upgrade(_alembic_config(con), revision)
        except sa.exc.OperationalError as e:
            raise AppStateError(f"cannot open the app-state store {self.shown_url}: "
                                f"{str(e.orig).splitlines()[0] if e.orig else e}") from None

    def revision(self) -> str | None:
        with self.engine.connect() as con:
            return MigrationContext.configure(con).get_current_revision()

    @staticmethod
    def head() -> str:
        return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()

    # -- notes ----------------------------------------------------------------------------------

    def add_note(self, target_kind: str, target_id: str, text: str, author: str, *, kind: str = "note",
                 month: str | None = None) -> int:
        """A new note (or decision) on a project, a KPI or a month; returns its id."""
        if target_kind not in NOTE_TARGETS:
            raise AppStateError(f"a note is on one of {', '.join(NOTE_TARGETS)}, not {target_kind!r}")
        if kind not in NOTE_KINDS:
            raise AppStateError(f"a note's kind is one of {', '.join(NOTE_KINDS)}, not {kind!r}")
        target_id = _text(target_id, "what the note is on", MAX_NAME)
        if target_kind == "month":
            month = month or target_id
        if month is not None and not _MONTH.match(month):
            raise AppStateError(f"{month!r} is not a month (YYYY-MM)")
        if target_kind == "month" and target_id != month:
            raise AppStateError("a note on a month names that month")
        text, author, now = _text(text, "the note", MAX_TEXT), _text(author, "the author", MAX_NAME), _now()
        with self.engine.begin() as con:
            note_id = con.execute(notes.insert().values(
                target_kind=target_kind, target_id=target_id, month=month, kind=kind, text=text, author=author,
                created_at=now, updated_at=now).returning(notes.c.note_id)).scalar_one()
            con.execute(note_revisions.insert().values(note_id=note_id, action="created", kind=kind, text=text,
                                                       author=author, changed_at=now))
        return note_id

    def edit_note(self, note_id: int, text: str, author: str, *, kind: str | None = None) -> None:
        """Change a note's text (and kind); the earlier text stays in its history."""
        text, author = _text(text, "the note", MAX_TEXT), _text(author, "the author", MAX_NAME)
        if kind is not None and kind not in NOTE_KINDS:
            raise AppStateError(f"a note's kind is one of {', '.join(NOTE_KINDS)}, not {kind!r}")
        now = _now()
        with self.engine.begin() as con:
            row = self._live_note(con, note_id)
            kind = kind or row.kind
            con.execute(notes.update().where(notes.c.note_id == note_id).values(text=text, kind=kind, updated_at=now))
            con.execute(note_revisions.insert().values(note_id=note_id, action="edited", kind=kind, text=text,
                                                       author=author, changed_at=now))

    def delete_note(self, note_id: int, author: str) -> None:
        """Remove a note from every view; it and its history stay in the store."""
        author, now = _text(author, "the author", MAX_NAME), _now()
        with self.engine.begin() as con:
            row = self._live_note(con, note_id)
            con.execute(notes.update().where(notes.c.note_id == note_id).values(deleted_at=now, updated_at=now))
            con.execute(note_revisions.insert().values(note_id=note_id, action="deleted", kind=row.kind,
                                                       text=row.text, author=author, changed_at=now))

    @staticmethod
    def _live_note(con, note_id: int):
        row = con.execute(sa.select(notes).where(notes.c.note_id == note_id)).first()
        if row is None or row.deleted_at is not None:
            raise AppStateError(f"there is no note {note_id}")
        return row

    def notes(self, target_kind: str | None = None, target_id: str | None = None, *, month: str | None = None,
              kind: str | None = None, include_deleted: bool = False) -> list[Note]:
        """Notes matching every given condition, oldest first."""
        q = sa.select(notes).order_by(notes.c.created_at, notes.c.note_id)
        for col, value in ((notes.c.target_kind, target_kind), (notes.c.target_id, target_id),
                           (notes.c.month, month), (notes.c.kind, kind)):
            if value is not None:
                q = q.where(col == value)
        if not include_deleted:
            q = q.where(notes.c.deleted_at.is_(None))
        with self.engine.connect() as con:
            return [Note(**row._mapping) for row in con.execute(q)]

    def note_history(self, note_id: int) -> list[dict[str, Any]]:
        """Every revision of a note, oldest first: action, kind, text, author, changed_at."""
        q = (sa.select(note_revisions.c.action, note_revisions.c.kind, note_revisions.c.text,
                       note_revisions.c.author, note_revisions.c.changed_at)
             .where(note_revisions.c.note_id == note_id).order_by(note_revisions.c.revision_id))
        with self.engine.connect() as con:
            return [dict(r._mapping) for r in con.execute(q)]

    # -- scenarios ------------------------------------------------------------------------------

    def save_scenario(self, name: str, definition: dict[str, Any], result: dict[str, Any], author: str, *,
                      description: str = "", data_version: str | None = None, replace: bool = False) -> int:
        """Save a named scenario; an existing name is refused unless `replace`."""
        name, author = _text(name, "the scenario's name", MAX_NAME), _text(author, "the author", MAX_NAME)
        description = description.strip()[:MAX_TEXT] if isinstance(description, str) else ""
        doc = {"definition": json.dumps(definition, sort_keys=True, default=str),
               "result": json.dumps(result, sort_keys=True, default=str)}
        now = _now()
        with self.engine.begin() as con:
            existing = con.execute(sa.select(scenarios.c.scenario_id).where(scenarios.c.name == name)).scalar()
            if existing is not None:
                if not replace:
                    raise AppStateError(f"a scenario named {name!r} exists already; pick another name or replace it")
                con.execute(scenarios.update().where(scenarios.c.scenario_id == existing).values(
                    description=description, data_version=data_version, author=author, updated_at=now, **doc))
                return existing
            return con.execute(scenarios.insert().values(
                name=name, description=description, data_version=data_version, author=author, created_at=now,
                updated_at=now, **doc).returning(scenarios.c.scenario_id)).scalar_one()

    def scenarios(self) -> list[Scenario]:
        with self.engine.connect() as con:
            return [self._scenario(r) for r in con.execute(sa.select(scenarios).order_by(scenarios.c.name))]

    def scenario(self, name: str) -> Scenario | None:
        with self.engine.connect() as con:
            row = con.execute(sa.select(scenarios).where(scenarios.c.name == name)).first()
        return None if row is None else self._scenario(row)

    def delete_scenario(self, name: str) -> None:
        with self.engine.begin() as con:
            if not con.execute(scenarios.delete().where(scenarios.c.name == name)).rowcount:
                raise AppStateError(f"there is no scenario named {name!r}")

    @staticmethod
    def _scenario(row) -> Scenario:
        m = dict(row._mapping)
        m["definition"], m["result"] = json.loads(m["definition"]), json.loads(m["result"])
        return Scenario(**m)


def ping(engine: sa.engine.Engine) -> bool:
    """Whether a store answers a trivial query through `engine` (the readiness check's question)."""
    try:
        with engine.connect() as con:
            con.execute(sa.text("SELECT 1"))
    except Exception:  # noqa: BLE001 — down, refused, wrong password: all the same to a monitor
        return False
    return True
