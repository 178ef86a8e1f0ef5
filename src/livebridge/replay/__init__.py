"""Replay reports (复盘) of ended live sessions."""
