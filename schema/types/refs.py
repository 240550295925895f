"""The lazy references between the type modules, declared once.

The type modules refer to each other (a site has actions, an action has sites), so a field
names another module's type through ``strawberry.lazy`` instead of importing it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

if TYPE_CHECKING:
    from schema.types.actions import Action
    from schema.types.history import HistoryEntry
    from schema.types.journal import Comment
    from schema.types.organizations import Organization, PartnerApplication, User
    from schema.types.sites import Site, SiteActor

ActionRef = Annotated["Action", strawberry.lazy("schema.types.actions")]
ApplicationRef = Annotated["PartnerApplication", strawberry.lazy("schema.types.organizations")]
CommentRef = Annotated["Comment", strawberry.lazy("schema.types.journal")]
HistoryEntryRef = Annotated["HistoryEntry", strawberry.lazy("schema.types.history")]
OrganizationRef = Annotated["Organization", strawberry.lazy("schema.types.organizations")]
SiteActorRef = Annotated["SiteActor", strawberry.lazy("schema.types.sites")]
SiteRef = Annotated["Site", strawberry.lazy("schema.types.sites")]
UserRef = Annotated["User", strawberry.lazy("schema.types.organizations")]
