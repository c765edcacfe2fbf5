"""Block Kit validation for the blocks casebridge uses, with Slack's error shape."""

from __future__ import annotations

from typing import Any

from slackemu.state import SlackError

MAX_BLOCKS = 50
TEXT_TYPES = ("plain_text", "mrkdwn")


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.action_ids: set[str] = set()

    def fail(self, pointer: str, problem: str) -> None:
        self.errors.append(f"{problem} [json-pointer:{pointer}]")

    def text(
        self, obj: Any, pointer: str, *, plain_only: bool = False, max_len: int = 3000
    ) -> None:
        if not isinstance(obj, dict):
            self.fail(pointer, "must be a text object")
            return
        allowed = ("plain_text",) if plain_only else TEXT_TYPES
        if obj.get("type") not in allowed:
            self.fail(f"{pointer}/type", f"must be one of {', '.join(allowed)}")
        value = obj.get("text")
        if not isinstance(value, str) or not value:
            self.fail(f"{pointer}/text", "must be more than 0 characters")
        elif len(value) > max_len:
            self.fail(f"{pointer}/text", f"must be less than {max_len + 1} characters")

    def confirm(self, obj: Any, pointer: str) -> None:
        if not isinstance(obj, dict):
            self.fail(pointer, "must be a confirm object")
            return
        for key in ("title", "text", "confirm", "deny"):
            if key in obj or key != "deny":
                self.text(obj.get(key), f"{pointer}/{key}", plain_only=key != "text", max_len=300)

    def action_id(self, element: dict[str, Any], pointer: str) -> None:
        action_id = element.get("action_id")
        if action_id is None:
            return
        if not isinstance(action_id, str) or not 0 < len(action_id) <= 255:
            self.fail(f"{pointer}/action_id", "must be 1 to 255 characters")
        elif action_id in self.action_ids:
            self.fail(f"{pointer}/action_id", "action_id must be unique within the message")
        else:
            self.action_ids.add(action_id)

    def element(self, element: Any, pointer: str) -> None:
        if not isinstance(element, dict):
            self.fail(pointer, "must be an element object")
            return
        kind = element.get("type")
        self.action_id(element, pointer)
        if kind == "button":
            self.text(element.get("text"), f"{pointer}/text", plain_only=True, max_len=75)
            value = element.get("value")
            if value is not None and (not isinstance(value, str) or len(value) > 2000):
                self.fail(f"{pointer}/value", "must be a string of at most 2000 characters")
            if element.get("style") not in (None, "primary", "danger"):
                self.fail(f"{pointer}/style", "must be primary or danger")
            if "confirm" in element:
                self.confirm(element["confirm"], f"{pointer}/confirm")
        elif kind in ("static_select", "overflow"):
            options = element.get("options")
            if not isinstance(options, list) or not 0 < len(options) <= 100:
                self.fail(f"{pointer}/options", "must have 1 to 100 options")
            else:
                for n, option in enumerate(options):
                    self.text(
                        option.get("text") if isinstance(option, dict) else None,
                        f"{pointer}/options/{n}/text",
                        max_len=75,
                    )
                    if not isinstance(option, dict) or not isinstance(option.get("value"), str):
                        self.fail(f"{pointer}/options/{n}/value", "must be a string")
            if kind == "static_select" and "placeholder" in element:
                self.text(
                    element["placeholder"], f"{pointer}/placeholder", plain_only=True, max_len=150
                )
        elif kind == "plain_text_input":
            pass
        elif kind == "image":
            if not element.get("image_url") or not element.get("alt_text"):
                self.fail(pointer, "an image needs image_url and alt_text")
        else:
            self.fail(f"{pointer}/type", f"unsupported element type {kind!r}")

    def block(self, block: Any, pointer: str, block_ids: set[str]) -> None:
        if not isinstance(block, dict):
            self.fail(pointer, "must be a block object")
            return
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not 0 < len(block_id) <= 255:
                self.fail(f"{pointer}/block_id", "must be 1 to 255 characters")
            elif block_id in block_ids:
                self.fail(f"{pointer}/block_id", "block_id must be unique within the message")
            block_ids.add(str(block_id))
        kind = block.get("type")
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.fail(pointer, "a section needs text or fields")
            if "text" in block:
                self.text(block["text"], f"{pointer}/text")
            fields = block.get("fields", [])
            if not isinstance(fields, list) or len(fields) > 10:
                self.fail(f"{pointer}/fields", "must have at most 10 items")
            else:
                for n, item in enumerate(fields):
                    self.text(item, f"{pointer}/fields/{n}", max_len=2000)
            if "accessory" in block:
                self.element(block["accessory"], f"{pointer}/accessory")
        elif kind == "header":
            self.text(block.get("text"), f"{pointer}/text", plain_only=True, max_len=150)
        elif kind == "divider":
            pass
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 0 < len(elements) <= 10:
                self.fail(f"{pointer}/elements", "must have 1 to 10 items")
            else:
                for n, item in enumerate(elements):
                    if isinstance(item, dict) and item.get("type") == "image":
                        self.element(item, f"{pointer}/elements/{n}")
                    else:
                        self.text(item, f"{pointer}/elements/{n}")
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 0 < len(elements) <= 25:
                self.fail(f"{pointer}/elements", "must have 1 to 25 items")
            else:
                for n, item in enumerate(elements):
                    self.element(item, f"{pointer}/elements/{n}")
        elif kind == "input":
            self.text(block.get("label"), f"{pointer}/label", plain_only=True, max_len=2000)
            self.element(block.get("element"), f"{pointer}/element")
        elif kind == "image":
            self.element(block, pointer)
        else:
            self.fail(f"{pointer}/type", f"unsupported block type {kind!r}")


def validate_blocks(blocks: Any) -> list[dict[str, Any]]:
    """The blocks, or SlackError('invalid_blocks') listing each problem as Slack does."""
    checker = _Checker()
    if not isinstance(blocks, list):
        checker.fail("/blocks", "must be an array")
    elif len(blocks) > MAX_BLOCKS:
        checker.fail("/blocks", f"must have at most {MAX_BLOCKS} items")
    else:
        block_ids: set[str] = set()
        for n, block in enumerate(blocks):
            checker.block(block, f"/blocks/{n}", block_ids)
    if checker.errors:
        raise SlackError(
            "invalid_blocks",
            errors=checker.errors,
            response_metadata={"messages": [f"[ERROR] {e}" for e in checker.errors]},
        )
    return blocks  # type: ignore[no-any-return]
