"""The built-in development issuer: try every role in one minute, in demo mode only.

It signs access tokens with its own key (ES256), kept in ``HUB_DEV_ISSUER_KEY`` (default
``var/dev-issuer-key.json``, created on first use, readable by its owner only) so that
``hub token`` and ``hub serve`` share it. The hub trusts it in-process and publishes its
discovery document and JWKS under ``/dev-issuer/``. Its identifier, ``DEV_ISSUER``, is a
fixed name (the demo personas' identities are recorded under it), not the URL it is
served from. Outside demo, development and test environments it refuses to load, and
settings refuse to trust its identifier in production.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.models import PartnerApplication, User, UserIdentity
from hub.models.enums import UserStatus
from hub.settings import DEV_AUDIENCE, DEV_ISSUER, Settings, TrustedIssuer

ALGORITHM = "ES256"
DEFAULT_TTL = 12 * 3600
# The client named in the person tokens printed by ``hub token``.
CLI_CLIENT_ID = "hub-cli"


class DevIssuerRefused(RuntimeError):
    """The development issuer was asked for outside demo mode."""


class DevIssuer:
    trusted = TrustedIssuer(DEV_ISSUER, DEV_AUDIENCE, (ALGORITHM,))

    def __init__(self, key: ECKey) -> None:
        self._key = key
        self.public_key = ECKey.import_key(key.as_dict(private=False))

    @classmethod
    def load(cls, settings: Settings) -> DevIssuer:
        if not settings.dev_issuer:
            raise DevIssuerRefused(
                "The development issuer runs only when demo mode is on explicitly "
                "(HUB_ENV=demo or development); it never runs in production."
            )
        path = settings.dev_issuer_key
        if not path.exists():
            key = ECKey.generate_key("P-256", parameters={"alg": ALGORITHM, "use": "sig"})
            key.ensure_kid()
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                # O_EXCL: if `hub serve` and `hub token` race, one key wins and both read it.
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w", encoding="utf-8") as file:
                    json.dump(key.as_dict(private=True), file)
        return cls(ECKey.import_key(json.loads(path.read_text(encoding="utf-8"))))

    def mint(
        self, subject: str, client_id: str, scope: str, ttl: int = DEFAULT_TTL, **claims: Any
    ) -> str:
        now = int(time.time())
        payload = {
            "iss": DEV_ISSUER,
            "aud": DEV_AUDIENCE,
            "sub": subject,
            "client_id": client_id,
            "scope": scope,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            **claims,
        }
        header = {"alg": ALGORITHM, "typ": "at+jwt", "kid": self._key.kid}
        return jwt.encode(header, payload, self._key, algorithms=[ALGORITHM])

    async def token_for(self, who: str, ttl: int = DEFAULT_TTL) -> tuple[str, str]:
        """A token for a user (by e-mail) or a partner application (by client id), and a
        note on how the hub will treat it. Raises LookupError for an unknown caller."""
        if "@" in who:
            user = await User.get_or_none(email__iexact=who.strip())
            if user is None:
                raise LookupError(f"No user has the e-mail address {who!r}.")
            identity = await UserIdentity.get_or_none(user_id=user.id, issuer=DEV_ISSUER)
            subject = identity.subject if identity else f"user-{user.id}"
            token = self.mint(
                subject, CLI_CLIENT_ID, "openid email", ttl, email=user.email, email_verified=True
            )
            refused = user.status != UserStatus.ACTIVE
            standing = f" (the hub will refuse it: {user.status})" if refused else ""
            return token, f"{user.email}, {user.role}{standing}"
        app = await PartnerApplication.get_or_none(client_id=who.strip())
        if app is None:
            known = (
                await PartnerApplication.all()
                .order_by("client_id")
                .values_list("client_id", flat=True)
            )
            raise LookupError(
                f"No user e-mail nor partner application {who!r}; "
                # tortoise types values_list(flat=True) as tuples; flat, it returns the values.
                f"registered applications: {', '.join(known) or 'none'}."  # type: ignore[arg-type]
            )
        token = self.mint(app.client_id, app.client_id, " ".join(app.scopes), ttl)
        standing = "" if app.active else " (the hub will refuse it: disabled)"
        return token, f"application {app.client_id}, {app.role}, {' '.join(app.scopes)}{standing}"

    def routes(self) -> list[Route]:
        async def discovery(request: Request) -> JSONResponse:
            base = str(request.base_url).rstrip("/")
            return JSONResponse(
                {
                    "issuer": DEV_ISSUER,
                    "jwks_uri": f"{base}/dev-issuer/jwks.json",
                    "response_types_supported": [],
                    "grant_types_supported": [],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": [ALGORITHM],
                }
            )

        async def jwks(_: Request) -> JSONResponse:
            return JSONResponse({"keys": [self.public_key.as_dict(private=False)]})

        return [
            Route("/dev-issuer/.well-known/openid-configuration", discovery, methods=["GET"]),
            Route("/dev-issuer/jwks.json", jwks, methods=["GET"]),
        ]
