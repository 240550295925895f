"""GraphiQL in demo mode runs a subscription: in a real headless Chromium, driven over the
DevTools protocol, against `hub serve`, with the token in GraphiQL's Headers tab; a change
made meanwhile shows in its result pane."""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import websockets
from strawberry.relay import to_base64

from hub.server.auth.dev_issuer import DevIssuer
from hub.settings import Settings
from tests.processes import start_hub, stop_process
from tests.support import bearer, open_site

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs chromium (apt-get install chromium)"
)
SUBSCRIPTION = (
    "subscription Follow($id: ID!) { siteChanged(id: $id) { activity { kind site { name } } } }"
)
RENAME = """mutation ($id: ID!, $version: Int!, $input: UpdateSiteInput!) {
  updateSite(id: $id, version: $version, input: $input) { errors { code } } }"""


class Page:
    """One tab of a headless Chromium, over the DevTools protocol."""

    def __init__(self, socket: websockets.ClientConnection, session: str) -> None:
        self.socket = socket
        self.session = session
        self.ids = itertools.count(1)
        self.frames: list[str] = []

    async def send(
        self, method: str, params: dict[str, Any] | None = None, session: bool = True
    ) -> Any:
        key = next(self.ids)
        message = {"id": key, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        await self.socket.send(json.dumps(message))
        while True:
            answer = json.loads(await asyncio.wait_for(self.socket.recv(), 30))
            if answer.get("method", "").startswith("Network.webSocketFrame"):
                self.frames.append(answer["params"]["response"]["payloadData"])
            if answer.get("id") == key:
                assert "error" not in answer, answer
                return answer.get("result", {})

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}
        )
        return result["result"].get("value")

    async def until(self, expression: str, within: float = 30) -> Any:
        """The expression's value once it is truthy."""
        async with asyncio.timeout(within):
            while True:
                value = await self.evaluate(expression)
                if value:
                    return value
                await asyncio.sleep(0.2)


@pytest.fixture(scope="module")
def served(own_database: Settings) -> Iterator[str]:
    DevIssuer.load(own_database)  # writes the key file the process reads
    env = {"HUB_ENV": "demo", "HUB_DATABASE_URL": own_database.database_url,
           "HUB_DEV_ISSUER_KEY": str(own_database.dev_issuer_key)}  # fmt: skip
    process, base = start_hub(env)
    try:
        yield base
    finally:
        stop_process(process)


@pytest.fixture
async def browser(tmp_path: Path, served: str) -> AsyncIterator[Page]:
    assert CHROMIUM is not None
    profile = tmp_path / "profile"
    process = await asyncio.create_subprocess_exec(
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update",
        f"--user-data-dir={profile}", "--remote-debugging-port=0",
        # Every host but the hub's is unreachable.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "about:blank",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        # Chromium writes the port and path it listens on into this file of its profile.
        port, path = await _listening(profile / "DevToolsActivePort")
        async with websockets.connect(f"ws://127.0.0.1:{port}{path}", max_size=None) as socket:
            browser = Page(socket, "")
            target = await browser.send("Target.createTarget", {"url": "about:blank"}, False)
            attached = await browser.send(
                "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, False
            )
            yield Page(socket, attached["sessionId"])
    finally:
        process.terminate()
        await process.wait()


def _words(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


async def _listening(active: Path) -> list[str]:
    """The port and path in the file, once Chromium has written both."""
    async with asyncio.timeout(30):
        while True:
            written = await asyncio.to_thread(_words, active)
            if len(written) >= 2:
                return written[:2]
            await asyncio.sleep(0.1)


async def test_graphiql_runs_a_subscription(
    own_database: Settings, served: str, browser: Page
) -> None:
    site = await open_site("31")
    site_id = to_base64("Site", site.id)
    token, _ = await DevIssuer.load(own_database).token_for("operator@demo.bidonvilles.example")
    variables = json.dumps({"id": site_id})
    await browser.send(
        "Page.navigate",
        {"url": f"{served}/graphql?q={quote(SUBSCRIPTION)}&variables={quote(variables)}"},
    )
    await browser.until("!!document.querySelector('.graphiql-execute-button')")
    headers = json.dumps({"Authorization": f"Bearer {token}"})
    # The page opens with the Headers tab shown: its editor is the visible one of the tools.
    await browser.evaluate(
        "[...document.querySelectorAll('.graphiql-editor-tool .graphiql-editor')]"
        ".find(editor => !editor.classList.contains('hidden')).querySelector('.CodeMirror')"
        f".CodeMirror.setValue({json.dumps(headers)})"
    )
    # GraphiQL takes the Headers tab's text once its editor has reported the change.
    await asyncio.sleep(1)
    await browser.send("Network.enable")  # the WebSocket's frames, for a failure's message
    await browser.evaluate("document.querySelector('.graphiql-execute-button').click()")
    # The subscription is running once GraphiQL shows its stop button.
    await browser.until(
        "document.querySelector('.graphiql-execute-button').getAttribute('aria-label').includes('Stop')"
    )
    # The button shows once GraphiQL has sent the subscription; the server follows the site
    # once it has run the subscription's first step, a moment later (later still on a busy
    # machine): a change made before is not announced to it. So the site is renamed again
    # until the page shows a rename, each rename a change of its own.
    result = "document.querySelector('.result-window').innerText"
    shown = None
    async with httpx.AsyncClient(base_url=served, headers=bearer(token), timeout=30) as http:
        for attempt in range(1, 6):
            variables_ = {
                "id": site_id,
                "version": site.version + attempt - 1,
                "input": {"identity": {"name": f"Vu dans GraphiQL ({attempt})"}},
            }
            answer = (
                await http.post("/graphql", json={"query": RENAME, "variables": variables_})
            ).json()
            assert answer["data"]["updateSite"]["errors"] == [], answer
            try:
                shown = await browser.until(f"{result}.includes('Vu dans GraphiQL') && {result}", 6)
                break
            except TimeoutError:
                continue
    if shown is None:
        # What the page shows, and the WebSocket's frames, say why.
        raise AssertionError(f"{await browser.evaluate(result)}\n{browser.frames}")
    assert '"kind": "SITE_UPDATED"' in shown
