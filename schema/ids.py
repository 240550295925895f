"""Global IDs (Relay): base64 of ``Type:key``, checked against the type a field expects."""

from __future__ import annotations

from strawberry.relay import GlobalID, GlobalIDValueError

from schema.errors import BadUserInput


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
    try:
        return int(global_id.node_id)
    except ValueError:
        raise BadUserInput(f"Malformed {expected_type} ID {str(value)!r}.") from None
