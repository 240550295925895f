"""HTTP-level refusals (before or beside GraphQL), shaped like a GraphQL response so that every
client reads them the same way: ``{"errors": [{"message", "extensions": {"code", …}}]}``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

# A request cut by a shutdown may be sent again at once: another worker or instance takes it.
SHUTDOWN_RETRY_AFTER_SECONDS = 5


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    **extensions: object,
) -> JSONResponse:
    body = {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    return JSONResponse(body, status_code=status, headers=headers)


def shutting_down() -> JSONResponse:
    seconds = SHUTDOWN_RETRY_AFTER_SECONDS
    return error_response(
        503,
        "SERVICE_UNAVAILABLE",
        f"The hub is shutting down; retry in {seconds} s.",
        {"Retry-After": str(seconds), "Connection": "close"},
    )


class RefusedBeforeStart:
    """ASGI wrapper: an exception of ``catches`` escaping the app before its answer has
    started is answered by ``refusal`` instead, when it gives an answer. Once the answer has
    started nothing else can be sent, so the exception goes on (the client sees it cut)."""

    catches: tuple[type[BaseException], ...] = (Exception,)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def refusal(self, error: BaseException, scope: Scope) -> Response | None:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except self.catches as error:
            answer = None if started else self.refusal(error, scope)
            if answer is None:
                raise
            await answer(scope, receive, send)


class CancelledAsUnavailable(RefusedBeforeStart):
    """A request the server cancels before answering it (uvicorn cancels those still running
    at the end of the shutdown grace period) is answered 503 with Retry-After, like every
    other refusal, instead of a plain-text 500 and a traceback."""

    catches = (asyncio.CancelledError,)

    def refusal(self, error: BaseException, scope: Scope) -> Response | None:
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()  # handled: the task ends once the refusal is sent
        log.warning("Refused a request cut by the shutdown (%s)", scope.get("path"))
        return shutting_down()
