"""Migrations: the migrated schema matches the models exactly, and every step reverses."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import Column, MetaData, String, create_engine, inspect, text
from sqlalchemy.engine import Engine

from jobs.cli import build_app
from webapp.core.extensions import db


def schema_differences(engine: Engine, metadata: MetaData) -> list:
    """What autogenerate would put in a new migration: empty when models and DB agree.

    Nothing is ignored but the few objects the models list as unmodelled (a dialect's own
    search index, built by its migration): types are compared too (UTCDateTime compares as
    its DateTime(timezone=True) implementation, which is what migrations create).
    """
    unmodelled = db.metadata.info.get("unmodelled", ())
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": lambda name, _type, _parents: name not in unmodelled,
            },
        )
        return compare_metadata(context, metadata)


def test_it_has_a_migration_for_every_model_change(database_url):
    engine = create_engine(database_url)
    try:
        assert schema_differences(engine, db.metadata) == []
    finally:
        engine.dispose()


def test_it_would_notice_a_model_change_without_a_migration(database_url):
    drifted = MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.sorted_tables:
        table.to_metadata(drifted)
    drifted.tables["users"].append_column(Column("nickname", String(40)))
    engine = create_engine(database_url)
    try:
        differences = schema_differences(engine, drifted)
    finally:
        engine.dispose()
    assert [(d[0], d[2], d[3].name) for d in differences] == [("add_column", "users", "nickname")]


def _fresh_postgres() -> Iterator[str]:
    base = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", os.environ["TEST_DATABASE_URL"])
    name = f"autopilot_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(
    params=["sqlite", "postgresql"] if os.environ.get("TEST_DATABASE_URL") else ["sqlite"]
)
def empty_database(request, tmp_path) -> Iterator[str]:
    """A database with no tables: SQLite always, PostgreSQL too when TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        yield from _fresh_postgres()


def test_it_downgrades_to_nothing_and_upgrades_again(empty_database):
    app = build_app({"SQLALCHEMY_DATABASE_URI": empty_database, "SECRET_KEY": "x"})
    model_tables = {t.name for t in db.metadata.sorted_tables}
    with app.app_context():
        try:
            upgrade()
            assert model_tables <= set(inspect(db.engine).get_table_names())

            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

            upgrade()
            assert model_tables <= set(inspect(db.engine).get_table_names())
            assert schema_differences(db.engine, db.metadata) == []
        finally:
            db.session.remove()
            db.engine.dispose()
