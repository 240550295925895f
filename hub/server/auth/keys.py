"""Signing keys of the trusted issuers: fetched by discovery, cached, refreshed with care.

A provider's keys come from its discovery document (``jwks_uri``). They are cached for
``jwks_ttl`` seconds and refetched early when a token names a key the cache does not hold
(the provider has rotated its keys). Every fetch attempt is spaced by at least
``jwks_min_refresh`` seconds, so a flood of tokens naming forged key ids, or a provider that
is down, costs the provider at most one request per interval; and a failed refresh keeps
the cached keys, so the hub goes on serving while the provider is briefly unreachable.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, Key

from hub.server.auth.errors import IdentityProviderUnavailable, InvalidToken
from hub.settings import Settings, TrustedIssuer

log = logging.getLogger(__name__)


class KeySource(Protocol):
    async def key_for(self, kid: str | None) -> Key: ...


class StaticKeys:
    """Keys known in advance (the development issuer's own key)."""

    def __init__(self, keys: list[Key]) -> None:
        self._keys = _by_kid(keys)

    async def key_for(self, kid: str | None) -> Key:
        key = _pick(self._keys, kid)
        if key is None:
            raise InvalidToken("the token is signed with an unknown key")
        return key


class RemoteKeys:
    """One issuer's published keys, cached as the module docstring explains."""

    def __init__(
        self,
        issuer: TrustedIssuer,
        settings: Settings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self._ttl = settings.jwks_ttl
        self._min_refresh = settings.jwks_min_refresh
        self._timeout = settings.oidc_http_timeout
        self._clock = clock
        self._keys: dict[str | None, Key] | None = None
        self._fetched_at = float("-inf")
        self._attempted_at = float("-inf")
        self._lock = asyncio.Lock()
        # Fetch attempts so far, successful or not (for operators and tests).
        self.attempts = 0

    async def key_for(self, kid: str | None) -> Key:
        stale = self._keys is None or self._clock() - self._fetched_at >= self._ttl
        if stale:
            await self._refresh()
        key = _pick(self._keys or {}, kid)
        if key is None and self._keys is not None and not stale:
            # Perhaps the provider rotated its keys since the last fetch.
            await self._refresh()
            key = _pick(self._keys, kid)
        if self._keys is None:
            raise IdentityProviderUnavailable(
                f"the signing keys of {self.issuer.issuer} cannot be fetched; try again shortly"
            )
        if key is None:
            raise InvalidToken("the token is signed with an unknown key")
        return key

    async def _refresh(self) -> None:
        attempts_seen = self.attempts
        async with self._lock:
            if self.attempts != attempts_seen:
                return  # another request refreshed while this one waited
            if self._clock() - self._attempted_at < self._min_refresh:
                return
            self._attempted_at = self._clock()
            self.attempts += 1
            try:
                keys = await self._fetch()
            except (httpx.HTTPError, ValueError) as error:
                state = "serving the cached keys" if self._keys else "no keys cached"
                log.warning("Keys of %s not refreshed (%s); %s.", self.issuer.issuer, error, state)
                return
            self._keys = _by_kid(keys)
            self._fetched_at = self._clock()

    async def _fetch(self) -> list[Key]:
        async with httpx.AsyncClient(timeout=self._timeout) as http:
            discovery = await _get_json(http, self.issuer.discovery_url)
            if discovery.get("issuer") != self.issuer.issuer:
                # OpenID Connect Discovery 1.0, 4.3: the document must name the issuer itself.
                raise ValueError(f"the discovery document names issuer {discovery.get('issuer')!r}")
            jwks_uri = discovery.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
                raise ValueError("the discovery document has no jwks_uri")
            return _signing_keys(await _get_json(http, jwks_uri))


async def _get_json(http: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await http.get(url, headers={"Accept": "application/json"})
    response.raise_for_status()
    document = response.json()
    if not isinstance(document, dict):
        raise ValueError(f"{url} did not return a JSON object")
    return document


def _signing_keys(jwks: dict[str, Any]) -> list[Key]:
    """The asymmetric signature keys of a JWK set; others are skipped, never trusted."""
    entries = jwks.get("keys")
    if not isinstance(entries, list):
        raise ValueError("the JWK set has no keys")
    keys: list[Key] = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        # A symmetric key published by a provider would be a shared secret made public.
        if entry.get("kty") not in ("RSA", "EC", "OKP"):
            continue
        try:
            keys.append(JWKRegistry.import_key(entry))
        except (JoseError, ValueError, TypeError) as error:
            log.warning("Skipping an unusable key %r: %s", entry.get("kid"), error)
    if not keys:
        raise ValueError("the JWK set has no usable signature key")
    return keys


def _by_kid(keys: list[Key]) -> dict[str | None, Key]:
    return {key.kid: key for key in keys}


def _pick(keys: dict[str | None, Key], kid: str | None) -> Key | None:
    if kid is None:
        # A token without a key id is acceptable only when there is no choice to make.
        return next(iter(keys.values())) if len(keys) == 1 else None
    return keys.get(kid)
