"""The read operations of the differential test (``tests/test_compiled_reads.py``), by source:
the GraphQL examples of README.md and docs/, the queries of the suite's own tests, queries
generated from the schema, and cases written for what the compiled read path must get right.

Everything here is built without a database: values that name rows (a site's global ID, its
version…) are ``Sample`` placeholders, which the test replaces with real rows of the demo data.
"""

from __future__ import annotations

import ast
import enum
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    TypeNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    validate,
    visit,
)
from hypothesis import HealthCheck, Phase, given, settings
from strawberry.relay import to_base64

from resolvers.pagination import encode_cursor
from tests.doc_examples import ROOT, all_blocks

# The callers every operation of the hand-written cases and of the documentation's examples
# runs as (a persona's e-mail local part, a partner application's client id, or anonymous):
# one of each kind of reach — nation, département, commune, none, an application.
PERSONAS = (
    "national_admin",
    "local_admin",
    "correspondent",
    "intervener",
    "operator",
    "external_observer",
    "anonymous",
    "demo-association-app",
)
# The suite's queries run as three of them each, the generated ones as one, in turn: every
# persona meets every kind of query without running everything eight times.
PER_SUITE_QUERY = 3

# Root fields graphql-core runs in both apps: the compiled path does not plan them.
NOT_PLANNED = frozenset({"__schema", "__type", "_service", "_entities"})

# This module and the test that runs it are not part of the suite's corpus: their cases are.
OWN_FILES = frozenset({"corpus.py", "test_compiled_reads.py"})


class Sample(enum.Enum):
    """A value of the demo data, looked up by the test: a global ID or a version."""

    SITE = "an open site of the Haute-Garonne"
    SITE_VERSION = "that site's version"
    FAR_SITE = "an open site of the Seine-Saint-Denis"
    ACTION = "an action of the Haute-Garonne"
    FAR_ACTION = "an action of the Seine-Saint-Denis"
    ORGANIZATION = "the operator's association"
    USER = "the operator"
    COMMENT = "a comment on the site"
    REPRESENTATIONS = "federation representations of the site"


@dataclass(frozen=True)
class Operation:
    source: str  # docs, suite, fuzz or cases
    where: str  # the file and line, the example's number or the case's name
    query: str
    personas: tuple[str, ...]
    variables: Mapping[str, Any] = field(default_factory=dict)
    operation_name: str | None = None

    @property
    def planned(self) -> bool:
        """Whether the compiled path is meant to run it: none of its root fields is left to
        graphql-core (those are fields of ``Query`` only, wherever a fragment puts them)."""
        names = _FieldNames()
        visit(parse(self.query), names)
        return not names.found & NOT_PLANNED


@dataclass
class Corpus:
    operations: list[Operation] = field(default_factory=list)
    # Why documents were left out, with how many.
    skipped: Counter[str] = field(default_factory=Counter)


class _FieldNames(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def enter_field(self, node: FieldNode, *_: object) -> None:
        self.found.add(node.name.value)


def _query_operations(document: DocumentNode) -> list[OperationDefinitionNode] | None:
    """The document's operations if all are queries; None if one is not."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if any(o.operation is not OperationType.QUERY for o in operations):
        return None
    return operations


def _in_turn(index: int, count: int) -> tuple[str, ...]:
    return tuple(PERSONAS[(index * count + k) % len(PERSONAS)] for k in range(count))


# -- 1. the documentation ---------------------------------------------------------------------

# What a marker's ``variables: site`` stands for (tests/test_docs_examples.py gives the same).
_DOC_VARIABLES = {"site": {"id": Sample.SITE, "version": Sample.SITE_VERSION}}


def doc_operations(corpus: Corpus) -> None:
    """Every runnable GraphQL query of README.md and docs/, as every persona (and as the
    personas its markers name)."""
    for block in all_blocks():
        if block.language != "graphql" or block.not_run is not None:
            continue
        if _query_operations(parse(block.code)) is None:
            corpus.skipped["docs: a mutation"] += 1
            continue
        named = [m["as"] for m in block.markers if "as" in m]
        personas = tuple(dict.fromkeys([*named, *PERSONAS]))
        variables: dict[str, Any] = {}
        for marker in block.markers:
            variables |= _DOC_VARIABLES.get(marker.get("variables", ""), {})
        corpus.operations.append(Operation("docs", block.where, block.code, personas, variables))


# -- 2. the suite's own queries ---------------------------------------------------------------


def suite_operations(corpus: Corpus, schema: GraphQLSchema) -> None:
    """The string literals of tests/*.py that are valid query documents, with their variables
    filled with values of the demo data; each one once per operation it holds."""
    seen: set[str] = set()
    for path in sorted((ROOT / "tests").glob("*.py")):
        if path.name in OWN_FILES:
            continue
        for line, text in _literals(path):
            if text in seen:
                continue
            seen.add(text)
            try:
                document = parse(text)
            except GraphQLError:
                continue  # prose, SDL, JSON, or a fragment of a query built by the test
            operations = _query_operations(document)
            if not operations:
                corpus.skipped[
                    "suite: a mutation" if operations is None else "suite: no operation"
                ] += 1
                continue
            if validate(schema, document):
                corpus.skipped["suite: invalid on purpose"] += 1
                continue
            for operation in operations:
                variables = fill(operation)
                if variables is None:
                    corpus.skipped["suite: variables not fillable"] += 1
                    continue
                name = operation.name.value if operation.name else None
                personas = _in_turn(len(corpus.operations), PER_SUITE_QUERY)
                where = f"{path.name}:{line}" + (f"#{name}" if name else "")
                corpus.operations.append(Operation("suite", where, text, personas, variables, name))


def _literals(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "{" in node.value:
            yield node.lineno, node.value


class _Uses(Visitor):
    """For each variable, the names of the fields whose arguments use it."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, list[str]] = {}

    def enter_variable(
        self, node: VariableNode, key: Any, parent: Any, path: Any, ancestors: Any
    ) -> None:
        if isinstance(parent, VariableDefinitionNode):
            return
        here = next((a.name.value for a in reversed(ancestors) if isinstance(a, FieldNode)), "")
        self.fields.setdefault(node.name.value, []).append(here)


# A global ID's type, from the name of its variable or of the field it is passed to.
_ID_KINDS = (
    ("comment", Sample.COMMENT),
    ("action", Sample.ACTION),
    ("org", Sample.ORGANIZATION),
    ("user", Sample.USER),
    ("site", Sample.SITE),
    ("node", Sample.SITE),
)
_DATES = {"since": "2025-01-01", "until": "2026-11-01", "day": "2025-06-01", "asof": "2025-06-01"}
_STRINGS = {"code": "31555", "q": "camp", "s": "camp", "search": "camp"}


def fill(operation: OperationDefinitionNode) -> dict[str, Any] | None:
    """Values for the operation's variables, by type and name; None when a required one has
    no sensible value. Optional ones without a rule are left out (their default applies)."""
    uses = _Uses()
    visit(operation, uses)
    variables: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        value = _value(name, definition.type, uses.fields.get(name, []))
        if value is not None:
            variables[name] = value
        elif isinstance(definition.type, NonNullTypeNode) and definition.default_value is None:
            return None
    return variables


def _value(name: str, type_node: TypeNode, used_in: list[str]) -> Any:
    if isinstance(type_node, NonNullTypeNode):
        return _value(name, type_node.type, used_in)
    if isinstance(type_node, ListTypeNode):
        inner = type_node.type
        named = inner.type if isinstance(inner, NonNullTypeNode) else inner
        if isinstance(named, NamedTypeNode) and named.name.value == "_Any":
            return Sample.REPRESENTATIONS
        return None
    assert isinstance(type_node, NamedTypeNode)
    kind = type_node.name.value
    lowered = name.lower()
    if kind == "ID":
        for hint in (lowered, *(used.lower() for used in used_in)):
            for part, sample in _ID_KINDS:
                if part in hint:
                    return sample
        return None
    if kind == "Int":
        return 3 if lowered in ("first", "n") else None
    if kind == "Date":
        return _DATES.get(lowered)
    if kind == "String":
        return _STRINGS.get(lowered)
    if kind == "LocationLevel":
        return "COMMUNE"
    return None


# -- 3. generated from the schema -------------------------------------------------------------


def fuzz_operations(corpus: Corpus, count: int) -> None:
    """``count`` read-only queries generated as tests/test_fuzz.py generates them (its
    strategies, the same ID values), derandomized: the same queries on every run."""
    # Imported when needed: the module registers its ID strategy with schemathesis.
    from tests.test_fuzz import READ_ONLY

    bodies: list[str] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=READ_ONLY)
    def generate(case: Any) -> None:
        if case.body not in bodies:
            bodies.append(case.body)

    generate()
    for index, body in enumerate(bodies):
        where = f"generated #{index}"
        corpus.operations.append(Operation("fuzz", where, body, _in_turn(index, 1)))


# -- 4. written for the compiled path ---------------------------------------------------------

_SITE_SHEET = """
query Sheet($site: ID!) {
  site(id: $site) {
    __typename id version name status fieldType outOfDate
    address hasLegalProcedure
    location { latitude longitude address accessDetails }
    locationPrecision
    commune { __typename code name epci { code name } departement { code region { code } } }
    population { total households minors origins minorsByAge { __typename } }
    livingConditions { water { status } electricity { status } sanitation { status toiletTypes } }
    legalProcedures { ownerComplaint justiceProcedure policeAssistance }
    ownership { ownerType parcels { ownerName } }
    lifecycle { status closedAt solutions { solution people } }
    actors { id themes organization { name } user { email role } }
    actions { name topics finances { year plannedAmount } operators { email } }
    createdBy { email } updatedBy { role }
  }
}
"""

_FRAGMENTS = """
query Fragments($site: ID!) {
  site(id: $site) { ...SiteBits commune { ...Place } departement { ...Place } }
  sites(first: 3, filter: {statuses: [OPEN]}) { nodes { ...SiteBits } }
}
fragment SiteBits on Site {
  id name
  ... on Site { status population { ...Counts } }
  ... on Node { __typename }
  commune { code }
  commune { name departement { code } }
}
fragment Counts on SitePopulation { total minors }
fragment Place on Territory {
  __typename code level
  ... on Commune { epci { code } mainCommune { code } }
  ... on Departement { region { name } }
  ... on Node { id }
}
"""

_DIRECTIVES = """
query Directives($site: ID!, $legal: Boolean!, $noJournal: Boolean!, $first: Int) {
  site(id: $site) {
    name
    legalProcedures @include(if: $legal) { justiceProcedure }
    journal(first: $first) @skip(if: $noJournal) { totalCount nodes { body } }
    ...History @include(if: $legal)
    ... @skip(if: $legal) { commune { name } }
  }
  me @skip(if: true) { role }
  territory(level: NATION) @include(if: false) { name }
}
fragment History on Site { history(first: 2) { nodes { operation } } }
"""

_ALIASES = """
query Aliases($site: ID!) {
  __typename kind: __typename
  first: sites(first: 2) { total: totalCount list: nodes { key: id label: name } }
  open: sites(first: 2, filter: {statuses: [OPEN]}, orderBy: {field: POPULATION, direction: DESC}) {
    nodes { name people: population { total } }
  }
  again: site(id: $site) { one: journal(first: 1) { nodes { body } } two: journal(first: 2) {
    totalCount nodes { body } } name alsoName: name }
  sites(first: 1) { totalCount }
  sites(first: 1) { nodes { id } }
  site(id: $site) { journal(first: 2) { totalCount } journal(first: 2) { nodes { body } } }
}
"""

_NODES = """
query Nodes($site: ID!, $action: ID!, $org: ID!, $user: ID!, $comment: ID!, $far: ID!) {
  site: node(id: $site) { __typename id ... on Site { name status } }
  far: node(id: $far) { __typename id ... on Site { name address } }
  action: node(id: $action) { __typename ... on Action { name finances { year } } }
  org: node(id: $org) { __typename ... on Organization { name members(first: 3) { nodes {
    email role } } } }
  user: node(id: $user) { __typename ... on User { email role organization { name } } }
  comment: node(id: $comment) { __typename ... on Comment { body targeted author { email } } }
  commune: node(id: "Q29tbXVuZTozMTU1NQ==") { __typename ... on Territory { code name } }
  nation: node(id: "TmF0aW9uOkZS") { ... on Nation { code publicStats { openSites } } }
}
"""

_TERRITORIES = """
{
  nation: territory(level: NATION) { __typename code ... on Nation { zoneStats { __typename } } }
  region: territory(level: REGION, code: "76") {
    name children(first: 3) { totalCount nodes { __typename code ... on Departement {
      region { code } } } }
  }
  dep: territory(level: DEPARTEMENT, code: "31") {
    name publicStats { openSites people } stats { openSites sitesWithLegalProcedure }
    childrenStats { territory { __typename code } stats { openSites sitesWithLegalProcedure } }
    actions(first: 2) { totalCount nodes { name } }
  }
  epci: territory(level: EPCI, code: "243100518") { __typename name ... on Epci { kind
    departements { code } } publicStats { openSites } }
  commune: territory(level: COMMUNE, code: "31555") { name ... on Commune { epci { name }
    arrondissements { code } population } sites(first: 2) { nodes { name } } }
}
"""

_NESTED_LISTS = """
{
  sites(first: 4, filter: {locations: [{level: DEPARTEMENT, code: "31"}]}) {
    edges { cursor node { name
      actions { name topics indicators { year people } managers { email organization {
        interventionAreas { level code } } } }
      actors { themes organization { name members(first: 2) { nodes { role email } } } }
      reinstalledFrom { name }
      journal(first: 2) { edges { cursor node { body targetUsers { email }
        targetOrganizations { name } } } }
    } }
  }
}
"""

_DENIED = """
{
  me { role }
  sites(first: 4, filter: {statuses: [OPEN]}) {
    nodes {
      name address
      location { latitude longitude }
      legalProcedures { justiceProcedure }
      ownership { ownerType }
      actors { user { email lastName } organization { members(first: 1) { nodes { email } } } }
      actions { finances { year } operators { phone } }
      departement { stats { openSites sitesWithLegalProcedure } }
    }
  }
  commune: territory(level: COMMUNE, code: "31555") { stats { openSites } }
}
"""

_NOT_FOUND = """
query NotFound($action: ID!) {
  missing: site(id: "U2l0ZTo5ODc2NTQzMjE=") { name }
  garbage: node(id: "not a global id") { id }
  wrongType: site(id: $action) { name }
  territory(level: REGION, code: "00") { name }
  organization(id: "T3JnYW5pemF0aW9uOjk5OTk5OQ==") { name }
  sites(first: 1) { totalCount }
}
"""

_CURSORS = f"""
query Cursors($site: ID!) {{
  page: sites(first: 2, after: "{encode_cursor(1)}") {{
    pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} nodes {{ name }}
  }}
  bad: sites(first: 2, after: "not a cursor") {{ totalCount }}
  negative: sites(first: 2, after: "{to_base64("offset", -3)}") {{ totalCount }}
  site(id: $site) {{
    journal(first: 2, after: "{encode_cursor(0)}") {{ totalCount pageInfo {{ endCursor }}
      nodes {{ body }} }}
    history(after: "bad") {{ totalCount }}
  }}
}}
"""

# A non-null field's error nulls its nearest nullable parent: the site (journal is non-null),
# then every site of the list up to the root (nodes, the connection and `sites` are non-null).
_NULL_PROPAGATION = """
query Nulls($site: ID!) {
  site(id: $site) { name journal(after: "bad") { totalCount } }
  other: site(id: $site) { name commune { name } }
  territory(level: DEPARTEMENT, code: "31") { name sites(first: 2, after: "bad") {
    totalCount } }
}
"""
_NULL_DATA = """
{
  territory(level: DEPARTEMENT, code: "31") { name }
  sites(first: 2) { totalCount nodes { name history(first: 1, after: "bad") { totalCount } } }
}
"""
_NULL_ME = """
{
  territory(level: NATION) { name }
  me { role can(capability: SITE_READ, location: {level: DEPARTEMENT, code: "3131"}) }
}
"""

# Gated, audited reads beside an error that nulls their object (or the whole answer): what
# either executor has already read by then is audited all the same, and must be the same.
_NULL_AUDITED = """
query NullAudited($site: ID!) {
  site(id: $site) { legalProcedures { justiceProcedure } ownership { ownerType }
    actors { user { email } } actions { finances { year } } journal(after: "bad") { totalCount } }
  same: site(id: $site) { legalProcedures { policeAssistance } }
}
"""
_NULL_AUDITED_ROOT = """
{
  sites(first: 3, filter: {statuses: [OPEN]}) { nodes { legalProcedures { justiceProcedure }
    actors { user { email } } history(first: 1, after: "bad") { totalCount } } }
}
"""

# The error comes from a level below the object it nulls (a site, through its non-null
# commune), at the depth where the gated reads of its actions and actors are under way; with
# several sites, each one's error would null the whole response: one error is kept.
_NULL_FROM_BELOW = """
query NullFromBelow($first: Int!) {
  sites(first: $first, filter: {statuses: [OPEN]}) { nodes { name legalProcedures { bailiff }
    actions { finances { year } } actors { user { email } }
    commune { sites(first: 1, after: "bad") { totalCount } } } }
}
"""
_NULL_SITE_FROM_BELOW = """
query NullSite($site: ID!) {
  site(id: $site) { name legalProcedures { bailiff } actions { finances { year } }
    actors { user { email } } commune { sites(first: 1, after: "bad") { totalCount } } }
  again: site(id: $site) { name }
}
"""

# Variables inside input objects and lists, a default value, and an operation chosen by name.
_VARIABLES = """
query Other { me { role } }
query Variables($code: String!, $statuses: [SiteStatus!], $first: Int = 2, $desc: Direction!) {
  sites(first: $first, filter: {statuses: $statuses, locations: [{level: DEPARTEMENT,
      code: $code}]}, orderBy: {field: POPULATION, direction: $desc}) {
    totalCount nodes { name population { total } journal(first: $first) { totalCount } }
  }
  territory(level: DEPARTEMENT, code: $code) { sites(statuses: $statuses, first: $first) {
    nodes { name } } }
}
"""

_AS_OF = """
query AsOf($site: ID!, $action: ID!) {
  then: site(id: $site, asOf: "2025-06-01") {
    name version status population { total minors } legalProcedures { justiceProcedure }
    actors { themes organization { name } } actions { name topics managers { email } }
    journal(first: 3) { totalCount nodes { body createdAt } }
    history(first: 3) { totalCount nodes { operation changedAt changes { field newValue } } }
  }
  before: site(id: $site, asOf: "2001-01-01") { name }
  now: site(id: $site) { version }
  action(id: $action, asOf: "2025-06-01") { name topics managers { email } operators { role }
    departement { code } sites { name } finances { year } journal(first: 2) { totalCount }
    history { totalCount } }
}
"""

_JOURNALS = """
query Journals($site: ID!, $action: ID!, $farAction: ID!) {
  site(id: $site) {
    journal(first: 5) { totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { id body tags targeted createdAt updatedAt author { email role }
        site { name } action { name } } } }
    history(first: 4) { totalCount nodes { operation changedAt author { email }
      changes { field oldValue newValue } } }
  }
  action(id: $action) { journal(first: 3) { nodes { body } } history(first: 3) { nodes {
    operation changes { field } } } }
  far: action(id: $farAction) { name journal { totalCount } }
}
"""

_STATS = """
{
  nation: territory(level: NATION) { stats { openSites people shareWithWater }
    ... on Nation { zoneStats { __typename } } }
  dep: territory(level: DEPARTEMENT, code: "31") {
    stats { openSites people minors minorsInSchool households sitesWithoutIntervention
      sitesWithActions sitesOutOfDate shareWithWater shareWithElectricity shareWithToilets
      sitesWithLegalProcedure }
    closures(since: "2024-01-01", until: "2026-11-01") { closedSites resorbedSites
      byStatus { status sites } solutions { solution people households } }
    evolution(since: "2025-01-01", until: "2026-11-01") { openSites { before after }
      people { before after } }
    actionStats { topic year actions people plannedAmount spentAmount }
  }
  gironde: territory(level: DEPARTEMENT, code: "33") { stats { openSites }
    publicStats { openSites } }
  commune: territory(level: COMMUNE, code: "31555") { stats { openSites people }
    childrenStats { stats { openSites } } }
}
"""

_CALLER = """
{
  me {
    role mayWrite scopes options interventionAreas { level code }
    user { email organization { name } }
    organization { name category interventionAreas { level code } }
    application { clientId name organization { name } }
    permissions { capability level }
    here: can(capability: SITE_UPDATE, location: {level: COMMUNE, code: "31555"})
    there: can(capability: SITE_READ, location: {level: DEPARTEMENT, code: "93"})
  }
  organizations(first: 3) { totalCount nodes { name abbreviation members(first: 2) {
    totalCount nodes { lastName } } siteActors(first: 1) { totalCount } } }
  auditLog(first: 2) { totalCount nodes { kind operation subjectType user { email } } }
  actions(first: 3, filter: {topics: [HEALTH]}) { totalCount nodes { name departement { code } } }
}
"""

_SITE_VARIABLES = {"site": Sample.SITE}
_ALL_IDS = {
    "site": Sample.SITE,
    "action": Sample.ACTION,
    "org": Sample.ORGANIZATION,
    "user": Sample.USER,
    "comment": Sample.COMMENT,
    "far": Sample.FAR_SITE,
}
_CASES: tuple[tuple[str, str, Mapping[str, Any]], ...] = (
    ("site sheet", _SITE_SHEET, _SITE_VARIABLES),
    ("far site sheet", _SITE_SHEET, {"site": Sample.FAR_SITE}),
    ("fragments", _FRAGMENTS, _SITE_VARIABLES),
    # The same document with other directive values: another plan (the plans' cache key).
    ("directives on", _DIRECTIVES, {**_SITE_VARIABLES, "legal": True, "noJournal": False}),
    ("directives off", _DIRECTIVES, {**_SITE_VARIABLES, "legal": False, "noJournal": True}),
    ("directives first", _DIRECTIVES, {**_SITE_VARIABLES, "legal": True, "noJournal": False,
                                       "first": 1}),
    ("aliases", _ALIASES, _SITE_VARIABLES),
    ("nodes", _NODES, _ALL_IDS),
    ("territories", _TERRITORIES, {}),
    ("nested lists", _NESTED_LISTS, {}),
    ("denied", _DENIED, {}),
    ("not found", _NOT_FOUND, {"action": Sample.ACTION}),
    ("cursors", _CURSORS, _SITE_VARIABLES),
    ("null propagation", _NULL_PROPAGATION, _SITE_VARIABLES),
    ("null data", _NULL_DATA, {}),
    ("null me", _NULL_ME, {}),
    ("null audited", _NULL_AUDITED, _SITE_VARIABLES),
    ("null audited root", _NULL_AUDITED_ROOT, {}),
    ("null from below", _NULL_FROM_BELOW, {"first": 1}),
    ("null from below, several sites", _NULL_FROM_BELOW, {"first": 3}),
    ("null site from below", _NULL_SITE_FROM_BELOW, _SITE_VARIABLES),
    ("variables", _VARIABLES, {"code": "31", "statuses": ["OPEN", "CLOSED_OTHER"],
                               "desc": "DESC"}),
    ("as of", _AS_OF, {"site": Sample.SITE, "action": Sample.ACTION}),
    ("journals", _JOURNALS, {"site": Sample.SITE, "action": Sample.ACTION,
                             "farAction": Sample.FAR_ACTION}),
    ("statistics", _STATS, {}),
    ("caller", _CALLER, {}),
    ("introspection", "{ __schema { queryType { name } } __typename }", {}),
)  # fmt: skip


def case_operations(corpus: Corpus) -> None:
    for name, query, variables in _CASES:
        chosen = "Variables" if query is _VARIABLES else None
        corpus.operations.append(Operation("cases", name, query, PERSONAS, variables, chosen))


def build(schema: GraphQLSchema, generated: int) -> Corpus:
    corpus = Corpus()
    doc_operations(corpus)
    suite_operations(corpus, schema)
    fuzz_operations(corpus, generated)
    case_operations(corpus)
    return corpus
