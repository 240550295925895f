"""Types of this schema are views over database rows: resolvers return the rows themselves."""

from typing import Any

from strawberry.types import Info


def rows_of(*models: type) -> Any:
    """An ``is_type_of`` accepting the rows a type views (GraphQL asks it for interfaces)."""

    def is_type_of(cls: type, obj: Any, info: Info) -> bool:
        # The models first: the strawberry class's check goes through ABCMeta, slower.
        return isinstance(obj, (*models, cls))

    # Its answer depends on the object's class alone: the compiled path asks once per class.
    is_type_of.by_class = True  # type: ignore[attr-defined]
    return classmethod(is_type_of)
