"""The roof: the ASGI app, its HTTP middleware (authentication, rate limits, observability,
body limits), the CLI and the exports; it may import every layer, none imports it."""
