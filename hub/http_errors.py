"""HTTP-level refusals (before or beside GraphQL), shaped like a GraphQL response so that every
client reads them the same way: ``{"errors": [{"message", "extensions": {"code", …}}]}``."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    **extensions: object,
) -> JSONResponse:
    body = {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    return JSONResponse(body, status_code=status, headers=headers)
