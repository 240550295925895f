"""A real OpenID Connect provider for tests: `oidc-provider` (Node) driven from Python.

``tests/oidc/provider.mjs`` runs oidc-provider with JWT access tokens (RFC 9068, ``typ:
at+jwt``) for the configured resources, the client-credentials grant, and the
authorization-code grant with PKCE through oidc-provider's development login/consent pages.
This module writes its config, runs it as a subprocess, and plays the clients: it gets tokens
exactly as a service account or a browser would.

The Node dependencies are installed beforehand with ``npm ci --prefix tests/oidc``.

Typical use::

    provider = OidcProvider(
        tmp_path,
        jwks=generate_jwks("key-1"),
        resources={"https://hub.test": {"scope": "hub:read hub:write", "accessTokenTTL": 600}},
        default_resource="https://hub.test",
        accounts=[{"sub": "agent-1", "email": "a@example.org", "email_verified": True}],
        clients=[{"client_id": "svc", "client_secret": "secret",
                  "grant_types": ["client_credentials"], "response_types": [],
                  "redirect_uris": [], "scope": "hub:read"}],
    )
    provider.start()
    token = await provider.client_credentials("svc", "secret", scope="hub:read")
    provider.restart(jwks=generate_jwks("key-2"))  # key rotation; also an outage window
    provider.stop()
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import html
import json
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from joserfc.jwk import ECKey, KeyParameters, KeySet, OKPKey, RSAKey

from tests.processes import free_port, stop_process, wait_for_line

__all__ = [
    "OIDC_DIR",
    "OidcProvider",
    "OidcProviderError",
    "generate_jwk",
    "generate_jwks",
    "public_jwks",
    "unverified_jwt",
]

JSONDict = dict[str, Any]

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
SCRIPT = OIDC_DIR / "provider.mjs"
NPM_CI = "npm ci --prefix tests/oidc"

# Providers started and not yet stopped, stopped at interpreter exit whatever happens.
_RUNNING: set[OidcProvider] = set()


class OidcProviderError(RuntimeError):
    """The provider could not start, or refused a token request."""


# --- keys -------------------------------------------------------------------------------------

_EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


def generate_jwk(kid: str, alg: str = "RS256") -> JSONDict:
    """A fresh private signing JWK with ``kid``, ``alg`` and ``use: sig``.

    ``alg``: RS256/384/512 and PS256/384/512 (RSA 2048), ES256/384/512, or EdDSA/Ed25519.
    """
    params: KeyParameters = {"kid": kid, "alg": alg, "use": "sig"}
    if alg[:2] in ("RS", "PS"):
        key: RSAKey | ECKey | OKPKey = RSAKey.generate_key(2048, parameters=params)
    elif alg in _EC_CURVES:
        key = ECKey.generate_key(_EC_CURVES[alg], parameters=params)
    elif alg in ("EdDSA", "Ed25519"):
        key = OKPKey.generate_key("Ed25519", parameters=params)
    else:
        raise ValueError(f"unsupported signing alg {alg!r}")
    return dict(key.as_dict(private=True))


def generate_jwks(kid: str = "key-1", alg: str = "RS256") -> JSONDict:
    """A private JWK set holding one fresh key (see :func:`generate_jwk`)."""
    return {"keys": [generate_jwk(kid, alg)]}


def public_jwks(jwks: Mapping[str, Any]) -> JSONDict:
    """The public half of a private JWK set (what the provider publishes at ``/jwks``)."""
    key_set = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
    public: JSONDict = dict(key_set.as_dict(private=False))
    return public


def unverified_jwt(token: str) -> tuple[JSONDict, JSONDict]:
    """(header, claims) of a compact JWS, decoded WITHOUT checking anything."""

    def part(segment: str) -> JSONDict:
        decoded: JSONDict = json.loads(
            base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        )
        return decoded

    header, payload, _signature = token.split(".")
    return part(header), part(payload)


# --- the provider -----------------------------------------------------------------------------


class OidcProvider:
    """One ``node tests/oidc/provider.mjs`` process on 127.0.0.1:``port`` (plain HTTP).

    ``jwks`` is a private JWK set; its first key signs access tokens and ID tokens.
    ``resources`` maps resource indicators to ``{"scope": "...", "accessTokenTTL": seconds}``;
    ``default_resource`` is used when a client names none. ``accounts`` are
    ``{"sub", "email", "email_verified"}`` dicts (the dev login accepts any password for them).
    ``clients`` are oidc-provider client metadata, plus an optional ``access_token_ttl``
    (seconds) overriding the resource's TTL for that client; resource scopes listed in a
    client's ``scope`` limit what that client may get.

    Provider state (sessions, grants, codes) lives in the process and is lost by
    :meth:`restart`; issued JWT access tokens stay valid as long as their key is published.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        jwks: Mapping[str, Any],
        resources: Mapping[str, Mapping[str, Any]],
        default_resource: str,
        accounts: Sequence[Mapping[str, Any]],
        clients: Sequence[Mapping[str, Any]],
        port: int | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self.workdir = Path(workdir)
        self.port = port if port is not None else free_port()
        self.jwks: JSONDict = dict(jwks)
        self.resources = {key: dict(value) for key, value in resources.items()}
        self.default_resource = default_resource
        self.accounts = [dict(account) for account in accounts]
        self.clients = [dict(client) for client in clients]
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr_path = self.workdir / f"oidc-provider-{self.port}.stderr.log"

    # -- addresses

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def jwks_uri(self) -> str:
        return f"{self.issuer}/jwks"

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # -- process lifecycle

    def start(self) -> None:
        """Write the config, spawn node and wait for its ``ready <issuer>`` line."""
        if self.running:
            raise OidcProviderError(f"provider already running at {self.issuer}")
        if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
            raise OidcProviderError(f"{OIDC_DIR / 'node_modules'} is missing: run `{NPM_CI}` first")
        node = shutil.which("node")
        if node is None:
            raise OidcProviderError("`node` is not on PATH; the OIDC provider needs Node.js")

        self.workdir.mkdir(parents=True, exist_ok=True)
        config_path = self.workdir / f"oidc-provider-{self.port}.json"
        config_path.write_text(json.dumps(self._config(), indent=2))

        with self._stderr_path.open("ab") as stderr:
            process = subprocess.Popen(
                [node, str(SCRIPT), str(config_path)],
                cwd=OIDC_DIR,
                # The provider exits when this pipe closes, so it never outlives the tests.
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env={**os.environ, "NODE_ENV": "test"},
            )
        self._process = process
        _RUNNING.add(self)
        try:
            self._wait_ready(process)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM, wait, SIGKILL if needed. Does nothing when not running."""
        process, self._process = self._process, None
        _RUNNING.discard(self)
        if process is None:
            return
        stop_process(process)

    def restart(self, jwks: Mapping[str, Any] | None = None) -> None:
        """Stop, then start on the same port, optionally with a new private JWK set."""
        self.stop()
        if jwks is not None:
            self.jwks = dict(jwks)
        self.start()

    def __enter__(self) -> OidcProvider:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stderr_text(self) -> str:
        """Everything the provider processes on this port wrote to stderr so far."""
        try:
            return self._stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _config(self) -> JSONDict:
        return {
            "port": self.port,
            "issuer": self.issuer,
            "jwks": self.jwks,
            "resources": self.resources,
            "defaultResource": self.default_resource,
            "accounts": self.accounts,
            "clients": self.clients,
            "exitOnStdinEOF": True,
        }

    def _wait_ready(self, process: subprocess.Popen[bytes]) -> None:
        stderr_before = len(self.stderr_text())
        expected = f"ready {self.issuer}"
        problem = wait_for_line(process, expected, self.startup_timeout)
        if problem is None:
            return
        stderr = self.stderr_text()[stderr_before:].strip() or "(nothing)"
        raise OidcProviderError(f"OIDC provider on port {self.port} {problem}; stderr:\n{stderr}")

    # -- clients

    async def client_credentials(
        self,
        client_id: str,
        client_secret: str,
        scope: str | None = None,
        resource: str | None = None,
        *,
        auth_method: str = "client_secret_basic",
    ) -> str:
        """An access token from the client-credentials grant.

        Requested scopes that the resource (or the client) does not have are dropped silently
        by oidc-provider, not refused. ``auth_method`` is ``client_secret_basic`` or
        ``client_secret_post``, matching the client's ``token_endpoint_auth_method``.
        """
        data = {"grant_type": "client_credentials"}
        if scope is not None:
            data["scope"] = scope
        if resource is not None:
            data["resource"] = resource
        auth: httpx.Auth = httpx.Auth()  # no authentication
        if auth_method == "client_secret_post":
            data.update(client_id=client_id, client_secret=client_secret)
        elif auth_method == "client_secret_basic":
            auth = httpx.BasicAuth(client_id, client_secret)
        else:
            raise ValueError(f"unsupported auth_method {auth_method!r}")
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.post(self.token_endpoint, data=data, auth=auth)
        return str(_token_response(response, "client_credentials")["access_token"])

    async def authorization_code(
        self,
        client_id: str,
        login: str,
        scope: str = "openid email",
        resource: str | None = None,
        redirect_uri: str = "http://127.0.0.1:9/callback",
        *,
        password: str = "any password",
        client_secret: str | None = None,
    ) -> JSONDict:
        """The token response (access_token, id_token, …) of a full authorization-code + PKCE
        (S256) flow, driven like a browser through the dev login and consent pages.

        The redirect to ``redirect_uri`` is read, never fetched. ``resource`` is sent both to
        ``/auth`` and ``/token`` when given; otherwise the provider's default resource applies.
        Only the resource's scopes named in ``scope`` end up in the access token's ``scope``
        (so ``scope="openid email"`` gives a hub token without a ``scope`` claim; add e.g.
        ``hub:read``). ``client_secret`` is for confidential clients (HTTP basic at /token).
        """
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        state = secrets.token_urlsafe(16)
        params = {
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
        }
        if resource is not None:
            params["resource"] = resource

        async with httpx.AsyncClient(timeout=10, follow_redirects=False) as browser:
            response = await browser.get(f"{self.issuer}/auth", params=params)
            callback = await self._browse(browser, response, redirect_uri, login, password)

        query = parse_qs(urlsplit(callback).query)
        if "error" in query:
            raise OidcProviderError(
                f"authorization failed: {query['error'][0]}: "
                f"{query.get('error_description', [''])[0]}"
            )
        if query.get("state") != [state]:
            raise OidcProviderError(f"state mismatch in callback {callback}")
        if query.get("iss") not in (None, [self.issuer]):
            raise OidcProviderError(f"unexpected iss in callback {callback}")

        data = {
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        if resource is not None:
            data["resource"] = resource
        auth: httpx.Auth = httpx.Auth()  # no authentication
        if client_secret is None:
            data["client_id"] = client_id
        else:
            auth = httpx.BasicAuth(client_id, client_secret)
        async with httpx.AsyncClient(timeout=10) as http:
            token = await http.post(self.token_endpoint, data=data, auth=auth)
        return _token_response(token, "authorization_code")

    async def _browse(
        self,
        browser: httpx.AsyncClient,
        response: httpx.Response,
        redirect_uri: str,
        login: str,
        password: str,
    ) -> str:
        """Follow redirects and submit the dev login/consent forms until the provider redirects
        to ``redirect_uri``; return that URL."""
        logins = 0
        for _ in range(20):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if location.split("?", 1)[0] == redirect_uri:
                    return location
                if not location.startswith(self.issuer + "/"):
                    raise OidcProviderError(f"unexpected redirect to {location}")
                response = await browser.get(location)
                continue
            page = response.text
            if response.status_code != 200:
                raise OidcProviderError(
                    f"{response.request.url} answered {response.status_code}: {_page_text(page)}"
                )
            action = re.search(r'<form[^>]*\baction="([^"]+)"', page)
            prompt = re.search(r'name="prompt" value="(\w+)"', page)
            if action is None or prompt is None:
                raise OidcProviderError(
                    f"no login/consent form at {response.request.url}: {_page_text(page)}"
                )
            url = urljoin(str(response.url), html.unescape(action.group(1)))
            if prompt.group(1) == "login":
                logins += 1
                if logins > 1:
                    # devInteractions accept any login; the provider's findAccount then finds
                    # no such account and asks to log in again.
                    raise OidcProviderError(f"login {login!r} refused (unknown account?)")
                form = {"prompt": "login", "login": login, "password": password}
            else:
                form = {"prompt": prompt.group(1)}
            response = await browser.post(url, data=form)
        raise OidcProviderError("authorization flow did not reach the redirect_uri")


def _page_text(page: str) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", page, flags=re.S)
    return " ".join(html.unescape(text).split())[:500]


def _token_response(response: httpx.Response, grant: str) -> JSONDict:
    if response.status_code != 200:
        raise OidcProviderError(
            f"{grant} token request failed: {response.status_code} {response.text}"
        )
    body: JSONDict = response.json()
    return body


@atexit.register
def _stop_all() -> None:
    for provider in list(_RUNNING):
        provider.stop()
