"""The policy's contract in the schema: default deny at build time, the generated document."""

from __future__ import annotations

from pathlib import Path

import pytest
import strawberry

from hub.server.cli import main
from permissions.capabilities import Capability
from permissions.fields import PUBLIC
from schema.build import build_schema, print_sdl
from schema.field_decisions import UndecidedFields, check_decisions
from schema.gates import gated
from schema.permissions_doc import render

ROOT = Path(__file__).resolve().parent.parent


def test_every_field_of_the_schema_has_a_decision() -> None:
    check_decisions(build_schema())


def test_a_field_without_a_decision_fails_the_build() -> None:
    @strawberry.type
    class Query:
        me: str = "public"  # listed in PUBLIC["Query"]
        secret: str = "nobody decided"

    with pytest.raises(UndecidedFields, match=r"Query\.secret has no decision"):
        check_decisions(strawberry.Schema(query=Query))


def test_a_gated_field_must_be_nullable_and_not_also_public() -> None:
    @strawberry.type
    class Query:
        me: str | None = gated(Capability.USER_READ)
        node: str = gated(Capability.SITE_READ)

    with pytest.raises(UndecidedFields) as refused:
        check_decisions(strawberry.Schema(query=Query))
    assert "Query.me is both public and @requires(user.read)" in str(refused.value)
    assert "Query.node is gated, so it must be nullable" in str(refused.value)


@strawberry.type
class LegalProcedures:
    court: str | None


@strawberry.type(name="Query")
class LeakyQuery:
    me: LegalProcedures | None = None  # a public way in to gated data: refused


def test_types_behind_a_gate_are_reached_only_through_it() -> None:
    with pytest.raises(UndecidedFields, match="reaches LegalProcedures without @requires"):
        check_decisions(strawberry.Schema(query=LeakyQuery))


def test_stale_public_entries_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(PUBLIC, "Site", PUBLIC["Site"] | {"formerField"})
    with pytest.raises(UndecidedFields, match=r"PUBLIC names Site\.formerField"):
        check_decisions(build_schema())


def test_the_sdl_prints_the_requires_directive() -> None:
    sdl = print_sdl()
    assert "directive @requires(capability: String!) on FIELD_DEFINITION" in sdl
    assert 'legalProcedures: LegalProcedures @requires(capability: "site.legal.read")' in sdl


def test_the_permissions_document_is_current() -> None:
    current = (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert current == render(build_schema()), "stale: run `hub permissions-doc`"


def test_permissions_doc_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "permissions.md"
    stale.write_text("# old\n", encoding="utf-8")
    assert main(["permissions-doc", "--check", "--output", str(stale)]) == 1
    assert main(["permissions-doc", "--output", str(stale)]) == 0
    assert main(["permissions-doc", "--check", "--output", str(stale)]) == 0
    assert "| `site.read` (read) | N | N | N | N | D | D | D | D |" in stale.read_text()
