"""Tests of the state store, on SQLite and PostgreSQL."""
