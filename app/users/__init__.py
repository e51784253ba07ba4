"""The people who sign in, listed by name for HQ's and admin's pickers."""
