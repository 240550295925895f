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


def check_person(
    email: str, first_name: str, last_name: str, phone: str | None, job: str | None, job_field: str
) -> tuple[dict[str, str | None], list[UserError]]:
    """A person's details as ``input`` gives them (``job_field`` names the job's field):
    the cleaned values by column (the job under ``job``), and every error at once."""
    errors: list[UserError] = []
    values: dict[str, str | None] = {}
    for column, (value, problems) in {
        "email": check_email(email, "input.email"),
        "first_name": check_name(first_name, "input.firstName"),
        "last_name": check_name(last_name, "input.lastName"),
        "phone": check_optional(phone, PHONE_LIMIT, "input.phone"),
        "job": check_optional(job, JOB_TITLE_LIMIT, job_field),
    }.items():
        values[column] = value
        errors += problems
    return values, errors
