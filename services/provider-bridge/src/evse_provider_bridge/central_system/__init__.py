"""The OCPP 1.6J central system: chargers connect here directly instead of through a cloud.

Modules: `passwords` (security profile 1 credentials), `store` (`ocpp_chargers`), `frames`
(reading frames, the per-charger millisecond clock), `charger_state` (status and meter values
→ status logs), `log_events` (OCPP and status logs encoded as published, without a model),
`calls` (platform commands → OCPP calls), `event_queue` (ordered, bounded publishing),
`frame_tap` (every frame in and out → an OCPP log), `session` (one connected charger: the
`ocpp` package's ChargePoint with our handlers), `server` (the WebSocket listener, handshake
auth, sockets across replicas), `desk` (commands and credentials).
"""
