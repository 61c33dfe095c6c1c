"""The bridge's batch publisher against a real JetStream: one outcome per event, in order,
a duplicate counted as stored, a refusal reported as the event's failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nats.aio.client import Client as NatsClient
from nats.js.errors import NoStreamResponseError

from evse_contracts.telemetry import TELEMETRY_STREAM, OcppLog, event_subject
from evse_provider_bridge.streams import ensure_bridge_streams
from evse_provider_bridge.telemetry_publisher import TelemetryPublisher


def ocpp_logs(count: int) -> list[OcppLog]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        OcppLog(
            evse_uid="evse-pub",
            sampled_at=start + timedelta(milliseconds=i),
            direction="inbound",
            message_type_id=2,
            unique_id=f"u-{i}",
            action="Heartbeat",
        )
        for i in range(count)
    ]


async def test_every_event_is_stored_once_and_reported(private_nc: NatsClient) -> None:
    js = private_nc.jetstream()
    await ensure_bridge_streams(js, replicas=1)
    publisher = TelemetryPublisher(js, private_nc)
    events = ocpp_logs(5)

    assert await publisher.publish_all(events) == [None] * 5
    assert await publisher.publish_all(events[:2]) == [None, None]  # duplicates: stored already

    info = await js.stream_info(TELEMETRY_STREAM)
    assert info.state.messages == 5
    last = await js.get_last_msg(TELEMETRY_STREAM, event_subject(events[-1]))
    assert OcppLog.model_validate_json(last.data or b"") == events[-1]


async def test_a_refused_event_is_reported_as_its_failure(private_nc: NatsClient) -> None:
    js = private_nc.jetstream()
    await ensure_bridge_streams(js, replicas=1)
    publisher = TelemetryPublisher(js, private_nc)
    assert await publisher.publish_all(ocpp_logs(1)) == [None]
    await js.delete_stream(TELEMETRY_STREAM)

    outcomes = await publisher.publish_all(ocpp_logs(3))

    assert len(outcomes) == 3
    assert all(isinstance(outcome, NoStreamResponseError) for outcome in outcomes)
