"""Pure deal rules."""
