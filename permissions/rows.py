"""Row scoping, in SQL: the conditions that keep out of a query what the caller may not read.

Every way of reaching sites, actions, comments, users or organizations filters with these,
so an object outside the caller's scope is never loaded: to the caller it does not exist.
"""

from __future__ import annotations

from tortoise.expressions import Q, Subquery

from hub.database import lookup
from hub.models import Action, Comment
from hub.models.enums import HistorySubject, Role
from permissions.capabilities import Capability
from permissions.principal import Principal
from permissions.territories import Territories

# A condition no row meets (primary keys are never null), and one every row meets.
NOTHING = Q(id__isnull=True)
EVERYWHERE = Q()

_SITE_COLUMNS = {
    "regions": "region_code",
    "departements": "departement_code",
    "epcis": "epci_code",
    "communes": "commune_scope_code",
}
_ACTION_COLUMNS = {"regions": "region_code", "departements": "departement_id"}


def _within(territories: Territories, columns: dict[str, str], prefix: str = "") -> Q | None:
    """Rows whose columns fall in ``territories``; ``Q()`` for all, None for none."""
    if territories.everywhere:
        return Q()
    parts = [
        lookup(f"{prefix}{column}__in", sorted(getattr(territories, kind)))
        for kind, column in columns.items()
        if getattr(territories, kind)
    ]
    return Q(*parts, join_type=Q.OR) if parts else None


def _action_within(territories: Territories, prefix: str = "") -> Q | None:
    # An action stands in its département; it reaches an EPCI or a commune through its sites.
    within = _within(territories, _ACTION_COLUMNS, prefix)
    if territories.everywhere or not (territories.epcis or territories.communes):
        return within
    by_site = Action.filter(
        Q(sites__epci_code__in=sorted(territories.epcis))
        | Q(sites__commune_scope_code__in=sorted(territories.communes))
    ).values("id")
    through_sites = lookup(f"{prefix}id__in", Subquery(by_site))
    return through_sites if within is None else within | through_sites


def _or_nothing(condition: Q | None) -> Q:
    return NOTHING if condition is None else condition


def sites_q(principal: Principal, capability: Capability = Capability.SITE_READ) -> Q:
    return _or_nothing(_within(principal.reach(capability), _SITE_COLUMNS))


def actions_q(principal: Principal, capability: Capability = Capability.ACTION_READ) -> Q:
    return _or_nothing(_action_within(principal.reach(capability)))


def audit_q(principal: Principal) -> Q:
    """Audit entries standing where the caller holds ``audit.read``."""
    return _or_nothing(_within(principal.reach(Capability.AUDIT_READ), _SITE_COLUMNS))


def site_actors_q(principal: Principal) -> Q:
    """Actors of the sites the caller may read."""
    return _or_nothing(_within(principal.reach(Capability.SITE_READ), _SITE_COLUMNS, "site__"))


def directory_q(principal: Principal) -> Q:
    """Organizations and users: listed for every signed-in caller (personal data is gated)."""
    return NOTHING if principal.anonymous else Q()


def comments_q(principal: Principal, deleted: bool = False) -> Q:
    """Comments on subjects the caller may read, where ``comment.read`` reaches them, and,
    for a targeted comment, only for its author, its targets and ``comment.private.read``;
    with ``deleted``, deleted ones too (that the caller could read if they were not)."""
    readable = _subject_within(principal, (Capability.COMMENT_READ, Capability.SITE_READ))
    if readable is None:
        return NOTHING
    # Deleted (or moderated) comments stay in the table for the audit, out of every journal.
    if not deleted:
        readable = Q(deleted_at__isnull=True) & readable
    private = _subject_within(principal, (Capability.COMMENT_PRIVATE_READ,))
    if private is EVERYWHERE:
        return readable
    visible = targeted_comments_q(principal)
    if private is not None:
        visible |= private
    return readable & visible


def targeted_comments_q(principal: Principal) -> Q:
    """Comments without targets, and targeted ones the caller wrote or is a target of."""
    visible = Q(targeted=False)
    if principal.user_id is not None:
        visible |= Q(author_id=principal.user_id)
        targeted_at_me = Comment.filter(target_users__id=principal.user_id)
        visible |= Q(id__in=Subquery(targeted_at_me.values("id")))
    if principal.organization_id is not None:
        targets = Comment.filter(target_organizations__id=principal.organization_id)
        visible |= Q(id__in=Subquery(targets.values("id")))
    return visible


def _subject_within(principal: Principal, capabilities: tuple[Capability, ...]) -> Q | None:
    """Comments whose site (or action) is within the reach of every capability given; the
    action counterpart of SITE_READ is ACTION_READ. EVERYWHERE when they all reach it."""
    counterpart = {Capability.SITE_READ: Capability.ACTION_READ}
    wanted = {*capabilities, *(counterpart.get(c, c) for c in capabilities)}
    if all(principal.reach(capability).everywhere for capability in wanted):
        return EVERYWHERE
    on_site: Q | None = Q(site_id__isnull=False)
    on_action: Q | None = Q(action_id__isnull=False)
    for capability in capabilities:
        site_part = _within(principal.reach(capability), _SITE_COLUMNS, "site__")
        action_part = _action_within(
            principal.reach(counterpart.get(capability, capability)), "action__"
        )
        on_site = None if on_site is None or site_part is None else on_site & site_part
        on_action = None if on_action is None or action_part is None else on_action & action_part
    branches = [branch for branch in (on_site, on_action) if branch is not None]
    return Q(*branches, join_type=Q.OR) if branches else None


def events_q(principal: Principal) -> Q:
    """Events of the stream the caller may see listed: a site's (its actors' too) where
    ``site.read`` reached the site then, actions and comments the caller may read now (a
    targeted comment only by its author and targets; a deleted one's events stay listed, the
    comment itself no longer readable), users and rights where ``user.read`` reaches."""
    visible = [
        Q(subject_type=HistorySubject.ACTION.value)
        & Q(subject_id__in=Subquery(Action.filter(actions_q(principal)).values("id"))),
        Q(subject_type="comment")
        & Q(
            subject_id__in=Subquery(
                Comment.filter(comments_q(principal, deleted=True)).values("id")
            )
        ),
    ]
    for subject_types, capability in (
        ((HistorySubject.SITE.value,), Capability.SITE_READ),
        (("user", "organization"), Capability.USER_READ),
    ):
        where = _within(principal.reach(capability), _SITE_COLUMNS)
        if where is not None:
            visible.append(Q(subject_type__in=subject_types) & where)
    return Q(*visible, join_type=Q.OR)


def webhooks_q(principal: Principal) -> Q:
    """Partner applications' webhooks, and their deliveries: national administrators only."""
    return EVERYWHERE if principal.national_admin else NOTHING


def emails_q(principal: Principal) -> Q:
    """The e-mails of the outbox: national administrators only. They hold everyone's
    addresses (personal data) and what the messages are about, whatever the territory."""
    return EVERYWHERE if principal.national_admin else NOTHING


def access_requests_q(principal: Principal) -> Q:
    """Requests for access the caller may decide on: every one for national administrators;
    for a local administrator, those standing in its areas that ask for the intervener role
    or for none (the only role it gives). Nobody else reads them: they are personal data."""
    if principal.national_admin:
        return EVERYWHERE
    if principal.application_id is not None:
        return NOTHING
    within = _within(principal.reach(Capability.USER_MANAGE), _SITE_COLUMNS)
    if within is None:
        return NOTHING
    return within & (Q(role__isnull=True) | Q(role=Role.INTERVENER.value))
