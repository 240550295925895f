"""Why a request was refused before reaching GraphQL, as HTTP status and GraphQL error code."""

from __future__ import annotations

from permissions.principal import Newcomer


class AuthError(Exception):
    status = 401
    code = "UNAUTHENTICATED"
    # The RFC 6750 error code of the WWW-Authenticate challenge, if one is due.
    challenge: str | None = None

    def __init__(self, message: str) -> None:
        # Messages go into a WWW-Authenticate header: ASCII only, never the token itself.
        super().__init__(message)
        self.message = message


class InvalidToken(AuthError):
    """The token is malformed, forged, expired, or not meant for this hub."""

    challenge = "invalid_token"


class BadAuthorization(AuthError):
    """The Authorization header itself is malformed."""

    status = 400
    code = "BAD_REQUEST"
    challenge = "invalid_request"


class IdentityProviderUnavailable(AuthError):
    """The issuer's keys cannot be fetched and none are cached: the token cannot be checked."""

    status = 503
    code = "IDENTITY_PROVIDER_UNAVAILABLE"


class AccessDenied(AuthError):
    """The token is valid but its holder may not use the hub (yet)."""

    status = 403

    def __init__(self, code: str, message: str, newcomer: Newcomer | None = None) -> None:
        super().__init__(message)
        self.code = code
        # A person the hub does not know: who may still ask for an account (requestAccess).
        self.newcomer = newcomer


class InsufficientScope(AccessDenied):
    """A partner application's token grants none of the hub's scopes."""

    challenge = "insufficient_scope"

    def __init__(self, message: str) -> None:
        super().__init__("INSUFFICIENT_SCOPE", message)
