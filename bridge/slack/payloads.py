"""The parts of Slack's interactive payloads we read, as schemas: what does not fit is dropped."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

from bridge.core.identifiers import case_number


def _case_number(value: object) -> int:
    number = case_number(value)
    if number is None:
        raise ValueError("not a case number")
    return number


CaseNumber = Annotated[int, BeforeValidator(_case_number)]


class SlackId(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str


class ButtonClick(BaseModel):
    """A block_actions body: who clicked, where."""

    model_config = ConfigDict(extra="ignore")

    user: SlackId
    channel: SlackId


class CaseButton(BaseModel):
    """A button whose value is the case it acts on."""

    model_config = ConfigDict(extra="ignore", strict=True)

    value: CaseNumber


class CaseModal(BaseModel):
    """A modal that carries its case in private_metadata."""

    model_config = ConfigDict(extra="ignore", strict=True)

    private_metadata: CaseNumber
