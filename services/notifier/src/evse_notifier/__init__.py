"""Notifier service: EVSE events for client applications, by webhook and on a stream."""
