"""Input of the webhook mutations."""

from __future__ import annotations

import strawberry

from hub.models import enums
from resolvers import enums as _registered_enums  # noqa: F401  (registers the GraphQL enums)


@strawberry.input(description="A partner application's webhook: where to POST which events.")
class CreateWebhookInput:
    client_id: str = strawberry.field(description="The application's OIDC client id.")
    url: str = strawberry.field(description="https:// (http:// too outside production).")
    kinds: list[enums.EventKind]
