"""Pure rules of crm_push: what a push writes, when to retry, when to stop trying."""
