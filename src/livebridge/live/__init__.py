"""Hosts (主播), live sessions, their shelf and explanation segments."""
