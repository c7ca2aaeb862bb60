"""Alembic migrations of the state store, run by `Store.migrate()` (no alembic.ini needed)."""
