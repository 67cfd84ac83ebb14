"""Pure domain logic of the ingest gateway: no I/O, no frameworks."""
