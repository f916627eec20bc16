"""Accounts, cookie sessions, CSRF and (later) API keys."""
