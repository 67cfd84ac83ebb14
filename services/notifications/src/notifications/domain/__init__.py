"""Pure rules of notifications: who sends, what it says, when it is still worth sending."""
