"""The hub's database models (one tortoise app, ``hub``)."""

from hub.models.access import AccessRequest
from hub.models.actions import Action, ActionFinance, ActionIndicators, ActionTopicLink
from hub.models.audit import AuditEntry
from hub.models.events import Event
from hub.models.history import HistoryEntry
from hub.models.journal import Comment
from hub.models.notifications import Email
from hub.models.organizations import (
    InterventionArea,
    Organization,
    PartnerApplication,
    User,
    UserIdentity,
)
from hub.models.permissions import PermissionOverride
from hub.models.rows import build_rows_quickly
from hub.models.sites import (
    ParcelOwner,
    Site,
    SiteActor,
    SiteClosingSolution,
    SiteResorptionPhase,
)
from hub.models.territories import (
    Commune,
    Departement,
    Epci,
    Outline,
    Region,
    TerritoryRevision,
)
from hub.models.webhooks import Webhook, WebhookDelivery

__all__ = [
    "AccessRequest",
    "Action",
    "ActionFinance",
    "ActionIndicators",
    "ActionTopicLink",
    "AuditEntry",
    "Comment",
    "Commune",
    "Departement",
    "Email",
    "Epci",
    "Event",
    "HistoryEntry",
    "InterventionArea",
    "Organization",
    "Outline",
    "ParcelOwner",
    "PartnerApplication",
    "PermissionOverride",
    "Region",
    "Site",
    "SiteActor",
    "SiteClosingSolution",
    "SiteResorptionPhase",
    "TerritoryRevision",
    "User",
    "UserIdentity",
    "Webhook",
    "WebhookDelivery",
]

for _model in (
    AccessRequest, Action, ActionFinance, ActionIndicators, ActionTopicLink, AuditEntry, Comment,
    Commune, Departement, Epci, Event, HistoryEntry, InterventionArea, Organization, Outline,
    ParcelOwner, PartnerApplication, PermissionOverride, Region, Site, SiteActor,
    SiteClosingSolution, SiteResorptionPhase, User, UserIdentity, Webhook, WebhookDelivery,
):  # fmt: skip
    build_rows_quickly(_model)
