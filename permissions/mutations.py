"""What each mutation needs: the policy's word on writes, as data.

Every mutation of the schema has a rule here (a test compares the two lists). Its
``capability`` is checked first, whatever the input: a caller who holds it nowhere is refused
before anything is read; then where the object stands, before the version is compared and
the input validated. ``then`` says, for the people who read docs/permissions.md, what is
checked next. The resolvers declare their operations with these capabilities.
"""

from __future__ import annotations

from dataclasses import dataclass

from permissions.capabilities import Capability as C


@dataclass(frozen=True)
class MutationRule:
    capability: C
    then: str = ""


MUTATIONS: dict[str, MutationRule] = {
    "createSite": MutationRule(
        C.SITE_CREATE,
        "on the site's commune; `site.legal.write` and `site.owner.write` for those groups",
    ),
    "updateSite": MutationRule(
        C.SITE_UPDATE,
        "where the site stands (and where it moves); `site.legal.write` for "
        "`legalProcedures`, `site.owner.write` for `ownership`",
    ),
    "closeSite": MutationRule(C.SITE_CLOSE),
    "reopenSite": MutationRule(C.SITE_CLOSE, "administrators only"),
    "confirmSiteUnchanged": MutationRule(C.SITE_UPDATE),
    "deleteSite": MutationRule(C.SITE_DELETE),
    "declareActor": MutationRule(C.ACTOR_DECLARE, "on the site"),
    "updateActor": MutationRule(C.ACTOR_DECLARE, "on the site, for its own organization's entry"),
    "withdrawActor": MutationRule(
        C.ACTOR_DECLARE, "on the site; withdrawing another organization's entry needs `site.update`"
    ),
    "createComment": MutationRule(C.COMMENT_CREATE, "on the site or action"),
    "updateComment": MutationRule(C.COMMENT_CREATE, "where the comment stands; its author only"),
    "deleteComment": MutationRule(C.COMMENT_CREATE, "where the comment stands; its author only"),
    "moderateComment": MutationRule(C.COMMENT_MODERATE),
    "createAction": MutationRule(
        C.ACTION_CREATE, "on its département, or on every site it is run on"
    ),
    "updateAction": MutationRule(
        C.ACTION_UPDATE, "where the action stands (`own`: its managers and operators)"
    ),
    "upsertActionFinances": MutationRule(C.ACTION_UPDATE, "and `action.finances.read`"),
    "upsertActionIndicators": MutationRule(C.ACTION_UPDATE),
    "inviteUser": MutationRule(C.USER_MANAGE, "where the user's organization has its home"),
    "activateUser": MutationRule(C.USER_MANAGE, "where the user's organization has its home"),
    "deactivateUser": MutationRule(C.USER_MANAGE, "where the user's organization has its home"),
    "changeUserRole": MutationRule(C.USER_MANAGE, "where the user's organization has its home"),
    "setUserOptions": MutationRule(C.USER_MANAGE, "where the user's organization has its home"),
    "setPermissionOverride": MutationRule(C.USER_MANAGE, "national administrators only"),
    "createWebhook": MutationRule(C.USER_MANAGE, "national administrators only"),
    "deleteWebhook": MutationRule(C.USER_MANAGE, "national administrators only"),
    "resumeWebhook": MutationRule(C.USER_MANAGE, "national administrators only"),
    "approveAccessRequest": MutationRule(
        C.USER_MANAGE,
        "where the request stands; the role, areas and options within the approver's own "
        "powers (a local administrator: intervener role only)",
    ),
    "refuseAccessRequest": MutationRule(C.USER_MANAGE, "where the request stands"),
    # The e-mails' dead letters hold addresses (personal data) of everyone: national only.
    "retryEmail": MutationRule(C.USER_MANAGE, "national administrators only"),
}

# Mutations anyone may call, anonymous callers included: what guards them instead.
PUBLIC: dict[str, str] = {
    "requestAccess": "rate-limited per address and per e-mail address; one open request per "
    "e-mail address; a person signed in whom the hub does not know asks for the address their "
    "provider verified",
}

# Mutations a signed-in person makes on their own account: each person decides these for
# themselves, whatever their role, so no capability is needed; anonymous callers and partner
# applications (which have no account) are refused. What guards them instead.
OWN_ACCOUNT: dict[str, str] = {
    "updateNotificationSettings": "a signed-in person, on their own account only (not a "
    "partner application); the e-mails about their access or account cannot be turned off",
}
