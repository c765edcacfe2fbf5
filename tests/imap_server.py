"""A real IMAP server for the tests: Debian's Dovecot, started in a temporary directory.

`make test` installs the package (dovecot-imapd); the system service is never used.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = os.environ.get("CASEBRIDGE_DOVECOT", "/usr/sbin/dovecot")
USER, PASSWORD = "support", "s3cret-test"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {uid}
# IDLE answers within a second of new mail even where inotify is not available.
mailbox_idle_check_interval = 1 secs
first_valid_gid = {gid}
mail_location = maildir:{root}/home/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class ImapServer:
    root: Path
    port: int

    @property
    def url(self) -> str:
        """What IMAP_URL would say to read this server's INBOX."""
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/INBOX?poll=1"

    def deliver(self, raw: bytes) -> None:
        """Put one message in the INBOX, as the company's mail server would."""
        client = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            client.login(USER, PASSWORD)
            client.append("INBOX", None, None, raw)
        finally:
            client.logout()

    def unseen(self) -> int:
        """How many INBOX messages are not flagged \\Seen yet."""
        client = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            client.login(USER, PASSWORD)
            client.select("INBOX", readonly=True)
            _, found = client.search(None, "UNSEEN")
        finally:
            client.logout()
        return len(found[0].split()) if found and found[0] else 0

    def wait_all_seen(self, timeout: float = 10) -> None:
        """Block until every INBOX message is flagged seen (the server has no way to tell us)."""
        deadline = time.monotonic() + timeout
        while self.unseen():
            if time.monotonic() > deadline:
                raise TimeoutError("messages still unseen")
            time.sleep(0.05)


def _mail_owner() -> tuple[int, int]:
    """Dovecot never stores mail as root: use our own user, else Debian's dovecot user."""
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    entry = pwd.getpwnam("dovecot")
    return entry.pw_uid, entry.pw_gid


def _unused_port() -> int:
    # Dovecot needs the number in its configuration; a clash is retried below.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5) as s:
        return s.recv(64).startswith(b"* OK")
    return False


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    """One Dovecot for the session, on a free loopback port."""
    if not shutil.which(DOVECOT):
        pytest.skip(f"no Dovecot at {DOVECOT}: run `make test`, which installs dovecot-imapd")
    uid, gid = _mail_owner()
    for _attempt in range(3):
        # Dovecot's own processes (other users) must reach these files: not under pytest's
        # private temporary directory.
        root = Path(tempfile.mkdtemp(prefix="casebridge-dovecot-"))
        root.chmod(0o755)
        for folder in ("run", "state", "home"):
            (root / folder).mkdir()
        os.chown(root / "home", uid, gid)
        (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        port = _unused_port()
        config = root / "dovecot.conf"
        config.write_text(CONFIG.format(root=root, uid=uid, gid=gid, port=port))
        process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None and not _answers(port):
            time.sleep(0.05)  # polling a child process's readiness, not a synchronisation sleep
        if process.poll() is None and _answers(port):
            try:
                yield ImapServer(root, port)
            finally:
                process.terminate()
                process.wait(10)
                shutil.rmtree(root, ignore_errors=True)
            return
        process.kill()
        process.wait(10)
    log = root / "dovecot.log"
    pytest.fail(f"Dovecot did not start: {log.read_text() if log.exists() else 'no log'}")
