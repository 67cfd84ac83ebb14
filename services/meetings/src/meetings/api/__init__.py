"""Meetings HTTP API."""
