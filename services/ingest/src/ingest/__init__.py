"""Ingest gateway: Cal.com and Calendly webhooks in, normalized BookingEvents out."""

SERVICE = "ingest"
