"""The file stores behave the same: the local directory and an S3-compatible bucket (moto's
server, started here), so FILES_URL changes where the bytes are, never what casebridge does."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bridge.bootstrap import file_store_from
from bridge.files.locations import parse_files_url
from bridge.files.store import FileStore, LocalFileStore, S3FileStore
from bridge.services.attachments import attach_customer_file
from bridge.services.casework import delete_case
from bridge.services.customer import end_chat
from bridge.settings import ConfigError, Settings, load_settings
from storage.uow import Database
from tests.portal.conftest import running_site
from tests.portal.test_live_socket import open_chat
from tests.s3_server import KEY_ID, SECRET, S3Server, s3_server

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 120


@pytest.fixture(scope="session")
async def s3() -> AsyncIterator[S3Server]:
    async with s3_server() as server:
        yield server


def s3_store(s3: S3Server, bucket: str, prefix: str = "casebridge") -> S3FileStore:
    return S3FileStore(parse_files_url(s3.url(bucket, prefix)), KEY_ID, SECRET)


@pytest.fixture(params=["local", "s3"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, s3: S3Server
) -> AsyncIterator[FileStore]:
    made: FileStore
    if request.param == "local":
        made = LocalFileStore(tmp_path / "files")
    else:
        made = s3_store(s3, await s3.new_bucket())
    yield made
    await made.close()


async def test_a_store_keeps_a_file_under_a_fresh_key_and_gives_it_back(store: FileStore) -> None:
    key = await store.put("case-7", PNG)
    assert key.startswith("case-7/") and await store.get(key) == PNG
    other = await store.put("case-7", PNG)
    assert other != key  # keys are never guessed from names or reused
    big = bytes(range(256)) * 40_000  # 10 MB, the default limit per file
    assert await store.get(await store.put("case-7", big)) == big


async def test_a_deleted_file_is_gone_and_deleting_it_again_is_harmless(store: FileStore) -> None:
    key = await store.put("case-7", PNG)
    await store.delete(key)
    await store.delete(key)  # already gone: nothing happens
    with pytest.raises(FileNotFoundError):
        await store.get(key)


@pytest.mark.parametrize("key", ["../outside", "case-7/../../etc/passwd", "/abs", "a/b/c", ""])
async def test_a_key_the_store_did_not_make_names_nothing(store: FileStore, key: str) -> None:
    with pytest.raises(FileNotFoundError):
        await store.get(key)
    with pytest.raises(FileNotFoundError):
        await store.delete(key)


async def test_a_prefix_cannot_smuggle_a_path(store: FileStore) -> None:
    key = await store.put("../../é/case 7", PNG)
    assert key.startswith("case7/") and await store.get(key) == PNG


async def test_the_local_store_writes_whole_files_only(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "files")
    await store.put("case-7", PNG)
    assert not list((tmp_path / "files").rglob("*.part"))


async def test_objects_live_below_the_urls_prefix_and_every_worker_reads_them(
    s3: S3Server,
) -> None:
    bucket = await s3.new_bucket()
    first, second = s3_store(s3, bucket, "support/files"), s3_store(s3, bucket, "support/files")
    try:
        key = await first.put("case-3", PNG)
        assert await s3.names(bucket) == [f"support/files/{key}"]
        assert await second.get(key) == PNG  # another worker, another machine: same bytes
        await second.delete(key)
        with pytest.raises(FileNotFoundError):
            await first.get(key)
    finally:
        await first.close()
        await second.close()


async def test_customers_files_go_to_the_bucket_through_the_portal(
    s3: S3Server, db: Database, database_url: str
) -> None:
    bucket = await s3.new_bucket()
    async with running_site(
        database_url,
        files_url=s3.url(bucket, "cb"),
        files_access_key_id=KEY_ID,
        files_secret_access_key=SECRET,
    ) as site:
        chat = await open_chat(site)
        mine = {"Authorization": f"Bearer {chat['token']}"}
        data = aiohttp.FormData()
        data.add_field("file", io.BytesIO(PNG), filename="screen.png", content_type="image/png")
        async with aiohttp.ClientSession() as http:
            sent = await http.post(f"{site.url}/files", data=data, headers=mine)
            assert sent.status == 201, await sent.text()
            back = await http.get(f"{site.url}{(await sent.json())['url']}", headers=mine)
            assert await back.read() == PNG
    (name,) = await s3.names(bucket)
    assert name.startswith("cb/case-1/")


async def test_a_store_in_trouble_fails_as_the_disk_would_with_an_os_error(
    s3: S3Server, tmp_path: Path
) -> None:
    gone = s3_store(s3, "no-such-bucket-here")
    away = S3FileStore(
        parse_files_url("s3://files?endpoint=http://127.0.0.1:9&region=eu-west-1"), "k", "s"
    )
    try:
        for store in (gone, away):
            with pytest.raises(OSError, match=r"S3 put case-1/\S+ (refused: NoSuchBucket|failed)"):
                await store.put("case-1", PNG)
            with pytest.raises(OSError):
                await store.get("case-1/" + "a" * 24)
            with pytest.raises(OSError):
                await store.delete("case-1/" + "a" * 24)
    finally:
        await gone.close()
        await away.close()


async def test_deleting_a_case_while_the_bucket_is_away_still_erases_it(
    s3: S3Server, db: Database, database_url: str
) -> None:
    bucket = await s3.new_bucket()
    async with running_site(
        database_url,
        files_url=s3.url(bucket),
        files_access_key_id=KEY_ID,
        files_secret_access_key=SECRET,
    ) as site:
        chat = await open_chat(site)
        ctx = site.services
        await attach_customer_file(ctx, chat["token"], "a.png", PNG)
        await end_chat(ctx, chat["token"])
        # The bucket goes away between the upload and the deletion (a lost bucket, a revoked key).
        ctx.files.location = parse_files_url(s3.url("no-such-bucket-here"))
        await delete_case(ctx, 1, "UBOB", is_admin=True)  # logged, not raised
        async with ctx.db.read() as uow:
            assert (await uow.cases.get(1)).deleted
            assert await uow.attachments.of_case(1) == []


async def test_the_secret_key_is_in_no_repr_and_no_log_line(
    s3: S3Server, caplog: pytest.LogCaptureFixture
) -> None:
    bucket = await s3.new_bucket()
    store = S3FileStore(parse_files_url(s3.url(bucket)), KEY_ID, SECRET)
    caplog.set_level(logging.DEBUG)
    try:
        await store.put("case-1", PNG)
    finally:
        await store.close()
    assert SECRET not in repr(store) and SECRET not in caplog.text


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_files_url_chooses_the_store_and_the_local_directory_stays_the_default() -> None:
    assert isinstance(file_store_from(settings()), LocalFileStore)
    chosen = settings(
        files_url="s3://acme-files/support?endpoint=http://127.0.0.1:9000&region=eu-west-1",
        files_access_key_id=KEY_ID,
        files_secret_access_key=SECRET,
    )
    store = file_store_from(chosen)
    assert isinstance(store, S3FileStore)
    location = store.location
    assert (location.bucket, location.prefix, location.region) == (
        "acme-files",
        "support/",
        "eu-west-1",
    )
    assert (location.endpoint, location.addressing) == ("http://127.0.0.1:9000", "path")
    assert SECRET not in repr(chosen) and SECRET not in repr(store)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"FILES_URL": "http://bucket/x"}, "FILES_URL: 'http://bucket/x' must start with s3://"),
        ({"FILES_URL": "s3://Bad_Bucket"}, "FILES_URL: 's3://Bad_Bucket' 'Bad_Bucket' is not a"),
        ({"FILES_URL": "s3://key:pw@bucket"}, "must not hold credentials: set FILES_ACCESS_KEY_ID"),
        ({"FILES_URL": "s3://bucket?endpont=x"}, "does not know endpont (it knows endpoint"),
        ({"FILES_URL": "s3://bucket?endpoint=ftp://h"}, "endpoint 'ftp://h' is not an http(s)"),
        ({"FILES_URL": "s3://bucket?region=EU WEST"}, "region 'EU WEST' is not a region name"),
        (
            {"FILES_URL": "s3://bucket", "FILES_SECRET_ACCESS_KEY": "hush-hush"},
            "FILES_ACCESS_KEY_ID and FILES_SECRET_ACCESS_KEY are set together or not at all",
        ),
    ],
)
def test_a_bad_files_setting_stops_start_up_with_one_line(
    env: dict[str, str], says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        load_settings(env_file=None)
    message = str(refused.value)
    assert says in message and "\n" not in message
    assert "hush-hush" not in message and "pw@" not in message
