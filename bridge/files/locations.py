"""Where files are kept, read from FILES_URL: `s3://bucket/prefix?endpoint=…&region=…`.

Parsed and checked at start-up (settings), so a bad URL stops casebridge with one line naming
the problem instead of failing on a customer's first upload. Credentials are not part of the
URL: they are FILES_ACCESS_KEY_ID and FILES_SECRET_ACCESS_KEY (secret settings), or, when
those are unset, whatever the AWS SDK finds itself (AWS_* variables, an instance role).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

# S3's bucket naming rules (what every S3-compatible server accepts).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_PREFIX = re.compile(r"[A-Za-z0-9!_.*'()/-]*")
_REGION = re.compile(r"[a-z0-9-]{1,40}")
_OPTIONS = ("endpoint", "region", "addressing")


@dataclass(frozen=True)
class S3Location:
    """A bucket, the prefix every object name starts with, and how to reach the server."""

    bucket: str
    prefix: str  # "" or ending in "/"
    endpoint: str | None  # None: AWS itself
    region: str | None
    addressing: str  # "path" (MinIO and most S3-compatibles) or "virtual" or "auto"

    def describe(self) -> str:
        """For logs and reprs: where, never who."""
        where = self.endpoint or "AWS"
        return f"s3://{self.bucket}/{self.prefix} at {where}"


def parse_files_url(url: str) -> S3Location:
    """An `s3://` URL as a location; ValueError saying what is wrong, in one line."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ValueError("must start with s3:// (leave it unset to keep files in FILES_DIR)")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError(
            "must not hold credentials: set FILES_ACCESS_KEY_ID and FILES_SECRET_ACCESS_KEY"
        )
    bucket = parts.netloc
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ValueError(f"'{bucket}' is not a bucket name (3-63 of a-z, 0-9, '.', '-')")
    prefix = parts.path.strip("/")
    if not _PREFIX.fullmatch(prefix) or "//" in prefix or ".." in prefix.split("/"):
        raise ValueError(f"'{prefix}' is not a usable prefix (letters, digits, - _ . /)")
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise ValueError("has a query that cannot be read") from None
    unknown = sorted(set(query) - set(_OPTIONS))
    if unknown:
        raise ValueError(f"does not know {', '.join(unknown)} (it knows {', '.join(_OPTIONS)})")
    options = {name: values[-1] for name, values in query.items()}
    endpoint = options.get("endpoint") or None
    if endpoint is not None:
        where = urlsplit(endpoint)
        if where.scheme not in ("http", "https") or not where.hostname:
            raise ValueError(f"endpoint '{endpoint}' is not an http(s) URL")
        if where.username or where.password:
            raise ValueError("endpoint must not hold credentials")
    region = options.get("region") or None
    if region is not None and not _REGION.fullmatch(region):
        raise ValueError(f"region '{region}' is not a region name (like eu-west-1)")
    addressing = options.get("addressing") or ("path" if endpoint else "auto")
    if addressing not in ("path", "virtual", "auto"):
        raise ValueError(f"addressing '{addressing}' is not path, virtual or auto")
    return S3Location(bucket, f"{prefix}/" if prefix else "", endpoint, region, addressing)
