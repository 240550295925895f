"""The root Mutation type: every area's mutations (``schema/mutations/``) merged into one.

Each mutation checks the policy on what it writes (``resolvers/writes.py``) and answers a
payload: the object written, or the user errors that refused the write.
"""

from __future__ import annotations

import strawberry

from schema.mutations.access import AccessMutations
from schema.mutations.actions import ActionMutations
from schema.mutations.actors import ActorMutations
from schema.mutations.journal import JournalMutations
from schema.mutations.notifications import NotificationMutations
from schema.mutations.sites import SiteMutations
from schema.mutations.users import UserMutations
from schema.mutations.webhooks import WebhookMutations


@strawberry.type
class Mutation(
    SiteMutations,
    ActorMutations,
    JournalMutations,
    UserMutations,
    ActionMutations,
    WebhookMutations,
    AccessMutations,
    NotificationMutations,
):
    pass
