"""Shared contracts: HTTP bodies, bus messages, problems and the subject table."""
