"""Alembic environment: runs migrations on the connection the store hands over."""

from alembic import context

from matcher.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the store always passes a connection
    raise RuntimeError("matcher migrations run through matcher.store.Store.open()")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
