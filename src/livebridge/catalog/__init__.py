"""Products and SKUs, with the aliases viewers use for them in comments."""
