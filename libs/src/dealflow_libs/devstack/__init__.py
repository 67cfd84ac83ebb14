"""The local runtime: PostgreSQL and a Kafka-protocol broker from PyPI wheels, no Docker needed."""
