"""A real S3-compatible server for the tests: moto's, in its own process on a free port.

Started by the tests themselves (no Docker, nothing on the machine beforehand); it speaks S3's
HTTP API, so casebridge's client talks to it exactly as to AWS or MinIO.
"""

from __future__ import annotations

import asyncio
import re
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiobotocore.session import ClientCreatorContext, get_session

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

KEY_ID, SECRET = "casebridge-test", "s3cr3t/with+odd=chars"
REGION = "eu-west-1"


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def url(self, bucket: str, prefix: str = "") -> str:
        """A FILES_URL for `bucket` on this server."""
        return f"s3://{bucket}/{prefix}?endpoint={self.endpoint}&region={REGION}"

    async def new_bucket(self) -> str:
        """An empty bucket of its own for one test."""
        name = f"cb-{uuid.uuid4().hex[:20]}"
        async with self.client() as s3:
            await s3.create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
            )
        return name

    def client(self) -> ClientCreatorContext[S3Client]:
        """A plain S3 client, to look at the bucket behind casebridge's back."""
        return get_session().create_client(
            "s3",
            region_name=REGION,
            endpoint_url=self.endpoint,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
        )

    async def names(self, bucket: str) -> list[str]:
        """Every object name in `bucket`."""
        async with self.client() as s3:
            listed = await s3.list_objects_v2(Bucket=bucket)
        return sorted(str(item["Key"]) for item in listed.get("Contents", []))


@asynccontextmanager
async def s3_server() -> AsyncIterator[S3Server]:
    """moto's server on 127.0.0.1 and a port the system picks; stopped afterwards."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "moto.server",
        "-H",
        "127.0.0.1",
        "-p",
        "0",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    drain: asyncio.Task[bytes] | None = None
    try:
        endpoint = None
        async with asyncio.timeout(60):
            while endpoint is None:
                line = (await process.stderr.readline()).decode(errors="replace")
                if not line:
                    raise RuntimeError("moto's server stopped before it listened")
                if found := re.search(r"Running on (http://127\.0\.0\.1:\d+)", line):
                    endpoint = found.group(1)
        drain = asyncio.create_task(process.stderr.read())  # its request log, unread
        yield S3Server(endpoint)
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
        if drain is not None:
            await drain
