"""Demand collector (C2M): demand topics from live comments, the host question panel, proposals, reports."""
