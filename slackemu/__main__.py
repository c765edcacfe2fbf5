"""python -m slackemu: the stand-in on its own, printing where to find it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
from typing import Any

from slackemu.delivery import SLACK_RETRY_DELAYS
from slackemu.emulator import SlackEmu
from slackemu.mailcatcher import MailCatcher
from slackemu.seed import SeedError, load_seed


async def serve(args: argparse.Namespace) -> None:
    emu = SlackEmu(
        seed=args.workspace,
        port=args.port,
        bot_token=args.bot_token,
        signing_secret=args.signing_secret,
        app_url=args.app_url,
        app_token=args.app_token,
        retry_delays=args.retry_delays,
    )
    if args.smtp_port is not None:
        emu.mail = await MailCatcher(port=args.smtp_port, reply_via=args.reply_smtp).start()
    await emu.start()
    if args.print_ports:
        # For a launcher that asked for port 0: one line it can read, and nothing more.
        smtp_port = emu.mail.port if emu.mail is not None else None
        print(json.dumps({"port": emu.port, "smtp_port": smtp_port}), flush=True)
    else:
        _print_addresses(emu)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await emu.stop()
    if emu.mail is not None:
        await emu.mail.stop()


def _print_addresses(emu: SlackEmu) -> None:
    print(f"slackemu UI:      {emu.url}/", flush=True)
    print(f"slackemu Web API: {emu.api_url}  (bot token {emu.bot_token})", flush=True)
    if emu.mail is not None:
        print(f"mail catcher:     {emu.mail.url}  (caught mail at {emu.url}/mail)", flush=True)
    if emu.socket is not None:
        print("delivering by:    Socket Mode (apps.connections.open)", flush=True)
    elif emu.app_url:
        print(f"delivering to:    {emu.app_url} (signed HTTP)", flush=True)


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not host:port")
    return host, int(port)


def _delays(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of seconds: {text!r}") from None


def _seed_file(path: str) -> dict[str, Any]:
    try:
        return load_seed(path)
    except SeedError as problem:
        raise argparse.ArgumentTypeError(str(problem)) from None


def main() -> None:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line
    parser = argparse.ArgumentParser(prog="python -m slackemu", description=__doc__)
    parser.add_argument("--port", type=int, default=3100, help="0 picks a free port")
    parser.add_argument(
        "--print-ports",
        action="store_true",
        help='print only {"port": …, "smtp_port": …} once listening (for --port 0)',
    )
    parser.add_argument("--bot-token", default="xoxb-local")
    parser.add_argument("--signing-secret", default="local-signing-secret")
    parser.add_argument("--app-url", help="where signed HTTP requests are delivered")
    parser.add_argument(
        "--smtp-port", type=int, help="also run a mail catcher (SMTP on this port), shown at /mail"
    )
    parser.add_argument("--app-token", help="an xapp- token: serve Socket Mode instead")
    parser.add_argument(
        "--workspace",
        type=_seed_file,
        help="a JSON file of the users and channels to start with (see slackemu/README.md)",
    )
    parser.add_argument(
        "--reply-smtp",
        type=_host_port,
        help="host:port: caught mail can be answered from /mail, sent to this SMTP server",
    )
    parser.add_argument(
        "--retry-delays",
        type=_delays,
        default=SLACK_RETRY_DELAYS,
        help="seconds before each redelivery of an unacknowledged event (default 0,60,300)",
    )
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
