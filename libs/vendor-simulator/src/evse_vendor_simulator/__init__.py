"""Simulated vendor clouds for the provider bridge: each vendor's API shape over one fleet."""
