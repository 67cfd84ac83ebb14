"""Ingest HTTP API."""
