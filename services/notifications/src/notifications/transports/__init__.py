"""How an email leaves: the Resend API or SMTP, behind one `Transport` protocol."""
