"""Pure attribution rules: no SQLAlchemy, Kafka or HTTP imports; exact rational arithmetic."""
