"""The executor strawberry runs: the compiled read path for queries it can plan, graphql-core
for everything else, and errors in the order of the response in both cases."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

from graphql import ExecutionResult, GraphQLError, GraphQLObjectType
from graphql.execution.collect_fields import DeferUsage, GroupedFieldSet
from graphql.execution.executor import CollectedErrors
from graphql.pyutils import AwaitableOrValue, Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.execution.plan import Planner, Plans, SelectionPlan, Unplanned
from schema.execution.run import Run

log = logging.getLogger("hub.execution")

COMPILED = "compiled"
GRAPHQL_CORE = "graphql-core"


Position = tuple[str | int, ...] | None


class PlacedErrors(CollectedErrors):
    """graphql-core's field errors, each with the position it nulled in the response, all
    of them kept for ``in_response`` to choose from."""

    def __init__(self) -> None:
        super().__init__()
        self.placed: list[tuple[GraphQLError, Position]] = []

    def add(self, error: GraphQLError, path: Path | None) -> None:
        super().add(error, path)
        self.placed.append((error, tuple(path.as_list()) if path is not None else None))

    def in_response(self, data: Any) -> list[GraphQLError]:
        """The errors of the response, in its order: one per position an error nulled (the
        first in the response's order), none below a position another error nulled. Which
        errors reach graphql-core's list below a nulled object otherwise depends on when
        its resolvers happen to finish."""
        positions = {position for _, position in self.placed}
        kept: dict[Position, GraphQLError] = {}
        for error, position in sorted(self.placed, key=lambda placed: _rank(data, placed[0])):
            if position in kept or _below(position, positions):
                continue
            kept[position] = error
        return list(kept.values())


def _below(position: Position, positions: set[Position]) -> bool:
    """Whether another of ``positions`` (None: the whole response) holds ``position``."""
    if position is None:
        return False
    return None in positions or any(
        position[:length] in positions for length in range(1, len(position))
    )


def _rank(data: Any, error: GraphQLError) -> tuple[tuple[int, str], ...]:
    """Where the error's path stands in the response: fields in the order of the response,
    list items by index; below what the response no longer holds, by name."""
    if error.path is None:
        return ()
    ranks: list[tuple[int, str]] = [(1, "")]
    here = data
    for key in error.path:
        if isinstance(key, int):
            ranks.append((key, ""))
            here = here[key] if isinstance(here, list) and key < len(here) else None
        elif isinstance(here, dict) and key in here:
            ranks.append((list(here).index(key), ""))
            here = here[key]
        else:
            ranks.append((0, key))
            here = None
    return tuple(ranks)


class HubExecutor(StrawberryGraphQLCoreExecutionContext):
    """Queries run through their plan when ``compiled`` is on; the rest as graphql-core runs
    them. Which one ran, and why not the plan, is left on the request's context
    (``Context.execution``) for the access log and the metrics."""

    compiled: ClassVar[bool] = True
    plans: ClassVar[Plans]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.collected_errors = PlacedErrors()

    def execute_collected_root_fields(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: GroupedFieldSet,
        serially: bool,
        new_defer_usages: Sequence[DeferUsage],
    ) -> AwaitableOrValue[dict[str, Any]]:
        if self.compiled:
            plan = self._plan(root_type, grouped_field_set)
        else:
            plan = None
            self._note(GRAPHQL_CORE, "off")
        if plan is None:
            return super().execute_collected_root_fields(
                root_type, root_value, grouped_field_set, serially, new_defer_usages
            )
        self._note(COMPILED)
        return Run(self).execute(plan, root_value)  # type: ignore[return-value]

    def _plan(
        self, root_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> SelectionPlan | None:
        coerced = self.variable_values.coerced
        key = self.plans.key(self.operation, self.fragment_definitions, coerced)
        plan = self.plans.get(key) if key is not None else None
        if plan is not None:
            return plan
        planner = Planner(
            self.schema, self.fragments, self.variable_values, self.operation, self.hide_suggestions
        )
        try:
            plan = planner.root(root_type, grouped_field_set)
        except Unplanned as unplanned:
            self._note(GRAPHQL_CORE, unplanned.reason)
            log.debug("Not planned (%s); graphql-core runs it.", unplanned)
            return None
        if key is not None:
            self.plans.put(key, plan)
        return plan

    def _note(self, executor: str, reason: str | None = None) -> None:
        """``compiled``, or ``graphql-core: <reason>`` (``plan.REASONS``) on the context."""
        context = self.context_value
        if hasattr(context, "execution"):
            context.execution = executor if reason is None else f"{executor}: {reason}"

    def build_response(self, data: dict[str, Any] | None) -> ExecutionResult:
        response = super().build_response(data)
        assert isinstance(response, ExecutionResult)
        if response.errors:
            assert isinstance(self.collected_errors, PlacedErrors)
            response.errors = self.collected_errors.in_response(data)
        return response


def executor_class(compiled: bool) -> type[HubExecutor]:
    """An executor class of its own for one schema: its plans, and whether to use them."""
    return type("HubExecutor", (HubExecutor,), {"compiled": compiled, "plans": Plans()})
