"""Reading back what a JetStream stream holds."""

from __future__ import annotations

from nats.js import JetStreamContext

__all__ = ["stream_payloads"]


async def stream_payloads(js: JetStreamContext, stream: str) -> list[bytes]:
    """Every message's payload in `stream`, in stream order, read one by one (no consumer,
    so it reads the same from any node, whoever leads)."""
    state = (await js.stream_info(stream)).state
    return [
        (await js.get_msg(stream, seq)).data or b""
        for seq in range(state.first_seq, state.last_seq + 1)
    ]
