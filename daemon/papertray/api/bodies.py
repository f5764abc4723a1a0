"""Request bodies: read within the size limit, parse strictly, validate against a small exact schema.

Strict means: the top level is an object, unknown fields are refused, every field has one JSON type (a bool is
not a number, a float is not an int), strings and lists have caps. orjson refuses nesting deeper than 1024
levels and turns a huge integer into a float, which then fails its type: both come back as 400, never 500.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from papertray import user_fields
from papertray.errors import HttpError
from papertray.models import DATE

# Large enough for 500 long URLs in one lookup; small enough that no body can hurt.
MAX_BODY_BYTES = 256 * 1024
MAX_IDS = 500


@dataclass(frozen=True, slots=True)
class Field:
    kind: str  # "str", "bool", "str_list"
    required: bool = False
    max_length: int = 10_000  # characters for str, items for str_list
    item_max_length: int = 2048
    min_items: int = 0
    pattern: re.Pattern[str] | None = None
    description: str = ""  # what a valid value looks like, said when `pattern` refuses one


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null"


def validate(data: Any, schema: Mapping[str, Field]) -> dict[str, Any]:
    """The validated object, or HttpError(400) naming the first problem in one sentence."""
    if not isinstance(data, dict):
        raise HttpError(400, f"The body must be a JSON object, not {_type_name(data)}.")
    unknown = sorted(set(data) - set(schema))
    if unknown:
        allowed = ", ".join(sorted(schema)) or "none"
        raise HttpError(400, f"Unknown field {unknown[0][:40]!r} (allowed: {allowed}).")
    for name, field in schema.items():
        if name not in data:
            if field.required:
                raise HttpError(400, f"The field {name!r} is required.")
            continue
        value = data[name]
        if field.kind == "bool":
            if not isinstance(value, bool):
                raise HttpError(400, f"{name!r} must be true or false, not {_type_name(value)}.")
        elif field.kind == "str":
            if not isinstance(value, str):
                raise HttpError(400, f"{name!r} must be a string, not {_type_name(value)}.")
            if len(value) > field.max_length:
                raise HttpError(400, f"{name!r} is longer than {field.max_length} characters.")
            if field.pattern is not None and not field.pattern.match(value):
                if field.description:
                    raise HttpError(400, f"{name!r} must be {field.description}, not {value[:80]!r}.")
                raise HttpError(400, f"{name!r} does not have the expected form.")
        elif field.kind == "str_list":
            if not isinstance(value, list):
                raise HttpError(400, f"{name!r} must be a list of strings, not {_type_name(value)}.")
            if len(value) > field.max_length:
                raise HttpError(400, f"{name!r} holds more than {field.max_length} items.")
            if len(value) < field.min_items:
                raise HttpError(400, f"{name!r} needs at least {field.min_items} item(s).")
            if field.pattern is None and _short_strings(value, field.item_max_length):
                continue  # every item checked at C speed; the loop below only names the first problem
            for item in value:
                if not isinstance(item, str):
                    raise HttpError(400, f"Every item of {name!r} must be a string, not {_type_name(item)}.")
                if len(item) > field.item_max_length:
                    raise HttpError(400, f"An item of {name!r} is longer than {field.item_max_length} characters.")
                if field.pattern is not None and not field.pattern.match(item):
                    if field.description:
                        raise HttpError(400, f"An item of {name!r} must be {field.description}, not {item[:80]!r}.")
                    raise HttpError(400, f"An item of {name!r} does not have the expected form.")
        else:  # pragma: no cover - a schema typo, caught by the unit tests
            raise AssertionError(f"unknown field kind {field.kind}")
    return data


def _short_strings(items: list[Any], max_length: int) -> bool:
    """Whether every item is a str of at most `max_length` characters, at C speed: `str.join` takes nothing but
    strings (orjson makes exact `str`s), and when all of them together fit, each one does."""
    try:
        together = "".join(items)
    except TypeError:
        return False
    return len(together) <= max_length or max(map(len, items)) <= max_length


async def read_raw(request: web.Request) -> bytes:
    """The body bytes. The guard already checked Content-Type and Content-Length; a chunked body is cut off
    by `client_max_size` (413) as it is read."""
    content = request.content
    length = request.content_length
    if length is not None and length <= MAX_BODY_BYTES and content.is_eof():
        # All of Content-Length has arrived (the usual case for a small body): take the buffer as it is,
        # without the read loop's awaits. Handlers read the body once, so nothing asks `request.read()` later.
        raw = content.read_nowait()
        if len(raw) <= MAX_BODY_BYTES:
            return raw
        raise HttpError(413, f"The body is larger than {MAX_BODY_BYTES // 1024} KiB.")
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise HttpError(413, f"The body is larger than {MAX_BODY_BYTES // 1024} KiB.") from None


async def read_json(request: web.Request, schema: Mapping[str, Field], *, optional: bool = False) -> dict[str, Any]:
    """Read, parse and validate the body."""
    return parse_json(await read_raw(request), schema, optional=optional)


def parse_json(raw: bytes, schema: Mapping[str, Field], *, optional: bool = False) -> dict[str, Any]:
    return validate(_loads(raw, optional=optional), schema)


def _loads(raw: bytes, *, optional: bool = False) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if not raw.strip():
            if optional:
                return {}
            raise HttpError(400, "The body is empty; send a JSON object.") from None
        reason = "it is nested too deeply" if "depth" in str(exc) or "recursion" in str(exc) else "it is not JSON"
        raise HttpError(400, f"The body could not be read: {reason}.") from None


def lookup_ids(raw: bytes) -> list[str]:
    """The `ids` of a lookup body (IDS), checked in a few C-speed steps when the body has the usual shape; any
    other body goes through `validate`, which names its problem."""
    data = _loads(raw)
    if type(data) is dict and len(data) == 1:
        ids = data.get("ids")
        if type(ids) is list and len(ids) <= MAX_IDS and _short_strings(ids, ID_MAX_LENGTH):
            return ids
    return validate(data, IDS)["ids"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- the bodies of the v1 routes

TAG = user_fields.TAG  # the rules for tags and notes live in user_fields: import applies them too
TOKEN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}\Z")
NAME_FORM = (
    "1 to 64 letters, digits and the characters _ . : - (no spaces), starting with a letter or digit, like my-script"
)

ID_MAX_LENGTH = 2048
IDS = {"ids": Field("str_list", required=True, max_length=MAX_IDS, item_max_length=ID_MAX_LENGTH)}
PATCH_PAPER = {
    "read": Field("bool"),
    "dismissed": Field("bool"),
    "tags": Field("str_list", max_length=user_fields.MAX_TAGS, item_max_length=user_fields.MAX_TAG_CHARS, pattern=TAG),
    "note": Field("str", max_length=user_fields.MAX_NOTE_CHARS),
}
POLL = {
    "days": Field(
        "str_list",
        max_length=60,
        min_items=1,
        item_max_length=10,
        pattern=DATE,
        description="a day written like 2025-07-31",
    )
}
PAIR = {"code": Field("str", required=True, max_length=64)}
EMPTY: dict[str, Field] = {}
TOKEN_CREATE = {"name": Field("str", required=True, max_length=64, pattern=TOKEN_NAME, description=NAME_FORM)}
