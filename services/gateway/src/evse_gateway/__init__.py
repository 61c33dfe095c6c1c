"""HTTP gateway: the public `/v2` API, routed over NATS to the services."""
