"""Tenants, organizations, members and API keys."""
