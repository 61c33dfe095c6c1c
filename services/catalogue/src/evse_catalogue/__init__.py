"""Catalogue service: what chargers exist, and where each is supported."""
