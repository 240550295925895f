"""Types of this schema are views over database rows: resolvers return the rows themselves."""

from typing import Any

from strawberry.types import Info


def rows_of(*models: type) -> Any:
    """An ``is_type_of`` accepting the rows a type views (GraphQL asks it for interfaces)."""

    def is_type_of(cls: type, obj: Any, info: Info) -> bool:
        return isinstance(obj, (cls, *models))

    return classmethod(is_type_of)
