"""Database faults (``hub.faults``) outside GraphQL: HTTP 503 with ``Retry-After``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from hub.faults import MESSAGE, RETRY_AFTER_SECONDS, DatabaseUnavailable, database_fault, report
from hub.server.http_errors import RefusedBeforeStart, error_response


def unavailable_response(error_id: str) -> JSONResponse:
    return error_response(
        503,
        DatabaseUnavailable.code,
        MESSAGE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        errorId=error_id,
    )


def nothing_but_unavailable(result: Mapping[str, Any]) -> bool:
    """A GraphQL result without any data, whose every error is SERVICE_UNAVAILABLE."""
    errors = result.get("errors") or []
    data = result.get("data") or {}
    codes = {(error.get("extensions") or {}).get("code") for error in errors}
    return codes == {DatabaseUnavailable.code} and all(value is None for value in data.values())


class DatabaseFaultsAsUnavailable(RefusedBeforeStart):
    """A fault that escapes a route (building the caller, an export's first rows) before the
    response has started becomes a 503, not a 500 with a traceback."""

    def refusal(self, error: BaseException, scope: Scope) -> Response | None:
        fault = database_fault(error)
        if fault is None:
            return None
        return unavailable_response(report(fault, scope.get("path")))
