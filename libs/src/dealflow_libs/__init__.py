"""Shared building blocks of every Dealflow service."""
