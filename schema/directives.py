"""Schema directives: ``@requires(capability: "…")`` marks the fields the policy gates.

The directive is printed in ``schema.graphql`` so that partners read the contract: such a
field is nullable, and resolves to null with a ``FORBIDDEN`` error for callers who do not
hold the capability on the object (``permissions/gates.py``).
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.schema_directive import Location

from permissions.capabilities import Capability
from permissions.gates import Fallback, Gate


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description=(
        "Readable only by callers holding this capability on the object's territory; "
        "others get null and an error with extensions.code FORBIDDEN."
    ),
)
class Requires:
    capability: str


def gated(
    capability: Capability,
    *,
    description: str | None = None,
    name: str | None = None,
    fallback: Fallback | None = None,
) -> Any:
    """A field (or resolver decorator) gated by ``capability``."""
    return strawberry.field(
        description=description,
        name=name,
        directives=[Requires(capability=capability.value)],
        extensions=[Gate(capability, fallback)],
    )
