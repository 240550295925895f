"""Optional OpenTelemetry tracing: with ``HUB_OTEL=1`` and the ``otel`` extra installed, each
request is a server span. Spans go to the tracer provider already set up (for instance by
``opentelemetry-instrument hub serve``), else to an OTLP/HTTP exporter configured by the
standard ``OTEL_EXPORTER_OTLP_*`` variables."""

from __future__ import annotations

import logging
import os

from starlette.middleware import Middleware

from hub.settings import Settings

log = logging.getLogger(__name__)


def tracing_middleware(settings: Settings) -> list[Middleware]:
    if not settings.otel:
        return []
    try:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    except ImportError:
        log.warning("HUB_OTEL=1 but OpenTelemetry is not installed (the `otel` extra): no traces")
        return []
    _default_provider()
    # One span per request; the receive/send spans of each message would only add noise.
    return [Middleware(OpenTelemetryMiddleware, exclude_spans=["receive", "send"])]


def _default_provider() -> None:
    from opentelemetry import trace

    if not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return  # set up already: by the process's launcher, or by an earlier app
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning("HUB_OTEL=1 but the OpenTelemetry SDK or OTLP exporter is missing: no traces")
        return
    name = os.environ.get("OTEL_SERVICE_NAME", "bidonvilles-hub")
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
