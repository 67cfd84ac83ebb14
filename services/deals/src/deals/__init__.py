"""Deals service: owns companies, deals and stage history; publishes dealflow.deals.v1."""

SERVICE = "deals"
