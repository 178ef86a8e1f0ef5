"""Comment insight: every live comment understood as it arrives (intent, aspects, sentiment, product)."""
