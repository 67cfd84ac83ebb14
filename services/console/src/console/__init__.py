"""Console: the web UI of one tenant's team; it reads and writes only through the services'
HTTP APIs and keeps nothing of its own but sign-in sessions."""

SERVICE = "console"
