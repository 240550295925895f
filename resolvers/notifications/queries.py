"""The outbox's e-mails, for national administrators (nobody else: ``rows.emails_q``), newest
first: the dead letters (FAILED) are what they look for, to retry them once the cause is
fixed (``retryEmail``)."""

from __future__ import annotations

import datetime

from hub.models import Email
from hub.models.enums import DeliveryStatus
from permissions.principal import Principal
from permissions.rows import emails_q
from permissions.territories import Place
from resolvers.batching import BatchLoad
from resolvers.context import Context
from resolvers.fetching import rows_by_keys
from resolvers.inputs.notifications import EmailFilter
from resolvers.pagination import Page, PageRequest, by_key_loader, page_of
from resolvers.writes import ErrorCode, Operation, Refused, UserError, Write, in_scope, write

RETRY = Operation("email.retry", "retryEmail", "retrying an e-mail")


async def list_emails(
    context: Context, email_filter: EmailFilter | None, first: int | None, after: str | None
) -> Page[Email]:
    page = PageRequest.parse(context.settings, first, after)
    f = email_filter or EmailFilter()
    emails = Email.filter(emails_q(context.principal))
    if f.status is not None:
        emails = emails.filter(status=f.status)
    if f.kind is not None:
        emails = emails.filter(kind=f.kind)
    return await page_of(emails, page, ["-id"])


def email_by_id(principal: Principal) -> BatchLoad[int, Email | None]:
    async def fetch(ids: list[int]) -> list[Email]:
        return await rows_by_keys(Email.filter(emails_q(principal)), "id", ids)

    return by_key_loader(fetch, key=lambda row: row.id)


async def retry_email(context: Context, email_id: int) -> Email | list[UserError]:
    """A failed e-mail sent again now, with its attempts counted afresh (its last error stays
    until the next attempt); an e-mail in any other state is left as it is."""

    async def work(w: Write) -> Email:
        if not w.principal.national_admin:
            message = "Not allowed: national administrators only."
            raise Refused([UserError(None, ErrorCode.FORBIDDEN, message)])
        # E-mails stand in the nation: only nationwide grants reach them.
        w.allow(Place())
        email = await in_scope(Email, emails_q(w.principal), email_id, "id", "e-mail")
        if email.status is not DeliveryStatus.FAILED:
            message = f"Only a failed e-mail is retried; this one is {email.status.value}."
            raise Refused([UserError("id", ErrorCode.CONFLICT, message)])
        now = datetime.datetime.now(datetime.UTC)
        retried = await Email.filter(id=email.id, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now
        )
        if not retried:
            raise Refused([UserError("id", ErrorCode.CONFLICT, "Retried meanwhile.")])
        await w.audit("email", email.id, Place(), {"kind": email.kind.value})
        await email.refresh_from_db()
        return email

    return await write(context, RETRY, work)
