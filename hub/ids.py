"""Global IDs (Relay): base64 of ``Type:key``, checked against the type a field expects."""

from __future__ import annotations

from strawberry.relay import GlobalID, GlobalIDValueError

from hub.errors import BadUserInput

# Integer keys are 32-bit in the database: a larger one cannot name anything.
MAX_KEY = 2**31 - 1


def parse_global_id(value: str | GlobalID) -> GlobalID:
    if isinstance(value, GlobalID):
        return value
    try:
        return GlobalID.from_id(value)
    except GlobalIDValueError:
        raise BadUserInput(f"Malformed ID {value!r}: pass an `id` this API returned.") from None


def decode_id(value: str | GlobalID, expected_type: str) -> int:
    """The integer key of an ID that must name an object of ``expected_type``."""
    global_id = parse_global_id(value)
    if global_id.type_name != expected_type:
        raise BadUserInput(
            f"Expected the ID of a {expected_type}, got the ID of a {global_id.type_name}."
        )
    key = global_id.node_id
    if not key.isdigit():
        raise BadUserInput(f"Malformed {expected_type} ID {str(value)!r}.")
    # A key beyond the database's range names nothing: 0, which no row has, stands for it,
    # so that the caller gets the same "not found" as for any missing object.
    return int(key) if 0 < int(key) <= MAX_KEY else 0
