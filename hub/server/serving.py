"""How ``hub serve`` runs uvicorn: its bounds, and an HTTP/1.1 protocol that keeps them.

uvicorn waits on a client with no deadline until a request's head is whole, and again while
it drains a body its answer did not need (a refusal made before the body was read); what
h11 cannot parse (a head over ``h11_max_incomplete_event_size``, a malformed request) gets a
plain-text 400. ``HubH11Protocol`` bounds both waits and answers those refusals in JSON,
like every other refusal. The body the application reads is bounded by ``hub.server.body_limit``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from http import HTTPStatus
from typing import Any

import h11
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
from starlette.responses import Response
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from hub.server.http_errors import error_response
from hub.settings import Settings

log = logging.getLogger(__name__)

# After a refusal, what the client still sends is read and dropped this long before the
# connection is closed: closing with unread data would send a TCP reset, which may destroy
# the refusal before the client reads it (nginx's "lingering close").
LINGER_SECONDS = 2.0
CLOSE = {"Connection": "close"}


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn.run arguments that bound what a client may hold."""
    protocol = functools.partial(
        HubH11Protocol,
        header_timeout=settings.header_timeout_seconds,
        body_timeout=settings.body_timeout_seconds,
    )
    return {
        "http": protocol,
        "timeout_keep_alive": settings.keep_alive_seconds,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        # WebSocket messages larger than this close the connection (1009); a peer that does
        # not answer pings within 20 s is gone.
        "ws": "websockets-sansio",
        "ws_max_size": settings.ws_max_message_bytes,
        "ws_ping_interval": 20.0,
        "ws_ping_timeout": 20.0,
        # On SIGTERM: stop accepting, let in-flight requests finish within this bound; those
        # still running then are answered 503 (hub.server.http_errors.CancelledAsUnavailable).
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
    }


class HubH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline whenever it waits on the client without the
    application: for a request's head (``header_timeout``, from the connection's start or
    the previous answer), and for the rest of a body its answer did not need
    (``body_timeout``)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        header_timeout: float,
        body_timeout: float,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.max_header_bytes = (
            config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        )
        self._deadline: asyncio.TimerHandle | None = None
        self._refused = False

    # asyncio types the argument as BaseTransport; a stream server only ever gives a Transport.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._wait_for_client(self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # lingering: dropped
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.our_state is h11.SEND_RESPONSE:
            # A request's head is whole: the application answers, and bounds its body.
            self._stop_waiting()

    def on_response_complete(self) -> None:
        if not self.transport.is_closing():
            # Before uvicorn goes on to a request already received (which stops the wait).
            unread_body = self.conn.their_state is h11.SEND_BODY
            self._wait_for_client(self.body_timeout if unread_body else self.header_timeout)
        super().on_response_complete()

    def send_400_response(self, msg: str) -> None:
        # h11 could not parse the request: it stays whole in h11's buffer.
        if len(self.conn.trailing_data[0]) > self.max_header_bytes:
            message = f"Request headers are limited to {self.max_header_bytes} bytes in all."
            self._refuse(431, "REQUEST_HEADER_FIELDS_TOO_LARGE", message)
        else:
            self._refuse(400, "BAD_REQUEST", "The request is not valid HTTP/1.1.")

    def _wait_for_client(self, seconds: float) -> None:
        self._stop_waiting()
        self._deadline = self.loop.call_later(seconds, self._client_too_slow)

    def _stop_waiting(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _client_too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing() or self.conn.our_state is h11.SEND_RESPONSE:
            return
        if self.conn.their_state is h11.IDLE and self.conn.trailing_data[0]:
            log.info("Refused a request whose head was still incomplete (%s)", self.client)
            seconds = self.header_timeout
            message = f"The request's headers did not arrive whole within {seconds:g} s."
            self._refuse(408, "REQUEST_TIMEOUT", message)
        else:  # an idle connection, or a body its answer did not need
            self.transport.close()

    def _refuse(self, status: int, code: str, message: str) -> None:
        """Answers outside any request cycle, then closes the connection."""
        self._stop_waiting()
        self._refused = True
        if self.cycle is not None and not self.cycle.response_complete:
            # A body h11 could not parse: the application reading it sees the client gone.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.write(_serialized(error_response(status, code, message, CLOSE)))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._deadline = self.loop.call_later(LINGER_SECONDS, self.transport.close)


def _serialized(response: Response) -> bytes:
    status = HTTPStatus(response.status_code)
    lines = [f"HTTP/1.1 {status.value} {status.phrase}".encode()]
    lines += [name + b": " + value for name, value in response.raw_headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + bytes(response.body)
