"""Live fan-out: an in-process broadcaster, or Redis pub/sub when several processes serve."""
