"""Alembic environment for the app-state store: runs on the connection `appstate.upgrade` hands over."""
from __future__ import annotations

from alembic import context

from pmo_metrics.appstate.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` run by hand with a URL in its ini file
    import sqlalchemy as sa

    engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url"))
    connection = engine.connect()

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
