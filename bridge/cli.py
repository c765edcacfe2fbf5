"""The `casebridge` command: run the service, migrate the database, set up portals."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.core.errors import DomainError
from bridge.core.portals import Portal
from bridge.core.routing import Mode, parse_mode
from bridge.links import embed_snippets
from bridge.log_limits import limit_repeats
from bridge.settings import ConfigError, Settings, load_settings

# The server, bolt, Socket.IO and the database are imported by the commands that use them, so
# `casebridge --help` and a mistyped command answer at once (a test checks sys.modules).
if TYPE_CHECKING:
    from bridge.services.context import ServiceContext

EXIT_USAGE = 2
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class CliError(Exception):
    """A refusal to print as one line, exiting with status 2."""


def describe(portal: Portal) -> str:
    """One portal as one line of text."""
    status = "active" if portal.active else "inactive"
    channel = portal.channel_id or "no channel"
    return (
        f"{portal.subdomain}\t{portal.company}\t{portal.mode.value}\t{status}\t{channel}"
        f"\t{portal.language}"
    )


async def _require_current_schema(settings: Settings) -> None:
    from storage import migrate

    if not await migrate.is_current(settings.database_url):
        raise CliError("the database schema is not up to date: run `casebridge db upgrade`")


async def _with_services(
    settings: Settings, work: Callable[[ServiceContext], Awaitable[None]]
) -> None:
    from bridge.bootstrap import bootstrap

    await _require_current_schema(settings)
    components = bootstrap(settings)
    try:
        await work(components.services)
    finally:
        await components.db.dispose()


EXIT_PROBLEMS = 1


async def _doctor(settings: Settings) -> int:
    """Print one line per problem with its fix (or that all is well); 1 if any."""
    from bridge import views
    from bridge.slack.doctor import checkup, setup_from

    found: list[Portal] = []

    async def load(ctx: ServiceContext) -> None:
        found.extend(await views.portals(ctx))

    await _with_services(settings, load)
    report = await checkup(setup_from(settings), found)
    if report.ok:
        mode = "Socket Mode" if settings.slack_app_token else "the request URL"
        print(
            f"casebridge doctor: all good — the bot token, its scopes, {len(found)} portal "
            f"channel(s) and {mode}."
        )
        return 0
    print(f"casebridge doctor: {len(report.problems)} problem(s)")
    for problem in report.problems:
        print(f"✗ {problem}")
    return EXIT_PROBLEMS


def _portal_command(
    args: argparse.Namespace, public_url: str
) -> Callable[[ServiceContext], Awaitable[None]]:
    async def work(ctx: ServiceContext) -> None:
        from bridge.services import portals as portal_services

        if args.verb == "create":
            portal = await portal_services.create_portal(
                ctx,
                company=args.company,
                subdomain=args.subdomain,
                mode=parse_mode(args.mode),
                channel_id=args.channel,
                language=args.language,
            )
            print(f"created portal {describe(portal)}")
        elif args.verb == "list":
            for portal in await portal_services.list_portals(ctx):
                print(describe(portal))
        elif args.verb == "show":
            print(describe(await portal_services.get_portal(ctx, args.subdomain)))
        elif args.verb in ("activate", "deactivate"):
            portal = await portal_services.update_portal(
                ctx, args.subdomain, active=args.verb == "activate"
            )
            print(describe(portal))
        elif args.verb == "channel":
            portal = await portal_services.update_portal(
                ctx, args.subdomain, channel_id=args.channel
            )
            print(describe(portal))
        elif args.verb == "embed":
            portal = await portal_services.get_portal(ctx, args.subdomain)
            snippets = embed_snippets(public_url, portal.subdomain, portal.company)
            print(
                f"stand-alone page:\n  {snippets['url']}\npop-up window:\n  {snippets['popup']}"
                f"\nchat widget:\n  {snippets['widget']}"
            )
        elif args.verb == "mode":
            portal = await portal_services.update_portal(
                ctx, args.subdomain, mode=parse_mode(args.mode)
            )
            print(describe(portal))

    return work


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casebridge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="serve the portal and the Slack bridge")
    run.add_argument("--host", help="overrides HOST")
    run.add_argument("--port", type=int, help="overrides PORT")
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes on this machine (needs PostgreSQL and REDIS_URL)",
    )
    run.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    dev = sub.add_parser(
        "dev", help="run with a local Slack stand-in, mail catcher and demo data where unset"
    )
    dev.add_argument("--port", type=int, help="casebridge's port (overrides PORT)")
    dev.add_argument("--slack-port", type=int, default=3100, help="the local Slack's port")
    dev.add_argument("--smtp-port", type=int, default=2525, help="the mail catcher's port")
    dev.add_argument(
        "--inbound-smtp-port",
        type=int,
        help="where replies to caught mail come back (default: the catcher's port + 1)",
    )
    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade"])
    sub.add_parser(
        "doctor",
        help="check the Slack set-up: token, scopes, portal channels, Socket Mode or request URL",
    )
    portal = sub.add_parser("portal", help="create and configure portals")
    verbs = portal.add_subparsers(dest="verb", required=True)
    create = verbs.add_parser("create")
    create.add_argument("--company", required=True)
    create.add_argument("--subdomain", required=True)
    create.add_argument(
        "--mode", default=Mode.BROADCAST.value, help="|".join(m.value for m in Mode)
    )
    create.add_argument("--channel", help="Slack channel id the cases go to")
    create.add_argument("--language", default="en", help="en, pt-BR, fr or es")
    verbs.add_parser("list")
    for verb in ("show", "activate", "deactivate"):
        verbs.add_parser(verb).add_argument("subdomain")
    channel = verbs.add_parser("channel", help="send the portal's cases to another channel")
    channel.add_argument("subdomain")
    channel.add_argument("channel", help="Slack channel id, e.g. C0123ABCD")
    verbs.add_parser("embed", help="the three ways to put the portal on a site").add_argument(
        "subdomain"
    )
    mode = verbs.add_parser("mode")
    mode.add_argument("subdomain")
    mode.add_argument("mode", help="|".join(m.value for m in Mode))
    return parser


def _where_the_portals_are(settings: Settings) -> Settings:
    """The running demo's database and address when none is set; else a clear way forward."""
    from bridge.demo_run import RUN_FILE, running_demo

    given = settings.model_fields_set
    if "database_url" in given:
        return settings
    demo = running_demo()
    if demo is not None:
        print(
            f"casebridge: using the running demo's database ({RUN_FILE.parent}/, "
            f"make run on port {demo['port']}); set DATABASE_URL to use another",
            file=sys.stderr,
        )
        changes = {"database_url": demo["database_url"]}
        if "public_url" not in given:
            changes["public_url"] = demo["public_url"]
        return Settings.model_validate({**settings.model_dump(), **changes})
    prefix = "sqlite+aiosqlite:///"
    if settings.database_url.startswith(prefix):
        path = Path(settings.database_url.removeprefix(prefix))
        if not path.exists():
            # Opening it would create an empty database here, and then send the user to migrate.
            raise CliError(
                f"no database at {path} and no demo running here: start `make run` in this "
                "folder (the CLI then uses its database), set DATABASE_URL to your database, "
                f"or create an empty one here with `casebridge db upgrade`"
            )
    return settings


def _serve(settings: Settings, reuse_port: bool = False) -> None:
    from aiohttp import web

    from bridge.bootstrap import bootstrap
    from bridge.web import create_app, worker_slot

    asyncio.run(_require_current_schema(settings))
    components = bootstrap(settings)
    app = create_app(components)
    app.cleanup_ctx.insert(0, worker_slot(components))
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        reuse_port=reuse_port or None,
        # aiohttp names its sites once they listen, with the port the system gave for PORT=0.
        print=lambda text: print(
            "casebridge listening on " + ", ".join(re.findall(r"https?://\S+", text)), flush=True
        ),
    )


def _dev(args: argparse.Namespace, settings: Settings) -> None:
    from bridge.local_run import LocalPorts, StartError, run_local

    ports = LocalPorts(
        settings.port if args.port is None else args.port,
        args.slack_port,
        args.smtp_port,
        args.inbound_smtp_port,
    )
    try:
        asyncio.run(run_local(settings, ports))
    except StartError as exc:
        raise CliError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    limit_repeats()
    if args.command != "db":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = load_settings()
        if args.command == "run":
            overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v}
            if overrides:
                settings = Settings.model_validate({**settings.model_dump(), **overrides})
            from bridge.workers import run_workers, why_not_several

            if (problem := why_not_several(settings, args.workers)) is not None:
                raise ConfigError(problem)
            if args.workers > 1:
                forwarded = [
                    f"--{k}={v}" for k, v in (("host", args.host), ("port", args.port)) if v
                ]
                raise SystemExit(run_workers(args.workers, forwarded))
            _serve(settings, args.reuse_port)
        elif args.command == "dev":
            _dev(args, settings)
        elif args.command == "db":
            from storage import migrate

            asyncio.run(migrate.upgrade(settings.database_url))
            print("database is up to date")
        elif args.command == "doctor":
            return asyncio.run(_doctor(settings))
        elif args.command == "portal":
            settings = _where_the_portals_are(settings)
            asyncio.run(_with_services(settings, _portal_command(args, settings.public_url)))
    except ConfigError as exc:
        print(f"casebridge: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (CliError, DomainError) as exc:
        print(f"casebridge: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0


if __name__ == "__main__":
    sys.exit(main())
