"""One module of routes per public resource family."""
