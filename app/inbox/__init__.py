"""Every user's inbox: violations, appeals, decisions, consumer signals, route notifications."""
