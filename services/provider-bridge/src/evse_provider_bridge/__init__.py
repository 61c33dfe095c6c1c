"""Bridge service: vendor-cloud adapters, polling, vendor webhooks and OCPP."""
