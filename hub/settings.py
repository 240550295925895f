"""Settings, read once from ``HUB_*`` environment variables."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# The built-in development issuer's identifier (hub.auth.dev_issuer): trusted only outside
# production. The demo personas' identities are recorded at this issuer.
DEV_ISSUER = "https://auth.demo.bidonvilles.example"
DEV_AUDIENCE = "https://hub.demo.bidonvilles.example"
# Signature algorithms a token may use: asymmetric only, so that a public key can never
# serve as an HMAC secret, and never "none".
ASYMMETRIC_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)  # fmt: skip


class Environment(StrEnum):
    PRODUCTION = "production"
    DEMO = "demo"
    DEVELOPMENT = "development"
    TEST = "test"


class SettingsError(ValueError):
    """A HUB_* variable has a value the hub cannot use."""


@dataclass(frozen=True)
class TrustedIssuer:
    """An OpenID Connect provider whose access tokens the hub accepts, for one audience."""

    issuer: str
    audience: str
    algorithms: tuple[str, ...] = ASYMMETRIC_ALGORITHMS

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def _issuers(raw: str | None, environment: Environment) -> tuple[TrustedIssuer, ...]:
    """Parse ``HUB_OIDC_ISSUERS``: a JSON list of ``{"issuer", "audience"[, "algorithms"]}``."""
    if not raw:
        return ()
    name = "HUB_OIDC_ISSUERS"
    try:
        entries: Any = json.loads(raw)
    except ValueError as error:
        raise SettingsError(f"{name} must be a JSON list: {error}") from None
    if not isinstance(entries, list):
        raise SettingsError(f'{name} must be a JSON list of {{"issuer": …, "audience": …}}')
    issuers: list[TrustedIssuer] = []
    for position, entry in enumerate(entries, 1):
        where = f"{name} entry {position}"
        if not isinstance(entry, dict) or set(entry) - {"issuer", "audience", "algorithms"}:
            raise SettingsError(f'{where} must have only "issuer", "audience", "algorithms"')
        issuer, audience = entry.get("issuer"), entry.get("audience")
        if not isinstance(issuer, str) or not isinstance(audience, str) or not audience:
            raise SettingsError(f'{where} needs "issuer" and "audience" strings')
        url = urlsplit(issuer)
        loopback = url.hostname in ("127.0.0.1", "localhost", "::1")
        if url.scheme != "https" and not (url.scheme == "http" and loopback):
            raise SettingsError(f"{where}: the issuer must be an https:// URL, got {issuer!r}")
        if url.scheme == "http" and environment is Environment.PRODUCTION:
            raise SettingsError(f"{where}: a plain-http issuer is refused in production")
        if issuer == DEV_ISSUER and environment is Environment.PRODUCTION:
            raise SettingsError(f"{where}: the development issuer is never trusted in production")
        if any(known.issuer == issuer for known in issuers) or issuer == DEV_ISSUER:
            raise SettingsError(f"{where}: issuer {issuer!r} is listed twice")
        algorithms = entry.get("algorithms", list(ASYMMETRIC_ALGORITHMS))
        if (
            not isinstance(algorithms, list)
            or not algorithms
            or not set(algorithms) <= set(ASYMMETRIC_ALGORITHMS)
        ):
            allowed = ", ".join(ASYMMETRIC_ALGORITHMS)
            raise SettingsError(f'{where}: "algorithms" must be a non-empty list among {allowed}')
        issuers.append(TrustedIssuer(issuer, audience, tuple(algorithms)))
    return tuple(issuers)


def _int(environ: dict[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    environment: Environment = Environment.PRODUCTION
    database_url: str = "sqlite://var/hub.sqlite3"
    default_page_size: int = 50
    max_page_size: int = 500
    # A site not updated nor confirmed for this many days is flagged as out of date.
    out_of_date_days: int = 183
    host: str = "127.0.0.1"
    port: int = 8000
    # Identity: trusted OIDC issuers, and how their signing keys are cached.
    oidc_issuers: tuple[TrustedIssuer, ...] = ()
    # Clock skew tolerated on exp, nbf and iat, in seconds.
    token_leeway: int = 30
    # Keys are refetched after this many seconds...
    jwks_ttl: int = 600
    # ...or when a token names an unknown key, but never twice within this many seconds.
    jwks_min_refresh: int = 30
    oidc_http_timeout: float = 5.0
    # A caller, once built from its token, is reused for this many seconds (0: never), so
    # that a status, role, area or override change takes effect within that delay.
    principal_cache_seconds: int = 5
    # When set, federation's `_entities` and `_service` answer only requests carrying it in
    # the X-Hub-Router-Secret header.
    federation_secret: str | None = None
    dev_issuer_key: Path = Path("var/dev-issuer-key.json")

    @property
    def graphiql(self) -> bool:
        return self.environment is not Environment.PRODUCTION

    @property
    def dev_issuer(self) -> bool:
        """The built-in development issuer runs, and is trusted, only outside production."""
        return self.environment is not Environment.PRODUCTION

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        raw_environment = env.get("HUB_ENV", Environment.PRODUCTION.value)
        try:
            environment = Environment(raw_environment)
        except ValueError:
            allowed = ", ".join(e.value for e in Environment)
            raise SettingsError(
                f"HUB_ENV must be one of {allowed}, got {raw_environment!r}"
            ) from None
        database_url = env.get("HUB_DATABASE_URL") or cls.database_url
        if not database_url.startswith(("sqlite://", "postgres://", "postgresql://")):
            raise SettingsError("HUB_DATABASE_URL must start with sqlite:// or postgres://")
        default_page_size = _int(env, "HUB_DEFAULT_PAGE_SIZE", cls.default_page_size)
        max_page_size = _int(env, "HUB_MAX_PAGE_SIZE", cls.max_page_size)
        if default_page_size > max_page_size:
            raise SettingsError("HUB_DEFAULT_PAGE_SIZE must not exceed HUB_MAX_PAGE_SIZE")
        return cls(
            environment=environment,
            database_url=database_url,
            default_page_size=default_page_size,
            max_page_size=max_page_size,
            out_of_date_days=_int(env, "HUB_OUT_OF_DATE_DAYS", cls.out_of_date_days),
            host=env.get("HUB_HOST", cls.host),
            port=_int(env, "HUB_PORT", cls.port),
            oidc_issuers=_issuers(env.get("HUB_OIDC_ISSUERS"), environment),
            token_leeway=_int(env, "HUB_TOKEN_LEEWAY", cls.token_leeway, minimum=0),
            jwks_ttl=_int(env, "HUB_JWKS_TTL", cls.jwks_ttl, minimum=0),
            jwks_min_refresh=_int(env, "HUB_JWKS_MIN_REFRESH", cls.jwks_min_refresh, minimum=0),
            oidc_http_timeout=_int(env, "HUB_OIDC_HTTP_TIMEOUT", int(cls.oidc_http_timeout)),
            dev_issuer_key=Path(env.get("HUB_DEV_ISSUER_KEY") or cls.dev_issuer_key),
            federation_secret=env.get("HUB_FEDERATION_SECRET") or None,
            principal_cache_seconds=_int(
                env, "HUB_PRINCIPAL_CACHE_SECONDS", cls.principal_cache_seconds, minimum=0
            ),
        )
