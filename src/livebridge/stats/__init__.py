"""Live statistics: rollups kept with the events, and a session's figures (totals, series, funnel)."""
