"""Domain-agnostic helpers. Nothing here imports a domain package."""
