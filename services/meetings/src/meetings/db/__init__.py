"""Meetings persistence."""
