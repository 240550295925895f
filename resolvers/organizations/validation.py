"""The rules a user's personal data must keep: e-mail address, names, phone, job title.

Values are trimmed before they are checked and stored; an optional value left blank is
stored as null. Each check answers the cleaned value and the user errors it found.
"""

from __future__ import annotations

from resolvers.writes import ErrorCode, UserError

# The column sizes of ``hub.models.User``.
EMAIL_LIMIT = 254
NAME_LIMIT = 100
PHONE_LIMIT = 30
JOB_TITLE_LIMIT = 150


def _unprintable(value: str) -> bool:
    # NUL and other control characters (tabs, line breaks…) have no place in these fields.
    return not value.isprintable()


def check_email(value: str, field: str) -> tuple[str, list[UserError]]:
    """One local part, one ``@``, a domain with a dot inside; no spaces nor control characters."""
    email = value.strip()
    if not email:
        return email, [UserError(field, ErrorCode.REQUIRED, "An e-mail address is required.")]
    if len(email) > EMAIL_LIMIT:
        return email, [UserError(field, ErrorCode.TOO_LONG, f"At most {EMAIL_LIMIT} characters.")]
    local, at, domain = email.partition("@")
    well_formed = (
        at
        and local
        and "@" not in domain
        and "." in domain.strip(".")
        and ".." not in domain
        and not any(character.isspace() for character in email)
        and not _unprintable(email)
    )
    if not well_formed:
        return email, [
            UserError(field, ErrorCode.INVALID, "Not an e-mail address (name@domain.example).")
        ]
    return email, []


def check_name(value: str, field: str) -> tuple[str, list[UserError]]:
    """A required first or last name."""
    name = value.strip()
    if not name:
        return name, [UserError(field, ErrorCode.REQUIRED, "Required.")]
    return name, _text(name, NAME_LIMIT, field)


def check_optional(value: str | None, limit: int, field: str) -> tuple[str | None, list[UserError]]:
    """An optional text (phone, job title): null when left blank."""
    text = (value or "").strip()
    if not text:
        return None, []
    return text, _text(text, limit, field)


def _text(value: str, limit: int, field: str) -> list[UserError]:
    if len(value) > limit:
        return [UserError(field, ErrorCode.TOO_LONG, f"At most {limit} characters.")]
    if _unprintable(value):
        return [UserError(field, ErrorCode.INVALID, "Control characters are not allowed.")]
    return []
