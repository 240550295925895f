"""One access line and the request metrics per request, around everything else.

A pure ASGI middleware: responses pass through message by message (exports stream), only the
status and headers are looked at. It sits outermost, so it also sees the refusals of the
layers inside it (401, 413, 429…).
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.server.auth.middleware import principal_of
from hub.server.observability.logs import (
    FIELDS,
    REQUEST_ID_HEADER,
    RequestRecord,
    current_request,
    request_id_from,
)
from hub.server.observability.metrics import Metrics
from permissions.principal import Principal

access_log = logging.getLogger("hub.access")
errors_log = logging.getLogger("hub.errors")
# Refusals made outside GraphQL (401, 413, 429…) are small JSON bodies whose error codes are
# read for the log and the metrics; nothing larger is looked at.
_REFUSAL_BYTES = 8 * 1024
_UNPRINTABLE = re.compile(r"[^\x21-\x7e]")
_MAX_PATH = 256
WORKER_HEADER = b"x-hub-worker"


class Observe:
    """``worker``, when given, is sent in the ``X-Hub-Worker`` header of every answer (the id
    of the process that made it, for checking how connections spread across workers)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, worker: str | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.worker = None if worker is None else (WORKER_HEADER, worker.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = RequestRecord(request_id_from(Headers(scope=scope).get(REQUEST_ID_HEADER)))
        # The caller RequireIdentity puts there, inside, is read back here afterwards.
        scope.setdefault("state", {})
        reset = current_request.set(record)
        started = time.perf_counter()
        response: dict[str, Any] = {"status": 500, "refusal": False}

        async def observed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                headers = Headers(raw=message["headers"])
                response["refusal"] = message["status"] >= 400 and headers.get(
                    "content-type", ""
                ).startswith("application/json")
                raw = [(k, v) for k, v in message["headers"] if k.lower() != b"x-request-id"]
                raw.append((b"x-request-id", record.request_id.encode()))
                if self.worker is not None:
                    raw.append(self.worker)
                message = {**message, "headers": raw}
            elif message["type"] == "http.response.body" and response["refusal"]:
                response["refusal"] = False
                if not record.error_codes and not message.get("more_body", False):
                    record.error_codes += _refusal_codes(message.get("body", b""))
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, observed_send)
        except Exception:
            errors_log.exception("Unhandled error answering %s", _path(scope))
            raise
        finally:
            self.metrics.in_flight.dec()
            self._done(scope, record, response["status"], time.perf_counter() - started)
            current_request.reset(reset)

    def _done(self, scope: Scope, record: RequestRecord, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        method = scope["method"]
        path = _path(scope)
        principal = principal_of(scope)
        fields = {
            "method": method,
            "path": path,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "principal": _principal_id(principal),
            "application_id": principal.application_id,
            "operation": record.operation_name,
            "operation_type": record.operation_type,
            "error_codes": record.error_codes,
            "execution": record.execution,
        }
        access_log.info("%s %s %s", method, path, status, extra={FIELDS: fields})
        operation = record.operation_name or ""
        self.metrics.observe(
            route, method, status, operation, seconds, record.error_codes, record.execution
        )


def _path(scope: Scope) -> str:
    # The path as sent (percent-encoded), without the query string, which may hold variables.
    raw = scope.get("raw_path") or scope["path"].encode()
    path = raw.split(b"?", 1)[0].decode("ascii", "replace")
    return _UNPRINTABLE.sub("?", path[:_MAX_PATH])


def _principal_id(principal: Principal) -> str:
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    if principal.application_id is not None:
        return f"application:{principal.application_id}"
    return "anonymous"


def _refusal_codes(body: bytes) -> list[str]:
    if len(body) > _REFUSAL_BYTES:
        return []
    try:
        errors = json.loads(body).get("errors")
        return [str(e["extensions"]["code"]) for e in errors]
    except (ValueError, AttributeError, KeyError, TypeError):
        return []
