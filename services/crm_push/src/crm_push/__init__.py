"""CRM push: the customer's CRM (and a Notion table) kept current from Dealflow's events."""

SERVICE = "crm_push"
