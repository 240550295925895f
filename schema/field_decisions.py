"""The schema held to the policy's field decisions (``permissions.fields``): every field is
public, gated by ``@requires`` or behind a gated field, or the schema does not build."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLNonNull, GraphQLObjectType, get_named_type
from strawberry import Schema
from strawberry.types.base import StrawberryObjectDefinition

from permissions.capabilities import Capability
from permissions.fields import BEHIND_GATE, PUBLIC, STRUCTURAL, STRUCTURAL_SUFFIXES
from schema.gates import Requires


class UndecidedFields(Exception):
    """The schema has fields without a policy decision, or the decisions name stale fields."""


def gate_of(schema: Schema, type_name: str, field_name: str) -> Capability | None:
    """The capability a field's ``@requires`` names, if it has one."""
    definition = schema.get_type_by_name(type_name)
    if not isinstance(definition, StrawberryObjectDefinition):
        return None
    for field in definition.fields:
        if schema.config.name_converter.get_graphql_name(field) == field_name:
            for directive in field.directives:
                if isinstance(directive, Requires):
                    return Capability(directive.capability)
    return None


def _object_types(schema: Schema) -> Iterator[GraphQLObjectType]:
    for name, graphql_type in schema._schema.type_map.items():
        if not name.startswith("__") and isinstance(graphql_type, GraphQLObjectType):
            yield graphql_type


def check_decisions(schema: Schema) -> None:
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for graphql_type in _object_types(schema):
        name = graphql_type.name
        structural = name in STRUCTURAL or name.endswith(STRUCTURAL_SUFFIXES)
        for field_name, field in graphql_type.fields.items():
            seen.add((name, field_name))
            gate = gate_of(schema, name, field_name)
            public = field_name in PUBLIC.get(name, ())
            if gate is not None and public:
                problems.append(f"{name}.{field_name} is both public and @requires({gate})")
            if gate is None and not (public or structural or name in BEHIND_GATE):
                problems.append(f"{name}.{field_name} has no decision: make it PUBLIC or gate it")
            if gate is not None and isinstance(field.type, GraphQLNonNull):
                problems.append(f"{name}.{field_name} is gated, so it must be nullable")
            target = get_named_type(field.type).name
            behind = BEHIND_GATE.get(target)
            if behind is not None and name not in BEHIND_GATE and gate is not behind:
                problems.append(f"{name}.{field_name} reaches {target} without @requires({behind})")
    for type_name, fields in PUBLIC.items():
        problems += [
            f"PUBLIC names {type_name}.{field}, which the schema does not have"
            for field in sorted(fields)
            if (type_name, field) not in seen
        ]
    if problems:
        raise UndecidedFields("Fields without a permission decision:\n  " + "\n  ".join(problems))
