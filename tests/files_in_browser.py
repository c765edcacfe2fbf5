"""What the browser does with files the customer pastes or drops, for Playwright to replay.

Playwright has no real clipboard or desktop to drag from: these build the same DataTransfer
in the page and fire the events Chromium fires, so the page's own handlers take them.
"""

from __future__ import annotations

import base64

from playwright.async_api import Frame, Page

# A real 1x1 PNG, so Chromium can draw it inline.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5e3"
    "d9f30000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n" * 40

# Ctrl+V with a screenshot on the clipboard: one PNG, named "image.png" as Chromium names it.
_PASTE = """(png) => {
  const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
  const clipboard = new DataTransfer();
  clipboard.items.add(new File([bytes], "image.png", { type: "image/png" }));
  const paste = new ClipboardEvent(
    "paste", { clipboardData: clipboard, bubbles: true, cancelable: true });
  document.getElementById("message").dispatchEvent(paste);
  return paste.defaultPrevented;
}"""

# Files dragged from the desktop and let go over an element of the page.
_DROP = """([target, files]) => {
  const carried = new DataTransfer();
  for (const [name, type, data] of files) {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    carried.items.add(new File([bytes], name, { type }));
  }
  const over = document.querySelector(target);
  const fire = (kind) => {
    const event = new DragEvent(kind, { dataTransfer: carried, bubbles: true, cancelable: true });
    over.dispatchEvent(event);
    return event.defaultPrevented;
  };
  const entered = fire("dragenter");
  const accepted = fire("dragover");
  const highlighted = document.getElementById("chat").classList.contains("dropping");
  const taken = fire("drop");
  return { entered, accepted, highlighted, taken };
}"""


async def paste_screenshot(page: Page | Frame, png: bytes = PNG) -> bool:
    """Paste a PNG into the message box, as Ctrl+V does; whether the page took it."""
    return bool(await page.evaluate(_PASTE, base64.b64encode(png).decode()))


async def drop(
    page: Page | Frame, *files: tuple[str, str, bytes], on: str = "#messages"
) -> dict[str, bool]:
    """Drag `files` (name, type, bytes) onto the element `on` and let go; what the page did."""
    carried = [(name, kind, base64.b64encode(data).decode()) for name, kind, data in files]
    return dict(await page.evaluate(_DROP, [on, carried]))
