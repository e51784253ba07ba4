from __future__ import annotations

from alembic import context
from sqlalchemy import text

import app.models  # noqa: F401  (registers every table)
from app.config import get_settings
from app.db import Base, make_engine
from app.partitions.service import include_name

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.attributes.get("database_url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by rebuilding it; with foreign keys enforced, dropping the old
            # copy of a table that other rows point at fails. SQLite's documented procedure:
            # foreign keys off (only possible outside a transaction), rebuild, check, back on.
            # On the driver's connection: SQLAlchemy would open a transaction first.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        if connection.dialect.name == "postgresql":
            # Several app servers may start at once: one migrates, the others wait.
            connection.execute(text("SELECT pg_advisory_lock(7212001)"))
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left dangling foreign keys: {broken[:5]}")
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_unlock(7212001)"))
            connection.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations_online()
