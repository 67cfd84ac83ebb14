"""Attribution persistence: tables and the repository (all SQL lives here)."""
