"""Dealer settlement: statements per dealer and period, exact to the fen, locked on approval."""
