"""Pure meeting rules."""
