"""Deals persistence."""
