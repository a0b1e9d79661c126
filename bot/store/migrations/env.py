"""Alembic environment: runs on the connection the bot hands it (async engine, run_sync)."""

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import bot.store.tables  # noqa: F401  (registers every table)

target_metadata = SQLModel.metadata


def render_item(type_, obj, autogen_context):  # noqa: ANN001, ANN201
    """Migrations name plain SQLAlchemy types, so they never import the models they describe."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:  # the alembic CLI, for writing new revisions: a sync URL in sqlalchemy.url
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.connect() as sync_connection:
        run(sync_connection)
