"""The fields a query selects below the field being resolved, read from the query itself.

strawberry's ``info.selected_fields`` converts the whole sub-selection into objects, with each
fragment expanded wherever it is spread: a document spreading fragments within fragments grows
exponentially under it (a few hundred bytes of query then cost gigabytes), though the query
limits let it through. Here a level is read once, each fragment once per level.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode
from strawberry.types import Info


def names_below(info: Info[Any, Any], *path: str) -> set[str]:
    """The names of the fields selected at ``path`` below the field being resolved."""
    raw = info._raw_info
    fragments = raw.fragments
    level = fields_in((node.selection_set for node in raw.field_nodes), fragments)
    for name in path:
        level = fields_in(
            (field.selection_set for field in level if field.name.value == name), fragments
        )
    return {field.name.value for field in level}


def fields_in(
    selection_sets: Iterable[SelectionSetNode | None], fragments: dict[str, Any]
) -> list[FieldNode]:
    """The fields of ``selection_sets``, through their fragments (each read once)."""
    found: list[FieldNode] = []
    seen: set[str] = set()
    pending = [selection_set for selection_set in selection_sets if selection_set is not None]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if name not in seen and fragment is not None:
                    seen.add(name)
                    pending.append(fragment.selection_set)
    return found
