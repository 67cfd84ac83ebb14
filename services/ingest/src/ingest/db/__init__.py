"""Ingest persistence: tables and repositories."""
