"""Request bodies above a size are refused with 413 before they are read whole or parsed, and
bodies slower than a deadline with 408: a client cannot hold a request open by sending less
than it declared."""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.server.http_errors import error_response


class _TooLarge(Exception):
    """The body grew past the limit."""


class LimitBody:
    """Reads at most ``max_bytes`` of the body, within ``timeout_seconds``: a declared
    ``Content-Length`` above the size is refused at once, a chunked body as soon as it grows
    past it, a body still incomplete at the deadline then. The body read is handed on whole.

    It sits inside the rate limits and the identity check, so that nothing is read of a
    request those refuse."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_seconds: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and not declared.isdigit():
            bad = error_response(400, "BAD_REQUEST", "Content-Length must be a number of bytes.")
            await bad(scope, receive, send)
            return
        refusal: JSONResponse | None = None
        body: bytes | None = None
        if declared is not None and int(declared) > self.max_bytes:
            refusal = self._too_large()
        else:
            try:
                async with asyncio.timeout(self.timeout_seconds):
                    body = await self._read(receive)
            except _TooLarge:
                refusal = self._too_large()
            except TimeoutError:
                refusal = self._too_slow()
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if body is None:  # the client went away
            return
        await self.app(scope, replay_body(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body; None if the client disconnected first."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _too_large(self) -> JSONResponse:
        message = f"Request bodies are limited to {self.max_bytes} bytes."
        return error_response(413, "PAYLOAD_TOO_LARGE", message)

    def _too_slow(self) -> JSONResponse:
        message = f"The request body did not arrive whole within {self.timeout_seconds:g} s."
        # The rest of the body may still come: the connection cannot serve another request.
        return error_response(408, "REQUEST_TIMEOUT", message, {"Connection": "close"})


def replay_body(body: bytes, receive: Receive) -> Receive:
    """The ``receive`` of an app downstream of one that read the whole ``body``."""
    message: Message = {"type": "http.request", "body": body, "more_body": False}
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()  # after the body: wait for the disconnect
        delivered = True
        return message

    return replay
