"""Access-token validation: a JWT signed by a trusted issuer, for this hub, still valid.

The checks follow RFC 9068 (JWT profile for OAuth 2.0 access tokens) and RFC 8725 (JWT best
current practices): the ``typ`` header must be ``at+jwt`` so that an ID token cannot pass for
an access token; the algorithm must be asymmetric and allowed for the issuer; the signing key
comes only from the issuer's own published keys; ``iss``, ``aud``, ``exp`` and ``iat`` are
required and checked (``nbf`` too when present) with a small clock leeway.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import ExpiredTokenError, JoseError, MissingClaimError
from joserfc.jwt import JWTClaimsRegistry

from hub.server.auth.errors import InvalidToken
from hub.server.auth.keys import KeySource
from hub.settings import TrustedIssuer

# Far above any real access token; refuses absurd inputs before any parsing.
MAX_TOKEN_LENGTH = 16_384
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})

_CLAIM_PROBLEMS = {
    "iss": "the token's issuer is not trusted by this hub",
    "aud": "the token is not meant for this hub (audience)",
    "nbf": "the token is not valid yet",
    "iat": "the token claims to be issued in the future",
}


@dataclass(frozen=True)
class AccessToken:
    """A validated token's claims; ``issuer`` is one of the trusted issuers."""

    issuer: str
    claims: dict[str, Any]


@dataclass(frozen=True)
class Trust:
    issuer: TrustedIssuer
    keys: KeySource


class TokenValidator:
    def __init__(self, trusted: list[Trust], leeway: int) -> None:
        self._trusted = {trust.issuer.issuer: trust for trust in trusted}
        self._leeway = leeway

    def keys_of(self, issuer: str) -> KeySource:
        return self._trusted[issuer].keys

    async def validate(self, token: str) -> AccessToken:
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("the token is too long")
        try:
            signed = jws.extract_compact(token.encode("ascii"))
            claims = json.loads(signed.payload)
        except (JoseError, ValueError, UnicodeError):
            raise InvalidToken("the token is not a signed JWT") from None
        if not isinstance(claims, dict):
            raise InvalidToken("the token's payload is not a JSON object")
        header = signed.headers()
        if str(header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
            raise InvalidToken(
                "the token is not an access token (its typ header must be at+jwt); "
                "ID tokens are refused"
            )
        issuer = claims.get("iss")
        trust = self._trusted.get(issuer) if isinstance(issuer, str) else None
        if trust is None:
            raise InvalidToken(_CLAIM_PROBLEMS["iss"])
        algorithm = header.get("alg")
        if algorithm not in trust.issuer.algorithms:
            raise InvalidToken("the token's signature algorithm is not accepted")
        key = await trust.keys.key_for(header.get("kid"))
        try:
            valid = jws.validate_compact(signed, key, algorithms=[algorithm])
        except JoseError:
            valid = False
        if not valid:
            raise InvalidToken("the token's signature is invalid")
        self._check_claims(claims, trust.issuer)
        return AccessToken(trust.issuer.issuer, claims)

    def _check_claims(self, claims: dict[str, Any], issuer: TrustedIssuer) -> None:
        registry = JWTClaimsRegistry(
            leeway=self._leeway,
            iss={"essential": True, "value": issuer.issuer},
            aud={"essential": True, "value": issuer.audience},
            exp={"essential": True},
            iat={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise InvalidToken("the token has expired") from None
        except MissingClaimError as error:
            raise InvalidToken(f"the token lacks the {error.claim} claim") from None
        except JoseError as error:
            claim = getattr(error, "claim", "")
            problem = _CLAIM_PROBLEMS.get(claim, f"the token's {claim} claim is invalid")
            raise InvalidToken(problem) from None
