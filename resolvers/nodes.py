"""``node(id)``: any object of the graph from its global ID, through the request's loaders."""

from __future__ import annotations

from typing import Any

from strawberry.relay import GlobalID

from hub.errors import BadUserInput, NotFound
from hub.ids import MAX_KEY, parse_global_id
from resolvers.access.queries import access_request_by_id
from resolvers.actions.loaders import action_by_id
from resolvers.activity.loaders import activity_by_id
from resolvers.context import Context, LoaderFactory
from resolvers.journal.loaders import comment_by_id
from resolvers.notifications.queries import email_by_id
from resolvers.organizations.loaders import organization_by_id, user_by_id
from resolvers.sites.loaders import site_by_id
from resolvers.territories import loaders as territory_loaders
from resolvers.territories.queries import NATION
from resolvers.territories.stats import NATION_CODE
from resolvers.webhooks.loaders import delivery_by_id, webhook_by_id

_BY_INTEGER_ID: dict[str, LoaderFactory] = {
    "Site": site_by_id,
    "Action": action_by_id,
    "Organization": organization_by_id,
    "User": user_by_id,
    "Comment": comment_by_id,
    "Activity": activity_by_id,
    "AccessRequest": access_request_by_id,
    "Webhook": webhook_by_id,
    "WebhookDelivery": delivery_by_id,
    "Email": email_by_id,
}
_BY_CODE: dict[str, LoaderFactory] = {
    "Region": territory_loaders.region_by_code,
    "Departement": territory_loaders.departement_by_code,
    "Epci": territory_loaders.epci_by_code,
    "Commune": territory_loaders.commune_by_code,
}


async def resolve_entity(context: Context, value: str, expected: str) -> Any:
    """A federation entity from its key (the global ID): the row, or null when there is none
    or the caller may not see it. Loaders batch a gateway's many representations."""
    try:
        return await resolve_node(context, value, expected=expected)
    except (NotFound, BadUserInput):
        return None


async def resolve_node(context: Context, value: str | GlobalID, expected: str | None = None) -> Any:
    """The row behind a global ID; NOT_FOUND when there is none (or the caller may not see it)."""
    global_id = parse_global_id(value)
    type_name, key = global_id.type_name, global_id.node_id
    if expected is not None and type_name != expected:
        raise BadUserInput(f"Expected the ID of a {expected}, got the ID of a {type_name}.")
    row: Any = None
    if type_name in _BY_INTEGER_ID:
        if not key.isdigit() or len(key) > 18:
            raise BadUserInput(f"Malformed {type_name} ID {str(value)!r}.")
        if not 0 < int(key) <= MAX_KEY:
            raise NotFound(f"No {type_name} with this ID.", id=str(value))
        row = await context.loaders[_BY_INTEGER_ID[type_name]].load(int(key))
    elif type_name in _BY_CODE:
        row = await context.loaders[_BY_CODE[type_name]].load(key)
    elif type_name == "Nation" and key == NATION_CODE:
        row = NATION
    elif type_name != "Nation":
        raise BadUserInput(f"{type_name!r} is not a type of this graph.")
    if row is None:
        raise NotFound(f"No {type_name} with this ID.", id=str(value))
    return row
