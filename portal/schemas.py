"""The customer protocol's inbound payloads, as schemas checked at the edge.

Anything that does not fit is refused here with the documented error shape, before a service
or the database sees it; the services still apply the product's own rules (name lengths, email
form, code digits) and answer with their field-named refusals.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from bridge.core.text import MAX_EMAIL_LENGTH, MAX_MESSAGE_LENGTH, MAX_NAME_LENGTH

# Socket.IO payloads arrive through the standard json module, which lets a lone UTF-16
# surrogate through ("\ud800"); such text can be neither stored nor shown.


def _encodable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("not valid Unicode text") from None
    return value


# Leave room for surrounding blanks the services strip; anything longer is refused outright.
_SLACK = 64
NameText = Annotated[str, Field(max_length=MAX_NAME_LENGTH + _SLACK), AfterValidator(_encodable)]
EmailText = Annotated[str, Field(max_length=MAX_EMAIL_LENGTH + _SLACK), AfterValidator(_encodable)]
MessageText = Annotated[
    str, Field(max_length=MAX_MESSAGE_LENGTH + _SLACK), AfterValidator(_encodable)
]
ShortText = Annotated[str, Field(max_length=100), AfterValidator(_encodable)]
DeviceText = Annotated[str, Field(max_length=512), AfterValidator(_encodable)]


class NewCaseBody(BaseModel):
    """`POST /p/<subdomain>/cases` and `POST /code/cases`."""

    model_config = ConfigDict(extra="ignore", strict=True)

    first_name: NameText
    last_name: NameText
    email: EmailText
    question: MessageText | None = None
    agent: ShortText | None = None
    code: ShortText | None = None
    support_request: bool = False
    # The page's id for this form (a UUID): a retry with the same id gets the same case.
    request_id: Annotated[str, Field(min_length=16, max_length=100)] | None = None
    language: ShortText | None = None
    device: dict[str, DeviceText | int | float | bool | None] = Field(
        default_factory=dict, max_length=16
    )


class SendData(BaseModel):
    """`send`: one chat message."""

    model_config = ConfigDict(extra="ignore", strict=True)

    text: MessageText
    client_id: ShortText | None = None


class SeenData(BaseModel):
    """`seen`: agent messages up to this id were shown."""

    model_config = ConfigDict(extra="ignore", strict=True)

    # Message ids are database integers; a JSON number beyond 2^53 is no one's id.
    up_to: int = Field(ge=1, le=2**53)


_FIELD_CODES = {
    "missing": "required",
    "string_too_short": "required",
    "string_too_long": "too_long",
    "too_long": "too_long",
}


def field_problems(error: ValidationError, fields: frozenset[str]) -> dict[str, str]:
    """The documented `codes` map for a refused body: field → key, `form` when not a field's."""
    problems: dict[str, str] = {}
    for item in error.errors():
        loc = item["loc"]
        field = str(loc[0]) if loc and str(loc[0]) in fields else "form"
        code = _FIELD_CODES.get(item["type"], "invalid") if field != "form" else "generic"
        problems.setdefault(field, code)
    return problems


def first_problem(error: ValidationError) -> str:
    """The socket protocol's `error` for a refused payload: `too_long` or `invalid`."""
    types = {item["type"] for item in error.errors()}
    return "too_long" if "string_too_long" in types else "invalid"
