"""`dealflow demo-data`: a tenant filled like a real team's, through the public doors only."""
