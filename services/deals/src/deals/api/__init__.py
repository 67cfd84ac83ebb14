"""Deals HTTP API."""
