"""Identity: who is calling, proven by an OpenID Connect provider's access token.

``tokens`` validates a bearer JWT against the trusted issuers (``keys`` caches their signing
keys), ``principals`` turns its claims into a :class:`permissions.principal.Principal`,
``middleware`` does both once per request and answers 401/403/503 itself, and
``dev_issuer`` is the built-in development issuer of demo mode.
"""
