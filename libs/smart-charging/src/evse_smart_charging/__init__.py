"""Smart charging as pure functions: what an EVSE can do, tracked actions, plans, site shares.

Nothing here knows NATS or MongoDB; a control loop feeds observed state in and sends the
commands that come out through the bridge's existing command path.
"""
