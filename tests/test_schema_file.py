"""schema.graphql is generated from the code: a stale file fails the suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.server.cli import main
from schema.build import print_sdl

ROOT = Path(__file__).resolve().parent.parent


def test_schema_file_is_current() -> None:
    current = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert current == print_sdl(), "schema.graphql is stale: run `hub export-schema`"


def test_export_schema_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "schema.graphql"
    stale.write_text("type Query { stale: Int }\n", encoding="utf-8")
    assert main(["export-schema", "--check", "--output", str(stale)]) == 1
    assert main(["export-schema", "--output", str(stale)]) == 0
    assert main(["export-schema", "--check", "--output", str(stale)]) == 0


def test_enumerations_are_real_enums() -> None:
    sdl = print_sdl()
    for enum in ("enum Role", "enum SiteStatus", "enum TriState", "enum ActionTopic"):
        assert enum in sdl


@pytest.mark.parametrize("env", [{"HUB_ENV": "staging"}, {"HUB_MAX_PAGE_SIZE": "lots"}])
def test_bad_settings_are_refused_clearly(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["migrate"]) == 2
    assert "hub: HUB_" in capsys.readouterr().err
