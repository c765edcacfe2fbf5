"""File storage behind one small interface: a local directory now, an object store later."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path
from typing import Protocol


class FileStore(Protocol):
    """Keeps bytes under opaque keys it makes up itself."""

    async def put(self, prefix: str, content: bytes) -> str:
        """Store `content`; the key to read or delete it by."""
        ...

    async def get(self, key: str) -> bytes:
        """The bytes stored under `key` (FileNotFoundError if none)."""
        ...

    async def delete(self, key: str) -> None:
        """Forget `key`; nothing happens if it is already gone."""
        ...


class LocalFileStore:
    """Files in one directory, written whole-or-not-at-all (temporary file, then rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise FileNotFoundError(key)  # a key from elsewhere never escapes the directory
        return path

    async def put(self, prefix: str, content: bytes) -> str:
        """Store `content` under a fresh random key below `prefix`."""
        safe_prefix = "".join(c for c in prefix if c.isalnum() or c in "-_") or "files"
        key = f"{safe_prefix}/{secrets.token_urlsafe(18)}"
        await asyncio.to_thread(self._write, self._path(key), content)
        return key

    @staticmethod
    def _write(path: Path, content: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        with open(partial, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)

    async def get(self, key: str) -> bytes:
        """The bytes under `key`."""
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        """Remove `key`'s file if it is there."""
        await asyncio.to_thread(self._path(key).unlink, True)
