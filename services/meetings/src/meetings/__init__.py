"""Meetings service: owns meetings, reminders and their events."""

SERVICE = "meetings"
