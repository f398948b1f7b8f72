"""Accounts and tokens: password hashing, JWT access tokens, rotating refresh tokens."""
