"""The one-click unsubscribe page of the e-mails' links (``links.PATH``), in French: its
readers are the e-mails' recipients.

``GET ?token=…`` shows what the link turns off, with one button; ``POST ?token=…`` (that
button's form, or a mail client's RFC 8058 ``List-Unsubscribe=One-Click``, whose body says
nothing more) turns that kind off for the link's account. The signed token is the authority,
not a session: no sign-in, no cookie, so no cross-site request to forge. The change is the
same write as ``updateNotificationSettings``, made as the account itself (audited with it as
author); asking twice changes nothing more. A forged, altered or expired link is answered
400 and changes nothing.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route, request_response

from hub.models import User
from hub.models.enums import NotificationKind
from hub.server.auth.middleware import Authenticator
from hub.server.notify.links import PATH, BadLink, Unsubscription, check_token
from hub.server.ratelimit import RateLimits, guarded
from hub.settings import Settings
from permissions.principal import Principal
from resolvers.context import Context
from resolvers.notifications.outbox import OPTIONAL_KINDS
from resolvers.notifications.settings import update_settings

# What each kind a person may turn off is, for them.
WHAT: dict[NotificationKind, str] = {
    NotificationKind.ACCESS_REQUESTED: "les demandes d'accès au hub à examiner",
    NotificationKind.COMMENT_TARGETED: "les commentaires qui vous sont adressés",
    NotificationKind.WEEKLY_DIGEST: "le récapitulatif hebdomadaire de l'activité",
    NotificationKind.SITE_OUT_OF_DATE: "les rappels de sites à mettre à jour",
}
# The token sits in the address: it must not leave in a Referer, nor stay in a cache.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
}
STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1e1e1e}button{font:inherit;padding:.6rem 1.2rem;border:0;"
    "border-radius:.25rem;background:#000091;color:#fff;cursor:pointer}"
    "p.note{color:#555;font-size:.9rem}"
)
ALWAYS_SENT = (
    "Les e-mails qui concernent votre accès au hub ou votre compte vous sont toujours envoyés."
)
BAD_LINK = (
    "Ce lien de désabonnement n'est pas valide : il a peut-être expiré (un lien vaut 60 jours) "
    "ou a été mal copié. Rien n'a été changé. Vous pouvez choisir les e-mails que vous "
    "recevez depuis votre compte, une fois connecté."
)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} — Hub des bidonvilles</title><style>{STYLE}</style>"
        f"</head><body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )
    return HTMLResponse(document, status_code=status, headers=HEADERS)


def _bad_link() -> HTMLResponse:
    return _page("Lien non valide", f"<p>{html.escape(BAD_LINK)}</p>", status=400)


async def _recipient(settings: Settings, request: Request) -> tuple[Unsubscription, User] | None:
    """What the link turns off and for whom; None for a bad link."""
    token = request.query_params.get("token", "")
    try:
        unsubscription = check_token(settings, token)
    except BadLink:
        return None
    if unsubscription.kind not in OPTIONAL_KINDS:
        return None
    user = await User.get_or_none(id=unsubscription.user_id)
    return None if user is None else (unsubscription, user)


def unsubscribe_routes(
    settings: Settings, authenticator: Authenticator, limits: RateLimits
) -> list[BaseRoute]:
    async def page(request: Request) -> HTMLResponse:
        found = await _recipient(settings, request)
        if found is None:
            return _bad_link()
        unsubscription, user = found
        what = html.escape(WHAT[unsubscription.kind])
        if request.method == "POST":
            return await _turn_off(settings, unsubscription, user, what)
        if unsubscription.kind.value in (user.notifications_off or []):
            return _page(
                "C'est déjà fait",
                f"<p>Vous ne recevez déjà plus {what} par e-mail.</p>"
                f'<p class="note">{html.escape(ALWAYS_SENT)}</p>',
            )
        action = html.escape(f"{PATH}?{urlencode({'token': request.query_params['token']})}")
        return _page(
            "Se désabonner",
            f"<p>Ne plus recevoir {what} par e-mail ?</p>"
            f'<form method="post" action="{action}">'
            '<button type="submit">Ne plus recevoir ces e-mails</button></form>'
            f'<p class="note">{html.escape(ALWAYS_SENT)}</p>',
        )

    # Counted like every anonymous request (per address); a token in the header is checked.
    endpoint = guarded(request_response(page), authenticator, limits)
    return [Route(PATH, endpoint, methods=["GET", "POST"])]


async def _turn_off(
    settings: Settings, unsubscription: Unsubscription, user: User, what: str
) -> HTMLResponse:
    # The account itself makes the change, as it would through the API.
    account = Principal(role=user.role, user_id=user.id, organization_id=user.organization_id)
    context = Context.build(None, settings, account)
    result = await update_settings(context, [(unsubscription.kind, False)])
    if isinstance(result, list):
        return _bad_link()
    return _page(
        "C'est noté",
        f"<p>Vous ne recevrez plus {what} par e-mail.</p>"
        '<p class="note">Pour les recevoir de nouveau, changez vos préférences d\'e-mails '
        "depuis votre compte. "
        f"{html.escape(ALWAYS_SENT)}</p>",
    )
