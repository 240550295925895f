"""Actors on a site: declare yourself (or your organization), change your themes, withdraw.

Each needs ``actor.declare`` on the site's territory; changing or withdrawing an entry is
for its organization (or, to withdraw, for those who may also update the site). Each change
is recorded in the site's history as its list of actors, and in the audit log.
"""

from __future__ import annotations

from typing import Any

from hub.models import Site, SiteActor
from hub.models.enums import ActorTheme, EventKind, HistoryOperation, HistorySubject
from permissions.capabilities import Capability
from permissions.rows import site_actors_q, sites_q
from permissions.territories import site_place
from resolvers.context import Context
from resolvers.writes import (
    ErrorCode,
    Operation,
    Refused,
    UserError,
    Write,
    changes_between,
    in_scope,
    write,
)

DECLARE = Operation(
    "actor.declare", "declareActor", "declaring yourself on this site", EventKind.ACTOR_DECLARED
)
UPDATE = Operation("actor.update", "updateActor", "acting on this site", EventKind.ACTOR_UPDATED)
# Withdrawing someone else's entry needs site.update too, checked once the entry is found.
WITHDRAW = Operation(
    "actor.withdraw", "withdrawActor", "withdrawing an actor", EventKind.ACTOR_WITHDRAWN
)


async def _actors(site_id: int) -> list[dict[str, Any]]:
    rows = await SiteActor.filter(site_id=site_id).order_by("id")
    return [
        {"organization_id": a.organization_id, "user_id": a.user_id, "themes": sorted(a.themes)}
        for a in rows
    ]


def _themes(themes: list[ActorTheme]) -> list[str]:
    if not themes:
        raise Refused([UserError("themes", ErrorCode.REQUIRED, "Say on which themes you act.")])
    if len(set(themes)) != len(themes):
        raise Refused([UserError("themes", ErrorCode.INVALID, "Each theme once.")])
    return sorted(theme.value for theme in themes)


async def _record(w: Write, site: Site, before: list[dict[str, Any]], actor_id: int) -> None:
    changes = changes_between({"actors": before}, {"actors": await _actors(site.id)})
    await w.history(HistorySubject.SITE, site.id, HistoryOperation.UPDATE, changes)
    await w.audit("site", site.id, site_place(site), {"actor": actor_id})


async def declare_actor(
    context: Context, site_id: int, themes: list[ActorTheme], as_user: bool
) -> SiteActor | list[UserError]:
    async def work(w: Write) -> SiteActor:
        site = await in_scope(Site, sites_q(w.principal), site_id, "siteId", "site")
        w.allow(site_place(site))
        chosen = _themes(themes)
        organization_id = w.principal.organization_id
        user_id = w.principal.user_id if as_user else None
        if await SiteActor.exists(
            site_id=site.id, organization_id=organization_id, user_id=user_id
        ):
            raise Refused(
                [UserError(None, ErrorCode.INVALID, "Declared already: change its themes instead.")]
            )
        before = await _actors(site.id)
        actor = await SiteActor.create(
            site_id=site.id, organization_id=organization_id, user_id=user_id, themes=chosen
        )
        await _record(w, site, before, actor.id)
        return actor

    return await write(context, DECLARE, work)


async def _allowed_entry(w: Write, actor_id: int) -> tuple[SiteActor, Site]:
    actor = await in_scope(SiteActor, site_actors_q(w.principal), actor_id, "id", "actor")
    site = await Site.get(id=actor.site_id)
    w.allow(site_place(site))
    return actor, site


async def update_actor(
    context: Context, actor_id: int, themes: list[ActorTheme]
) -> SiteActor | list[UserError]:
    async def work(w: Write) -> SiteActor:
        actor, site = await _allowed_entry(w, actor_id)
        if actor.organization_id != w.principal.organization_id:
            raise Refused(
                [UserError(None, ErrorCode.FORBIDDEN, "Only its organization changes an actor.")]
            )
        before = await _actors(site.id)
        actor.themes = _themes(themes)
        await actor.save(update_fields=["themes"])
        await _record(w, site, before, actor.id)
        return actor

    return await write(context, UPDATE, work)


async def withdraw_actor(context: Context, actor_id: int) -> int | list[UserError]:
    async def work(w: Write) -> int:
        actor, site = await _allowed_entry(w, actor_id)
        own = actor.organization_id == w.principal.organization_id
        if not own and not w.principal.can(Capability.SITE_UPDATE, site_place(site)):
            raise Refused(
                [
                    UserError(
                        None,
                        ErrorCode.FORBIDDEN,
                        "Only its organization, or who may update the site, withdraws an actor.",
                    )
                ]
            )
        before = await _actors(site.id)
        await SiteActor.filter(id=actor.id).delete()
        await _record(w, site, before, actor.id)
        return actor.id

    return await write(context, WITHDRAW, work)
