"""Log lines as JSON objects (production) or text, each carrying the id of the request being
served.

The request being served is a ``RequestRecord`` in a context variable, set by the access-log
middleware: any line logged while the request runs, by any module, carries its id. What a
request logs is decided by the middleware and ``operation``: never a header's value (so never a
token), never a query's variables nor a response body, which may hold gated values.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from hub.settings import Settings

REQUEST_ID_HEADER = "x-request-id"
# An incoming request id is kept only if it is short and plain (it is echoed and logged).
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# Log records carry their structured fields in this attribute (``extra={FIELDS: {...}}``).
FIELDS = "hub_fields"
_HANDLER_NAME = "hub"
# Their DEBUG lines carry SQL parameters or rows, so gated values: never below INFO.
_LOGGERS_WITH_VALUES = ("tortoise", "aiosqlite")


@dataclass
class RequestRecord:
    """What is known of the request being served, filled in as it goes through the stack."""

    request_id: str
    # Set once a GraphQL operation ran (``operation.RecordOperation``), already bounded.
    operation_name: str | None = None
    operation_type: str | None = None
    error_codes: list[str] = field(default_factory=list)
    # Which executor ran it: "compiled", or "graphql-core: <why not the compiled one>".
    execution: str | None = None


current_request: ContextVar[RequestRecord | None] = ContextVar("hub_request", default=None)


def request_id_from(header: str | None) -> str:
    """The caller's request id if it is a plain one, else a new one."""
    if header is not None and _VALID_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = getattr(record, FIELDS, None) or {}
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request_id, the record's fields,
    and the traceback of an exception in ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        created = datetime.datetime.fromtimestamp(record.created, datetime.UTC)
        line: dict[str, Any] = {
            "time": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request = current_request.get()
        if request is not None:
            line["request_id"] = request.request_id
        line.update(_fields(record))
        if record.exc_info:
            line["exception_type"] = getattr(record.exc_info[0], "__name__", None)
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger [request id] message key=value…``, for people reading a terminal."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        parts = [self.formatTime(record), record.levelname, record.name]
        request = current_request.get()
        if request is not None:
            parts.append(f"[{request.request_id}]")
        parts.append(record.message)
        parts += [f"{k}={v}" for k, v in _fields(record).items() if v not in (None, "", [])]
        return " ".join(parts)


def configure_logging(settings: Settings) -> None:
    """Send every logger's lines to stderr in the configured format (once per process)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if settings.logs_as_json else TextFormatter())
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if h.get_name() != _HANDLER_NAME] + [handler]
    root.setLevel(settings.log_level)
    for name in _LOGGERS_WITH_VALUES:
        logging.getLogger(name).setLevel(max(root.level, logging.INFO))
