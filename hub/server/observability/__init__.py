"""Operations: structured logs with a request id, Prometheus metrics, optional tracing.

``logs`` formats every log line (JSON in production) and carries the request id of the
request being served; ``middleware`` writes one access line per request and counts it;
``operation`` tells them which GraphQL operation ran and which error codes it answered;
``metrics`` holds the Prometheus metrics and serves ``/metrics``; ``tracing`` wraps the app
with OpenTelemetry when asked to.
"""
