"""The executor strawberry runs: the compiled read path for queries it can plan, graphql-core
for everything else, and errors in the order of the response in both cases."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

from graphql import ExecutionResult, GraphQLError, GraphQLObjectType
from graphql.execution.collect_fields import DeferUsage, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.execution.plan import Planner, Plans, SelectionPlan, Unplanned
from schema.execution.run import Run

log = logging.getLogger("hub.execution")

COMPILED = "compiled"
GRAPHQL_CORE = "graphql-core"


class HubExecutor(StrawberryGraphQLCoreExecutionContext):
    """Queries run through their plan when ``compiled`` is on; the rest as graphql-core runs
    them. Which one ran, and why not the plan, is left on the request's context
    (``Context.execution``) for the access log and the metrics."""

    compiled: ClassVar[bool] = True
    plans: ClassVar[Plans]

    def execute_collected_root_fields(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: GroupedFieldSet,
        serially: bool,
        new_defer_usages: Sequence[DeferUsage],
    ) -> AwaitableOrValue[dict[str, Any]]:
        plan = self._plan(root_type, grouped_field_set) if self.compiled else None
        if plan is None:
            return super().execute_collected_root_fields(
                root_type, root_value, grouped_field_set, serially, new_defer_usages
            )
        self._note(COMPILED, None)
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
        except Unplanned as reason:
            self._note(GRAPHQL_CORE, str(reason))
            return None
        if key is not None:
            self.plans.put(key, plan)
        return plan

    def _note(self, executor: str, reason: str | None) -> None:
        context = self.context_value
        if hasattr(context, "execution"):
            context.execution = executor if reason is None else f"{executor}: {reason}"
        if reason is not None:
            log.debug("Not planned (%s); graphql-core runs it.", reason)

    def build_response(self, data: dict[str, Any] | None) -> ExecutionResult:
        response = super().build_response(data)
        assert isinstance(response, ExecutionResult)
        if response.errors and len(response.errors) > 1:
            response.errors = in_response_order(data, response.errors)
        return response


def executor_class(compiled: bool) -> type[HubExecutor]:
    """An executor class of its own for one schema: its plans, and whether to use them."""
    return type("HubExecutor", (HubExecutor,), {"compiled": compiled, "plans": Plans()})


def in_response_order(data: Any, errors: list[GraphQLError]) -> list[GraphQLError]:
    """Errors sorted by where their path stands in the response (fields in the order of the
    selection, list items by index), so that an answer's errors do not depend on which
    asynchronous resolver finished first. Errors without a path come first."""

    def rank(error: GraphQLError) -> tuple[int, ...]:
        if error.path is None:
            return ()
        ranks: list[int] = [1]
        here = data
        for key in error.path:
            if isinstance(key, int):
                ranks.append(key)
                here = here[key] if isinstance(here, list) and key < len(here) else None
            elif isinstance(here, dict):
                ranks.append(list(here).index(key) if key in here else len(here))
                here = here.get(key)
            else:
                ranks.append(0)
                here = None
        return tuple(ranks)

    return sorted(errors, key=rank)
