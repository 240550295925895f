"""Request bodies above a size are refused with 413 before they are read whole or parsed."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.http_errors import error_response


class LimitBody:
    """Reads at most ``max_bytes`` of the body: a declared ``Content-Length`` above it is refused
    at once, a chunked body as soon as it grows past it. The body read is handed on whole."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = error_response(
            413, "PAYLOAD_TOO_LARGE", f"Request bodies are limited to {self.max_bytes} bytes."
        )
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.isdigit():
                bad = error_response(
                    400, "BAD_REQUEST", "Content-Length must be a number of bytes."
                )
                await bad(scope, receive, send)
                return
            if int(declared) > self.max_bytes:
                await too_large(scope, receive, send)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()  # after the body: wait for the disconnect
            delivered = True
            return body

        await self.app(scope, replay, send)
