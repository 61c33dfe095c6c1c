"""Telemetry service: status, command, error and OCPP logs from JetStream; connectivity."""
