"""Attribution HTTP API."""
