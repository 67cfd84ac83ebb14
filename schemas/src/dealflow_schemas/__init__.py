"""Dealflow event contracts: the single source for producers, consumers and documentation."""

from dealflow_schemas.registry import EVENT_TYPES, Topic, model_for

__all__ = ["EVENT_TYPES", "Topic", "model_for"]
