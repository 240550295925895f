"""Settings, read once from ``HUB_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum


class Environment(StrEnum):
    PRODUCTION = "production"
    DEMO = "demo"
    DEVELOPMENT = "development"
    TEST = "test"


class SettingsError(ValueError):
    """A HUB_* variable has a value the hub cannot use."""


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

    @property
    def graphiql(self) -> bool:
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
        )
