"""Notifications: booking emails and the pre-call reminder sequence, each sent exactly once."""

SERVICE = "notifications"
