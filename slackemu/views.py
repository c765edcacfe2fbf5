"""views.open, views.update and views.publish: modals and the App Home tab."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from slackemu.blockkit import validate_blocks
from slackemu.params import Params
from slackemu.state import SlackError, View

if TYPE_CHECKING:
    from slackemu.server import EmulatorServer


def _check_view(view: Any, expected_type: str) -> dict[str, Any]:
    if not isinstance(view, dict) or view.get("type") != expected_type:
        raise SlackError("invalid_arguments", detail=f"view.type must be {expected_type}")
    if expected_type == "modal":
        title = view.get("title")
        if not isinstance(title, dict) or not title.get("text") or len(title["text"]) > 24:
            raise SlackError("invalid_arguments", detail="modal title must be 1 to 24 characters")
        has_inputs = any(
            b.get("type") == "input" for b in view.get("blocks", []) if isinstance(b, dict)
        )
        if has_inputs and not view.get("submit"):
            raise SlackError("invalid_arguments", detail="a modal with inputs needs submit")
    if len(str(view.get("private_metadata", ""))) > 3000:
        raise SlackError("invalid_arguments", detail="private_metadata over 3000 characters")
    validate_blocks(view.get("blocks", []))
    return view


async def views_open(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    trigger = p.need("trigger_id")
    issued = emu.triggers.pop(trigger, None)
    if issued is None:
        raise SlackError("invalid_trigger_id")
    expires_at, user = issued
    if time.monotonic() > expires_at:
        raise SlackError("expired_trigger_id")
    definition = _check_view(p.structured("view"), "modal")
    view = View(
        id=emu.workspace.new_id("V"),
        type="modal",
        user=user,
        definition=definition,
        hash=uuid.uuid4().hex,
        team=emu.workspace.team,
    )
    emu.workspace.views[view.id] = view
    await emu.changed()
    return {"view": view.to_api()}


async def views_update(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    view_id = p.text("view_id")
    view = emu.workspace.views.get(view_id or "")
    if view is None:
        external = p.text("external_id")
        view = next(
            (
                v
                for v in emu.workspace.views.values()
                if external and v.definition.get("external_id") == external
            ),
            None,
        )
    if view is None:
        raise SlackError("not_found")
    given_hash = p.text("hash")
    if given_hash and given_hash != view.hash:
        raise SlackError("hash_conflict")
    view.definition = _check_view(p.structured("view"), view.type)
    view.hash, view.errors = uuid.uuid4().hex, {}
    await emu.changed()
    return {"view": view.to_api()}


async def views_publish(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    user = emu.workspace.user(p.need("user_id"))
    definition = _check_view(p.structured("view"), "home")
    current = emu.workspace.views.get(emu.workspace.homes.get(user.id, ""))
    given_hash = p.text("hash")
    if current is not None and given_hash and given_hash != current.hash:
        raise SlackError("hash_conflict")
    if current is None:
        current = View(
            id=emu.workspace.new_id("V"),
            type="home",
            user=user.id,
            definition=definition,
            hash=uuid.uuid4().hex,
            team=emu.workspace.team,
        )
        emu.workspace.views[current.id] = current
        emu.workspace.homes[user.id] = current.id
    else:
        current.definition, current.hash = definition, uuid.uuid4().hex
    await emu.changed()
    return {"view": current.to_api()}


VIEW_METHODS = {
    "views.open": views_open,
    "views.update": views_update,
    "views.publish": views_publish,
}
