"""Passwords, tokens, the current user and login rate limits."""
