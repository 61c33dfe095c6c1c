"""Local backends for dev and tests. Services never import this package."""
