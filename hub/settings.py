"""Settings, read once from ``HUB_*`` environment variables, over those of the settings file
(``var/hub.env``, which ``make demo`` writes) when it exists."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hub.limits import DEFAULT_COST_BUDGETS, Limits

# The built-in development issuer's identifier (hub.server.auth.dev_issuer): trusted only outside
# production. The demo personas' identities are recorded at this issuer.
DEV_ISSUER = "https://auth.demo.bidonvilles.example"
DEV_AUDIENCE = "https://hub.demo.bidonvilles.example"
# Signature algorithms a token may use: asymmetric only, so that a public key can never
# serve as an HMAC secret, and never "none".
ASYMMETRIC_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)  # fmt: skip


# `hub` reads this file when present: `make demo` writes the demo's database there, so that
# `hub …` acts on the database the demo serves. Variables of the environment win.
SETTINGS_FILE = Path("var/hub.env")
# Browsers' origins of a front-end served on this machine (a Vite or webpack dev server):
# allowed outside production in addition to HUB_CORS_ORIGINS.
LOCAL_ORIGINS = r"http://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]+)?"


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


def read_settings_file(path: Path = SETTINGS_FILE) -> dict[str, str]:
    """The ``HUB_NAME=value`` lines of a settings file (blank lines and ``#`` comments
    ignored); nothing when it does not exist."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip().startswith("HUB_"):
            raise SettingsError(f"{path} line {number}: expected HUB_NAME=value, got {line!r}")
        values[name.strip()] = value.strip()
    return values


def environ_with_file(path: Path = SETTINGS_FILE) -> dict[str, str]:
    """The process's environment over the settings file's values."""
    return read_settings_file(path) | dict(os.environ)


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip())
    for origin in origins:
        url = urlsplit(origin)
        if url.scheme not in ("https", "http") or not url.netloc or url.path:
            raise SettingsError(f"HUB_CORS_ORIGINS: {origin!r} is not an origin (https://host)")
    return origins


def _cost_budgets(raw: str) -> dict[str, int]:
    """Parse ``HUB_COST_BUDGETS``: a JSON object of budgets by role, "anonymous" or "default"."""
    from hub.models.enums import Role

    name = "HUB_COST_BUDGETS"
    budgets = dict(DEFAULT_COST_BUDGETS)
    if not raw:
        return budgets
    try:
        given: Any = json.loads(raw)
    except ValueError as error:
        raise SettingsError(f"{name} must be a JSON object: {error}") from None
    known = {"anonymous", "default", *(role.value for role in Role)}
    if not isinstance(given, dict):
        raise SettingsError(f'{name} must be a JSON object such as {{"default": 50000}}')
    for key, value in given.items():
        if key not in known:
            raise SettingsError(f"{name}: {key!r} is not a role; use one of {sorted(known)}")
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise SettingsError(f"{name}: the budget of {key!r} must be a whole number ≥ 1")
    return budgets | given


def _limits(env: dict[str, str]) -> Limits:
    default = Limits()
    return Limits(
        depth=_int(env, "HUB_MAX_DEPTH", default.depth),
        aliases=_int(env, "HUB_MAX_ALIASES", default.aliases, minimum=0),
        root_fields=_int(env, "HUB_MAX_ROOT_FIELDS", default.root_fields),
        directives_per_field=_int(env, "HUB_MAX_DIRECTIVES", default.directives_per_field, 0),
        tokens=_int(env, "HUB_MAX_TOKENS", default.tokens, minimum=10),
        string_length=_int(env, "HUB_MAX_STRING_LENGTH", default.string_length, minimum=100),
        list_length=_int(env, "HUB_MAX_LIST_LENGTH", default.list_length),
        cost_budgets=_cost_budgets(env.get("HUB_COST_BUDGETS", "")),
    )


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


def _gc_threshold(raw: str | None, default: tuple[int, int, int]) -> tuple[int, int, int]:
    if not raw:
        return default
    parts = raw.split(",")
    try:
        values = tuple(int(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != 3 or min(values) < 1:
        raise SettingsError(
            f"HUB_GC_THRESHOLD must be three whole numbers of at least 1, such as "
            f"{','.join(map(str, default))}; got {raw!r}"
        )
    return values[0], values[1], values[2]


class LogFormat(StrEnum):
    JSON = "json"
    TEXT = "text"


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _choice(environ: dict[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    raw = environ.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() not in (value.lower() for value in allowed):
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
    return raw


def _metrics_token(raw: str | None) -> str | None:
    if not raw:
        return None
    if len(raw) < 16 or not raw.isascii() or not raw.isprintable() or " " in raw:
        raise SettingsError("HUB_METRICS_TOKEN must be at least 16 printable ASCII characters")
    return raw


def _federation(env: dict[str, str], environment: Environment, secret: str | None) -> bool:
    """``HUB_FEDERATION``: on or off; by default on, except in production without a router
    secret, where `_entities` and `_service` would otherwise serve anyone."""
    choice = _choice(env, "HUB_FEDERATION", ("on", "off"))
    production = environment is Environment.PRODUCTION
    if choice is None:
        return not production or secret is not None
    enabled = choice.lower() == "on"
    if enabled and production and secret is None:
        raise SettingsError(
            "HUB_FEDERATION=on needs HUB_FEDERATION_SECRET in production: without it anyone "
            "could read the schema through `_service`"
        )
    return enabled


def _redis_url(raw: str | None) -> str | None:
    if not raw:
        return None
    if urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
        raise SettingsError("HUB_REDIS_URL must start with redis://, rediss:// or unix://")
    return raw


def _replica_url(raw: str | None) -> str | None:
    if not raw:
        return None
    if not raw.startswith(("postgres://", "postgresql://")):
        raise SettingsError("HUB_DATABASE_REPLICA_URL must start with postgres://")
    return raw


def _mail(env: dict[str, str], environment: Environment) -> dict[str, Any]:
    smtp_url = env.get("HUB_SMTP_URL") or None
    if smtp_url is not None:
        parts = urlsplit(smtp_url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise SettingsError(
                "HUB_SMTP_URL must be smtp://[user:password@]host[:port][?starttls=true] "
                "or smtps://…"
            )
    public_url = (env.get("HUB_PUBLIC_URL") or "").rstrip("/") or None
    if public_url is not None and urlsplit(public_url).scheme not in ("http", "https"):
        raise SettingsError("HUB_PUBLIC_URL must be an http:// or https:// address")
    secret_key = env.get("HUB_SECRET_KEY") or None
    if secret_key is not None and len(secret_key) < 32:
        raise SettingsError("HUB_SECRET_KEY must be at least 32 characters long")
    if environment is Environment.PRODUCTION and smtp_url is not None:
        missing = [
            name
            for name in ("HUB_PUBLIC_URL", "HUB_SECRET_KEY", "HUB_MAIL_FROM")
            if not env.get(name)
        ]
        if missing:
            raise SettingsError(
                f"With HUB_SMTP_URL in production, set {', '.join(missing)} too: the e-mails' "
                "links, their unsubscribe signatures and their sender depend on them"
            )
    return {
        "smtp_url": smtp_url,
        "mail_from": env.get("HUB_MAIL_FROM") or Settings.mail_from,
        "notify": (_choice(env, "HUB_NOTIFY", ("on", "off")) or "on").lower() == "on",
        "mail_retry_seconds": _int(env, "HUB_MAIL_RETRY_SECONDS", Settings.mail_retry_seconds),
        "mail_max_attempts": _int(env, "HUB_MAIL_MAX_ATTEMPTS", Settings.mail_max_attempts),
        "public_url": public_url,
        "secret_key": secret_key,
        "out_of_date_reminder_days": _int(
            env, "HUB_OUT_OF_DATE_REMINDER_DAYS", Settings.out_of_date_reminder_days, minimum=0
        ),
        "inactivity_days": _int(env, "HUB_INACTIVITY_DAYS", Settings.inactivity_days, minimum=0),
        "inactivity_grace_days": _int(
            env, "HUB_INACTIVITY_GRACE_DAYS", Settings.inactivity_grace_days
        ),
    }


@dataclass(frozen=True)
class Settings:
    environment: Environment = Environment.PRODUCTION
    database_url: str = "sqlite://var/hub.sqlite3"
    # Database bounds in seconds (hub.database): opening a connection, running a statement
    # (SQLite: waiting for a lock), waiting for a pooled connection; and the connections one
    # process may hold (PostgreSQL).
    db_connect_timeout: float = 3.0
    db_statement_timeout: float = 10.0
    db_pool_timeout: float = 5.0
    db_pool_size: int = 10
    # A streaming replica of the PostgreSQL database, where reads go while it is healthy
    # (hub.replicas): the lag beyond which they go to the primary, and how long a caller's
    # reads go to the primary after it wrote. Ignored on SQLite.
    database_replica_url: str | None = None
    replica_max_lag_seconds: int = 2
    replica_read_your_writes_seconds: int = 5
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
    # the X-Hub-Router-Secret header; in production they need it (schema.federation).
    federation_secret: str | None = None
    # Whether `_entities` and `_service` answer at all (HUB_FEDERATION).
    federation: bool = True
    # Whether queries run through their compiled plan (schema.execution); off: graphql-core
    # runs every operation (HUB_COMPILED_READS).
    compiled_reads: bool = True
    # Browser origins allowed to call the hub (CORS); none by default.
    cors_origins: tuple[str, ...] = ()
    # Query limits and cost budgets (schema.limits, schema.cost).
    limits: Limits = field(default_factory=Limits)
    # Larger request bodies are refused (413) before they are read whole.
    max_body_bytes: int = 1_048_576
    # A request's body must arrive whole within this many seconds of its headers (else 408);
    # its request line and headers within this many seconds of the connection opening or of
    # the previous answer (else 408); an idle connection is closed after this many seconds.
    body_timeout_seconds: int = 30
    header_timeout_seconds: int = 10
    keep_alive_seconds: int = 5
    # Request lines and headers larger than this, all together, are refused (431).
    max_header_bytes: int = 16_384
    # On SIGTERM, in-flight requests get this many seconds to finish before they are cut.
    shutdown_grace_seconds: int = 20
    # Requests per minute (0: unlimited) per signed-in person, per partner application (all
    # its tokens together) and per anonymous address (hub.server.ratelimit).
    rate_limit: int = 600
    rate_limit_apps: int = 1200
    rate_limit_anonymous: int = 120
    # Requests per minute (0: unlimited) per client address, counted before the caller is
    # known: requests bearing tokens, forged ones included, count too.
    rate_limit_address: int = 2400
    # Where the workers share their rate limits; without it each process counts alone.
    redis_url: str | None = None
    redis_prefix: str = "hub:rl:"
    dev_issuer_key: Path = Path("var/dev-issuer-key.json")
    # Log lines as JSON objects or text; None: JSON in production, text elsewhere.
    log_format: LogFormat | None = None
    log_level: str = "INFO"
    # In production /metrics is served only to requests bearing this token
    # (hub.server.observability).
    metrics_token: str | None = None
    # Traces through OpenTelemetry, when its packages are installed (the `otel` extra).
    otel: bool = False
    # Live updates over WebSocket (hub.server.live): events a subscription may fall behind
    # before its connection is closed; operations per connection and per person or
    # application (per process); seconds a connection may stay without any operation; the
    # largest message a client may send.
    live_queue_size: int = 100
    ws_max_subscriptions: int = 20
    ws_max_subscriptions_per_caller: int = 100
    ws_idle_seconds: int = 300
    ws_max_message_bytes: int = 65_536
    # Webhooks (hub.server.webhooks): whether `hub serve` sends the deliveries (off: a
    # `hub webhooks` process does); the first retry's delay, doubled at each attempt; the
    # attempts before a delivery fails; the failed attempts in a row that pause a webhook;
    # how long a receiver may take to answer.
    webhooks: bool = True
    webhook_retry_seconds: int = 10
    webhook_max_attempts: int = 10
    webhook_pause_after: int = 20
    webhook_timeout_seconds: int = 10
    # E-mail notifications (hub.server.notify): the SMTP server (none: nothing is sent, the
    # e-mails wait in the outbox), the sender, whether `hub serve` sends them (off: a `hub
    # notify` process does), the first retry's delay (doubled at each attempt) and the attempts
    # before an e-mail is failed.
    smtp_url: str | None = None
    mail_from: str = "Plateforme bidonvilles <ne-pas-repondre@localhost>"
    notify: bool = True
    mail_retry_seconds: int = 60
    mail_max_attempts: int = 8
    # Where people reach the hub: the links of the e-mails start with it (none: the address
    # `hub serve` listens on).
    public_url: str | None = None
    # Signs the e-mails' unsubscribe links; outside production a key is kept in var/.
    secret_key: str | None = None
    # An open site not updated for this many days gets a reminder to its actors and its
    # département's correspondents (0: never).
    out_of_date_reminder_days: int = 90
    # An account unused for this many days gets a reminder, and is deactivated this many
    # days later if still unused (0: never).
    inactivity_days: int = 180
    inactivity_grace_days: int = 30
    # The garbage collector's thresholds in serving processes, start-up's objects frozen
    # (hub.server.gc_tuning; docs/operations.md has the measurements).
    gc_threshold: tuple[int, int, int] = (25_000, 10, 10)

    @property
    def base_url(self) -> str:
        """Where people reach the hub, for links sent to them."""
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def graphiql(self) -> bool:
        return self.environment is not Environment.PRODUCTION

    @property
    def cors_origin_regex(self) -> str | None:
        """Demo and development hubs also answer front-ends served on this machine."""
        local = self.environment in (Environment.DEMO, Environment.DEVELOPMENT)
        return LOCAL_ORIGINS if local else None

    @property
    def introspection_for_all(self) -> bool:
        """Outside production anyone may introspect; in production, administrators only."""
        return self.environment is not Environment.PRODUCTION

    @property
    def logs_as_json(self) -> bool:
        if self.log_format is None:
            return self.environment is Environment.PRODUCTION
        return self.log_format == LogFormat.JSON

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
        log_format = _choice(env, "HUB_LOG_FORMAT", tuple(LogFormat))
        federation_secret = env.get("HUB_FEDERATION_SECRET") or None
        return cls(
            environment=environment,
            database_url=database_url,
            db_connect_timeout=_int(env, "HUB_DB_CONNECT_TIMEOUT", int(cls.db_connect_timeout)),
            db_statement_timeout=_int(
                env, "HUB_DB_STATEMENT_TIMEOUT", int(cls.db_statement_timeout)
            ),
            db_pool_timeout=_int(env, "HUB_DB_POOL_TIMEOUT", int(cls.db_pool_timeout)),
            db_pool_size=_int(env, "HUB_DB_POOL_SIZE", cls.db_pool_size),
            database_replica_url=_replica_url(env.get("HUB_DATABASE_REPLICA_URL")),
            replica_max_lag_seconds=_int(
                env, "HUB_REPLICA_MAX_LAG_SECONDS", cls.replica_max_lag_seconds
            ),
            replica_read_your_writes_seconds=_int(
                env,
                "HUB_REPLICA_READ_YOUR_WRITES_SECONDS",
                cls.replica_read_your_writes_seconds,
                minimum=0,
            ),
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
            federation_secret=federation_secret,
            federation=_federation(env, environment, federation_secret),
            compiled_reads=(_choice(env, "HUB_COMPILED_READS", ("on", "off")) or "on").lower()
            == "on",
            cors_origins=_origins(env.get("HUB_CORS_ORIGINS", "")),
            limits=_limits(env),
            max_body_bytes=_int(env, "HUB_MAX_BODY_BYTES", cls.max_body_bytes, minimum=1024),
            body_timeout_seconds=_int(env, "HUB_BODY_TIMEOUT_SECONDS", cls.body_timeout_seconds),
            header_timeout_seconds=_int(
                env, "HUB_HEADER_TIMEOUT_SECONDS", cls.header_timeout_seconds
            ),
            keep_alive_seconds=_int(env, "HUB_KEEP_ALIVE_SECONDS", cls.keep_alive_seconds),
            max_header_bytes=_int(env, "HUB_MAX_HEADER_BYTES", cls.max_header_bytes, 4096),
            shutdown_grace_seconds=_int(
                env, "HUB_SHUTDOWN_GRACE_SECONDS", cls.shutdown_grace_seconds, minimum=0
            ),
            principal_cache_seconds=_int(
                env, "HUB_PRINCIPAL_CACHE_SECONDS", cls.principal_cache_seconds, minimum=0
            ),
            rate_limit=_int(env, "HUB_RATE_LIMIT", cls.rate_limit, minimum=0),
            rate_limit_apps=_int(env, "HUB_RATE_LIMIT_APPS", cls.rate_limit_apps, minimum=0),
            rate_limit_anonymous=_int(
                env, "HUB_RATE_LIMIT_ANONYMOUS", cls.rate_limit_anonymous, minimum=0
            ),
            rate_limit_address=_int(
                env, "HUB_RATE_LIMIT_ADDRESS", cls.rate_limit_address, minimum=0
            ),
            redis_url=_redis_url(env.get("HUB_REDIS_URL")),
            redis_prefix=env.get("HUB_REDIS_PREFIX") or cls.redis_prefix,
            log_format=LogFormat(log_format.lower()) if log_format else None,
            log_level=(_choice(env, "HUB_LOG_LEVEL", LOG_LEVELS) or cls.log_level).upper(),
            metrics_token=_metrics_token(env.get("HUB_METRICS_TOKEN")),
            otel=_choice(env, "HUB_OTEL", ("0", "1")) == "1",
            live_queue_size=_int(env, "HUB_LIVE_QUEUE_SIZE", cls.live_queue_size),
            ws_max_subscriptions=_int(env, "HUB_WS_MAX_SUBSCRIPTIONS", cls.ws_max_subscriptions),
            ws_max_subscriptions_per_caller=_int(
                env, "HUB_WS_MAX_SUBSCRIPTIONS_PER_CALLER", cls.ws_max_subscriptions_per_caller
            ),
            ws_idle_seconds=_int(env, "HUB_WS_IDLE_SECONDS", cls.ws_idle_seconds),
            ws_max_message_bytes=_int(
                env, "HUB_WS_MAX_MESSAGE_BYTES", cls.ws_max_message_bytes, minimum=1024
            ),
            webhooks=(_choice(env, "HUB_WEBHOOKS", ("on", "off")) or "on").lower() == "on",
            webhook_retry_seconds=_int(env, "HUB_WEBHOOK_RETRY_SECONDS", cls.webhook_retry_seconds),
            webhook_max_attempts=_int(env, "HUB_WEBHOOK_MAX_ATTEMPTS", cls.webhook_max_attempts),
            webhook_pause_after=_int(env, "HUB_WEBHOOK_PAUSE_AFTER", cls.webhook_pause_after),
            webhook_timeout_seconds=_int(
                env, "HUB_WEBHOOK_TIMEOUT_SECONDS", cls.webhook_timeout_seconds
            ),
            gc_threshold=_gc_threshold(env.get("HUB_GC_THRESHOLD"), cls.gc_threshold),
            **_mail(env, environment),
        )
