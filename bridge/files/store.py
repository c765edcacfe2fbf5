"""File storage behind one small interface: a local directory (the default, one machine), or an
S3-compatible object store (`FILES_URL=s3://…`, for several workers on several machines).

Keys are made up by the store (`<prefix>/<random>`), never from a file's name; a key that is
not of that shape is unknown to every store, so nothing from outside can name other objects.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bridge.files.locations import S3Location

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}/[A-Za-z0-9_-]{16,64}")


def new_key(prefix: str) -> str:
    """A fresh random key below a cleaned `prefix` (`case-7/…`)."""
    safe_prefix = "".join(c for c in prefix if c.isascii() and (c.isalnum() or c in "-_"))
    safe_prefix = safe_prefix[:64] or "files"
    return f"{safe_prefix}/{secrets.token_urlsafe(18)}"


def check_key(key: str) -> str:
    """`key` if a store could have made it; FileNotFoundError otherwise."""
    if not _KEY.fullmatch(key):
        raise FileNotFoundError(key)
    return key


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

    async def close(self) -> None:
        """Let go of connections (the app's shutdown)."""
        ...


class LocalFileStore:
    """Files in one directory, written whole-or-not-at-all (temporary file, then rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if self.root not in path.parents:
            raise FileNotFoundError(key)  # a key from elsewhere never escapes the directory
        return path

    async def put(self, prefix: str, content: bytes) -> str:
        """Store `content` under a fresh random key below `prefix`."""
        key = new_key(prefix)
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

    async def close(self) -> None:
        """Nothing to let go of."""


class S3FileStore:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2…) below the URL's prefix.

    One aiobotocore client, made on first use and closed with the app: asyncio on aiohttp
    like the rest of casebridge, so a 10 MB upload holds no thread. The credentials are only
    handed to the client; they are in no repr and no log line.
    """

    def __init__(
        self, location: S3Location, access_key_id: str | None, secret_access_key: str | None
    ) -> None:
        self.location = location
        self._credentials = (access_key_id, secret_access_key)
        self._client: S3Client | None = None
        self._stack: AsyncExitStack | None = None
        self._opening = asyncio.Lock()

    def __repr__(self) -> str:
        return f"S3FileStore({self.location.describe()})"

    def _name(self, key: str) -> str:
        return self.location.prefix + check_key(key)

    async def _s3(self) -> S3Client:
        async with self._opening:
            if self._client is None:
                from aiobotocore.config import AioConfig  # imported only where S3 is used
                from aiobotocore.session import get_session

                location = self.location
                config = AioConfig(
                    s3={"addressing_style": location.addressing},
                    # Only what S3 requires: some S3-compatible servers refuse the newer
                    # default checksum headers.
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                    retries={"max_attempts": 3, "mode": "standard"},
                    connect_timeout=10,
                    read_timeout=60,
                )
                key_id, secret = self._credentials
                stack = AsyncExitStack()
                self._client = await stack.enter_async_context(
                    get_session().create_client(
                        "s3",
                        region_name=location.region,
                        endpoint_url=location.endpoint,
                        aws_access_key_id=key_id,
                        aws_secret_access_key=secret,
                        config=config,
                    )
                )
                self._stack = stack
            return self._client

    @contextmanager
    def _failing_as_os_errors(self, doing: str, key: str) -> Iterator[None]:
        """The store's trouble (server away, bucket gone, access refused) as an OSError, as a
        full disk would be for the local store; a missing object as FileNotFoundError."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as refused:
            code = str(refused.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from None
            raise OSError(f"S3 {doing} {key} refused: {code or 'error'}") from refused
        except BotoCoreError as trouble:
            raise OSError(f"S3 {doing} {key} failed: {type(trouble).__name__}") from trouble

    async def put(self, prefix: str, content: bytes) -> str:
        """Store `content` under a fresh random key below `prefix` (one PUT: whole or nothing)."""
        key = new_key(prefix)
        s3 = await self._s3()
        with self._failing_as_os_errors("put", key):
            await s3.put_object(
                Bucket=self.location.bucket,
                Key=self._name(key),
                Body=content,
                ContentType="application/octet-stream",
            )
        return key

    async def get(self, key: str) -> bytes:
        """The bytes under `key`."""
        name = self._name(key)
        s3 = await self._s3()
        with self._failing_as_os_errors("get", key):
            answer = await s3.get_object(Bucket=self.location.bucket, Key=name)
            async with answer["Body"] as body:
                return bytes(await body.read())

    async def delete(self, key: str) -> None:
        """Remove `key`'s object (S3 answers the same whether or not it was there)."""
        name = self._name(key)
        s3 = await self._s3()
        with self._failing_as_os_errors("delete", key):
            await s3.delete_object(Bucket=self.location.bucket, Key=name)

    async def close(self) -> None:
        """Close the client and its connections."""
        async with self._opening:
            if self._stack is not None:
                await self._stack.aclose()
            self._client, self._stack = None, None
