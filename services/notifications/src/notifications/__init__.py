"""Notifications: booking emails and the pre-call reminder sequence, each sent exactly once."""

SERVICE = "notifications"
__version__ = "0.1.0"
