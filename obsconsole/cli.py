"""Command line: `obsconsole [run] | demo | snapshot | check`.

Errors a user can fix (a bad config, a missing file) are one line on stderr and exit
code 2; `snapshot` and `check` exit with monitoring-plugin codes (0 OK, 1 WARNING,
2 CRITICAL, 3 UNKNOWN). Textual is imported only by the commands that draw.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from obsconsole import __version__, locations
from obsconsole.config import Config, ConfigError, demo_config, find_config_path, load_config
from obsconsole.model import IncidentConflict, IncidentStatus, Severity, SourceError

PROG = "obsconsole"

DESCRIPTION = """\
NAME
    obsconsole - a keyboard-driven operations console for on-call engineers

SYNOPSIS
    obsconsole [OPTIONS] [run]
    obsconsole [OPTIONS] demo [--seed N]
    obsconsole [OPTIONS] snapshot [--demo] [--format svg|txt|json] [--size WxH]
                                  [--timeout S] [--output FILE] [--incident ID]
    obsconsole [OPTIONS] check [--demo]
    obsconsole [OPTIONS] db migrate
    obsconsole [OPTIONS] incident new --title T --severity SEV --service S [--service S2]
                                      [--description D]
    obsconsole [OPTIONS] incident list [--all] [--format table|json]
    obsconsole [OPTIONS] incident show ID [--format text|json]
    obsconsole [OPTIONS] incident update ID [--status S [--reason R]] [--severity SEV]
                                         [--commander NAME] [--note TEXT]
    obsconsole [OPTIONS] incident export ID [--format md|json]
    obsconsole [OPTIONS] incident [ID] [--demo]

DESCRIPTION
    One screen of panes: infrastructure gauges, API latency percentiles, the error
    stream, SLO error budgets, alerts, Wazuh security events and open incidents. Each pane
    refreshes on its own schedule and shows the age of its data; a backend that fails
    turns only its own pane into an error state, keeping the last good data.

    Press ? in the console for every key, ctrl+p or : for the command palette.
"""

#: every command: (one-line summary, description). The description opens the command's
#: own --help and is its entry under COMMANDS in `obsconsole --help`.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": (
        "the console for the configured context (default)",
        "The console for the configured context (the default command).",
    ),
    "demo": (
        "the console against the built-in synthetic platform",
        "The console against a built-in synthetic platform: six hosts, five services, "
        "and a scripted incident about 20 s after start that recovers about two minutes "
        "later. Needs no backend and no config.",
    ),
    "snapshot": (
        "write the panes headless as svg, txt or json",
        "Headless: wait until every pane has its first result (or --timeout), write SVG, "
        "plain text or JSON, and exit with the worst health shown: 0/1/2/3 "
        "(OK/WARNING/CRITICAL/UNKNOWN).",
    ),
    "check": (
        "reachability, version and latency of each backend",
        "For each configured backend: reachable or not, version, latency. Exits 0 when "
        "every backend answers, 3 otherwise.",
    ),
    "db": (
        "the incident store's schema: db migrate",
        "db migrate: apply the incident store's schema migrations not applied yet (the "
        "console also does on first use, under the same lock). Needs the context's "
        "incidents dsn.",
    ),
    "incident": (
        "declare, list, show and update incidents in the shared store",
        "Incidents in the context's shared store (PostgreSQL, at the context's incidents "
        "dsn). new prints the new id; list shows the open ones (--all: every one); show prints "
        "one with its timeline; update changes status, severity or commander and adds "
        "notes; export writes a post-mortem skeleton (markdown or JSON). With an ID, or "
        "none (the most recent open incident), it opens that incident's war room; "
        "--demo: the demo's scripted incident. Every change is signed $USER@host and "
        "reaches every open console.",
    ),
}


def _commands_section() -> str:
    lines = ["COMMANDS"]
    for name, (_, description) in COMMANDS.items():
        wrapped = textwrap.wrap(description, width=70) or [""]
        lines.append(f"    {name:<12}{wrapped[0]}")
        lines.extend(f"    {'':<12}{rest}" for rest in wrapped[1:])
    return "\n".join(lines) + "\n"


EPILOG = _commands_section() + """\

FILES
    $XDG_CONFIG_HOME/obsconsole/config.yaml    the config (see config.example.yaml)
    $XDG_CONFIG_HOME/obsconsole/themes/*.yaml  extra themes (override shipped ones)
    $XDG_CONFIG_HOME/obsconsole/keymaps/*.yaml extra keymaps
    $XDG_CONFIG_HOME/obsconsole/keymap.yaml    single-binding overrides
    ($XDG_CONFIG_HOME defaults to ~/.config)

ENVIRONMENT
    OBSCONSOLE_CONFIG   config file when --config is not given
    NO_COLOR            select the monochrome theme (unless --theme is given)

EXIT STATUS (snapshot, check)
    0 OK   1 WARNING   2 CRITICAL   3 UNKNOWN (a backend could not be read)
    2 is also the code of a usage or config error, reported on stderr.

EXAMPLES
    obsconsole demo
    obsconsole --context prod --readonly
    obsconsole snapshot --demo --format txt --size 120x40
    obsconsole snapshot --format json --output /var/tmp/oc.json || page-someone
"""


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """Options accepted before and after the command (in the parser's own options
    section: one heading, not two)."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--config", metavar="PATH", default=default,
                        help="config file (default: $OBSCONSOLE_CONFIG, then $XDG_CONFIG_HOME/obsconsole/config.yaml)")
    parser.add_argument("--context", metavar="NAME", default=default, help="context (environment) of the config to use")
    parser.add_argument("--theme", metavar="NAME", default=default, help="dark, light, high-contrast, monochrome or a user theme")
    parser.add_argument("--keymap", metavar="NAME", default=default, help="default, vim, emacs or a user keymap")
    parser.add_argument("--readonly", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="hide every action that changes a system (ack, silence, runbooks)")
    parser.add_argument("--refresh", metavar="SECONDS", type=_positive_float, default=default,
                        help="refresh every pane at this interval instead of the configured ones")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text!r}")
    return value


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = text.lower().split("x")
        size = int(w), int(h)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT like 120x40, got {text!r}") from None
    if not (40 <= size[0] <= 500 and 10 <= size[1] <= 200):
        raise argparse.ArgumentTypeError(f"size out of range (40x10 to 500x200): {text!r}")
    return size


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO 8601 time like 2026-11-28T14:00:00Z, got {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage=argparse.SUPPRESS,
    )
    parser.add_argument("--version", action="version", version=f"obsconsole {__version__}")
    _common(parser, suppress=False)
    # `prog`: the sub-commands' usage lines read `usage: obsconsole snapshot …` (the main
    # parser's usage is suppressed, which argparse would otherwise build them from).
    # The list itself is the COMMANDS section of the epilog.
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", prog=PROG, help=argparse.SUPPRESS)

    def command(name: str) -> argparse.ArgumentParser:
        summary, description = COMMANDS[name]
        p = sub.add_parser(name, help=summary, description=description)
        _common(p, suppress=True)
        return p

    command("run")

    p_demo = command("demo")
    p_demo.add_argument("--seed", type=int, default=1, help="fixes the demo's randomness (default 1)")

    p_snap = command("snapshot")
    p_snap.add_argument("--demo", action="store_true", help="use the built-in demo platform")
    p_snap.add_argument("--seed", type=int, default=1, help="demo seed (default 1)")
    p_snap.add_argument("--format", choices=("svg", "txt", "json"), default="txt", help="output format (default txt)")
    p_snap.add_argument("--size", type=_size, default=(120, 40), metavar="WxH", help="screen size for svg/txt (default 120x40)")
    p_snap.add_argument("--timeout", type=_positive_float, default=15.0, metavar="S",
                        help="seconds to wait for every pane's first result (default 15)")
    p_snap.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    p_snap.add_argument("--at", type=_instant, metavar="TIME",
                        help="freeze the clock at this ISO 8601 time (reproducible demo snapshots)")
    p_snap.add_argument("--elapsed", type=float, default=None, metavar="S",
                        help="demo only: pretend the demo has been running S seconds (60 shows the incident)")
    p_snap.add_argument("--incident", type=int, metavar="ID",
                        help="the war room of incident ID instead of the overview (svg, txt or json)")

    p_check = command("check")
    p_check.add_argument("--demo", action="store_true", help="check the built-in demo platform")

    p_db = command("db")
    p_db.add_argument("action", choices=("migrate",), help="migrate: apply the migrations not applied yet")

    p_inc = command("incident")
    inc = p_inc.add_subparsers(dest="action", metavar="ACTION", required=True)
    new = inc.add_parser("new", help="declare an incident; prints its id")
    new.add_argument("--title", required=True)
    new.add_argument("--severity", required=True, choices=[s.value for s in Severity])
    new.add_argument("--service", action="append", required=True, metavar="S", help="an affected service (repeat for more)")
    new.add_argument("--description", default="")
    listing = inc.add_parser("list", help="open incidents, newest first")
    listing.add_argument("--all", action="store_true", help="resolved ones too")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    show = inc.add_parser("show", help="one incident and its timeline")
    show.add_argument("id", type=int)
    show.add_argument("--format", choices=("text", "json"), default="text")
    update = inc.add_parser("update", help="change status, severity or commander; add a note")
    update.add_argument("id", type=int)
    update.add_argument("--status", choices=[s.value for s in IncidentStatus])
    update.add_argument("--reason", default="", help="why (needed to reopen a resolved incident)")
    update.add_argument("--severity", choices=[s.value for s in Severity])
    update.add_argument("--commander")
    update.add_argument("--note")
    export = inc.add_parser("export", help="a post-mortem skeleton: timeline, key times, alerts, SLO budget")
    export.add_argument("id", type=int)
    export.add_argument("--format", choices=("md", "json"), default="md")
    export.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    war = inc.add_parser("open", help="the war room (the default action: `incident [ID]`)")
    war.add_argument("id", type=int, nargs="?", help="the incident (default: the most recent open one)")
    war.add_argument("--demo", action="store_true", help="the demo's scripted incident, on the demo platform")
    war.add_argument("--seed", type=int, default=1, help="demo seed (default 1)")
    _common(war, suppress=True)
    return parser


INCIDENT_ACTIONS = ("new", "list", "show", "update", "export", "open")
#: `incident --demo` opens the demo as if it had run this long: the scripted incident
#: declared 10 s before, not yet acknowledged (its clocks and the script go on live)
WAR_ROOM_DEMO_ELAPSED_S = 60.0


def _war_room_argv(argv: list[str]) -> list[str]:
    """`incident [ID] [--demo]` is `incident open [ID] [--demo]`: argparse's
    sub-commands cannot be optional, so the action is filled in."""
    if "incident" not in argv:
        return argv
    at = argv.index("incident")
    rest = argv[at + 1:]
    words = [w for w in rest if not w.startswith("-")]
    if rest and rest[0] in ("-h", "--help"):
        return argv
    if not any(w in INCIDENT_ACTIONS for w in words):
        return argv[:at + 1] + ["open"] + rest
    return argv


class UsageError(Exception):
    """A problem the user fixes on the command line; one line, exit 2."""


def _load(args: argparse.Namespace, demo: bool) -> Config:
    if demo:
        config = demo_config(getattr(args, "seed", 1))
    else:
        path = find_config_path(args.config)
        if path is None:
            raise UsageError(
                "no config file: give --config PATH or set OBSCONSOLE_CONFIG, or create "
                f"{locations.describe_default_config_file()} (see config.example.yaml); "
                "`obsconsole demo` needs none"
            )
        if not Path(path).is_file():
            raise UsageError(f"{path}: no such file")
        config = load_config(path, args.context)
    return config


def _override_panes(config: Config, refresh: float | None = None, timeout_cap: float | None = None) -> Config:
    """--refresh overrides every pane's interval; snapshot's --timeout caps each fetch's
    timeout. Done on the config so the UI and headless paths see the same schedules."""
    if refresh is None and timeout_cap is None:
        return config
    ctx = config.context

    def pane(p: Any) -> Any:
        return dataclasses.replace(
            p,
            refresh_s=refresh if refresh is not None else p.refresh_s,
            timeout_s=min(p.timeout_s, timeout_cap) if timeout_cap is not None else p.timeout_s,
        )

    panes = dataclasses.replace(ctx.panes, refresh={k: pane(v) for k, v in ctx.panes.refresh.items()})
    contexts = dict(config.contexts)
    contexts[ctx.name] = dataclasses.replace(ctx, panes=panes)
    return dataclasses.replace(config, contexts=contexts)


def _clock(at: datetime | None) -> Callable[[], datetime]:
    if at is None:
        return lambda: datetime.now(timezone.utc)
    return lambda: at


# --------------------------------------------------------------------------- commands


def cmd_run(args: argparse.Namespace, demo: bool) -> int:
    config = _override_panes(_load(args, demo), args.refresh)
    from obsconsole.ui.app import ObsConsoleApp

    app = ObsConsoleApp(config, readonly=args.readonly, theme=args.theme, keymap=args.keymap)
    app.run()
    # Textual sets 1 when the app ended on an exception: a crash must not exit 0
    return app.return_code or 0


async def _json_snapshot(config: Config, clock: Callable[[], datetime], elapsed: float, timeout: float) -> tuple[dict[str, Any], int]:
    """JSON is built from the hub's results directly: no screen involved."""
    from obsconsole.export import snapshot_document
    from obsconsole.session import Session

    session = Session.open(config.context, clock, demo_elapsed_s=elapsed)
    session.hub.start()
    try:
        await session.hub.wait_first(timeout_s=timeout)
    finally:
        await session.close()
    doc = snapshot_document(config.context, session.queries, session.hub.snapshots(), clock())
    return doc, doc["exit_code"]


async def _screen_snapshot(config: Config, args: argparse.Namespace, clock: Callable[[], datetime]) -> tuple[str, int]:
    from obsconsole.session import overall_health
    from obsconsole.ui.app import ObsConsoleApp
    from obsconsole.ui.headless import capture

    app = ObsConsoleApp(config, clock=clock, readonly=args.readonly, theme=args.theme,
                        keymap=args.keymap, demo_elapsed_s=_elapsed(args), war_room=args.incident)
    shot = await capture(app, args.size, args.timeout)
    if args.incident is not None:
        if shot.war_room_problem:
            raise UsageError(f"incident {args.incident}: {shot.war_room_problem}")
        code = shot.war_room_code
    else:
        code = int(overall_health(app.queries, shot.snapshots))
    return (shot.svg if args.format == "svg" else shot.text), code


def _elapsed(args: argparse.Namespace) -> float:
    """--elapsed, or for the demo's war room the time its incident shows."""
    if args.elapsed is not None:
        return float(args.elapsed)
    return WAR_ROOM_DEMO_ELAPSED_S if args.incident is not None and args.demo else 0.0


async def _war_room_json(config: Config, clock: Callable[[], datetime], args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    from obsconsole.export import war_room_document
    from obsconsole.session import Session

    if not args.demo:
        _require_store(config)
    session = Session.open(config.context, clock, demo_elapsed_s=_elapsed(args))
    session.hub.start()
    try:
        await session.hub.wait_first(timeout_s=args.timeout)
        record = await session.war_room(args.incident)
        burn = await session.slo_burn(record.incident)
    finally:
        await session.close()
    doc = war_room_document(record, burn, session.hub.snapshots(), config.context.channels, clock())
    return doc, doc["exit_code"]


def cmd_snapshot(args: argparse.Namespace) -> int:
    config = _override_panes(_load(args, args.demo), args.refresh, args.timeout)
    clock = _clock(args.at)
    if args.format == "json" and args.incident is not None:
        doc, code = asyncio.run(_war_room_json(config, clock, args))
        output = json.dumps(doc, indent=2, sort_keys=False) + "\n"
    elif args.format == "json":
        doc, code = asyncio.run(_json_snapshot(config, clock, _elapsed(args), args.timeout))
        output = json.dumps(doc, indent=2, sort_keys=False) + "\n"
    else:
        output, code = asyncio.run(_screen_snapshot(config, args, clock))
    _write(args.output, output)
    return code


def _write(path: str | None, text: str) -> None:
    """`text` to the file named by --output, else to stdout."""
    if path:
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{path}: cannot write: {exc.strerror}") from None
    else:
        sys.stdout.write(text)


def cmd_check(args: argparse.Namespace) -> int:
    config = _load(args, args.demo)
    from obsconsole.sources.build import build_sources, unconfigured_panes

    ctx = config.context
    sources = build_sources(ctx, _clock(None))

    async def describe() -> list[Any]:
        try:
            return await sources.describe()
        finally:
            await sources.aclose()  # in the loop the clients were made in

    statuses = asyncio.run(describe())
    rows = [(s.backend, s.target, "yes" if s.reachable else "NO", s.version or "–",
             "–" if s.latency_s is None else f"{s.latency_s * 1000:.0f} ms", s.detail) for s in statuses]
    print(f"context {ctx.name}")
    header = ("BACKEND", "TARGET", "REACHABLE", "VERSION", "LATENCY", "DETAIL")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    left_out = unconfigured_panes(sources)
    if left_out:
        names = {"incidents": "incident store"}
        print("panes left out: " + ", ".join(f"{pid} (no {names.get(backend, backend)})" for pid, backend in left_out.items()))
    if not rows:
        print("no backends configured")
        return 3
    return 0 if all(r[2] == "yes" for r in rows) else 3


def _store(args: argparse.Namespace) -> Any:
    """The context's incident store, its schema migrated."""
    config = _load(args, False)
    ctx = config.context
    _require_store(config)
    from obsconsole.actions.audit import actor
    from obsconsole.sources.incidents import IncidentStore

    return IncidentStore(ctx.backends.incidents.dsn, actor(), timeout_s=ctx.backends.incidents.timeout_s)


def _require_store(config: Config) -> None:
    """A UsageError unless the context has an incident store."""
    ctx = config.context
    if ctx.backends.incidents is None:
        raise UsageError(f"context '{ctx.name}' has no incident store: add incidents: {{dsn: ...}} to it in {config.path}")


def cmd_db(args: argparse.Namespace) -> int:
    store = _store(args)

    async def migrate() -> list[int]:
        try:
            return await store.migrate()
        finally:
            await store.aclose()

    applied = asyncio.run(migrate())
    print(f"applied migrations {', '.join(map(str, applied))}" if applied else f"schema up to date ({store.where})")
    return 0


def cmd_war_room(args: argparse.Namespace) -> int:
    """`obsconsole incident [ID] [--demo]`: the console opened on one incident's war room."""
    config = _override_panes(_load(args, args.demo), args.refresh)
    if not args.demo:
        _require_store(config)
    from obsconsole.ui.app import ObsConsoleApp

    target: int | str = args.id if args.id is not None else ("latest" if not args.demo else 1)
    app = ObsConsoleApp(config, readonly=args.readonly, theme=args.theme, keymap=args.keymap,
                        demo_elapsed_s=WAR_ROOM_DEMO_ELAPSED_S if args.demo else 0.0, war_room=target)
    app.run()
    return app.return_code or 0


async def _export(args: argparse.Namespace) -> int:
    """`incident export`: the post-mortem skeleton, with the SLO budget the context's
    Prometheus says was spent (one session: its store and its SLO source)."""
    from obsconsole.logic import postmortem
    from obsconsole.session import Session

    config = _load(args, False)
    _require_store(config)
    session = Session.open(config.context, _clock(None))
    try:
        record = await session.war_room(args.id)
        burn = await session.slo_burn(record.incident)
    finally:
        await session.close()
    review = postmortem.review(record.incident, record.events, record.linked, burn)
    now = datetime.now(timezone.utc)
    text = (postmortem.to_markdown(review, now) if args.format == "md"
            else json.dumps(postmortem.to_json(review, now), indent=2, ensure_ascii=False) + "\n")
    _write(args.output, text)
    return 0


def cmd_incident(args: argparse.Namespace) -> int:
    from obsconsole.export import jsonable
    from obsconsole.logic.sanitize import clean

    if args.action == "open":
        return cmd_war_room(args)
    if args.action == "export":
        return asyncio.run(_export(args))
    store = _store(args)

    async def run() -> int:
        try:
            await store.migrate()
            if args.action == "new":
                incident = await store.declare(args.title, Severity(args.severity), args.service, args.description)
                print(incident.id)
            elif args.action == "list":
                found = await store.list(include_resolved=args.all)
                if args.format == "json":
                    print(json.dumps(jsonable(found), indent=2))
                else:
                    rows = [("ID", "SEVERITY", "STATUS", "COMMANDER", "DECLARED", "TITLE")] + [
                        (str(i.id), i.severity.value, i.status.value, clean(i.commander or "–", 30),
                         f"{i.created_at:%Y-%m-%d %H:%M} UTC", clean(i.title, 80)) for i in found]
                    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
                    for r in rows:
                        print("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
            elif args.action == "show":
                incident = await store.get(args.id)
                events = await store.events(args.id)
                if args.format == "json":
                    print(json.dumps({"incident": jsonable(incident), "timeline": jsonable(events)}, indent=2))
                else:
                    print(f"#{incident.id} {clean(incident.title, 200)}")
                    print(f"  {incident.severity.value} · {incident.status.value} · commander "
                          f"{clean(incident.commander or '–', 60)} · services {', '.join(clean(s, 60) for s in incident.services)}")
                    for e in events:
                        print(f"  {e.at:%Y-%m-%d %H:%M:%S} UTC  {clean(e.actor, 60)}  {e.kind}  "
                              f"{clean(json.dumps(dict(e.payload), ensure_ascii=False), 300)}")
            else:
                return await _update(args)
            return 0
        finally:
            await store.aclose()

    async def _update(args: argparse.Namespace) -> int:
        changed = args.status or args.severity or args.commander
        if not changed and not args.note:
            raise UsageError("incident update: nothing to change (give --status, --severity, --commander or --note)")
        if changed:
            current = await store.get(args.id)
            await store.update(args.id, current.version,
                               status=IncidentStatus(args.status) if args.status else None, reason=args.reason,
                               severity=Severity(args.severity) if args.severity else None, commander=args.commander)
        if args.note:
            await store.note(args.id, args.note)
        print(f"incident {args.id} updated")
        return 0

    return asyncio.run(run())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_war_room_argv(list(sys.argv[1:] if argv is None else argv)))
    command = args.command or "run"
    try:
        if command == "run":
            return cmd_run(args, demo=False)
        if command == "demo":
            return cmd_run(args, demo=True)
        if command == "snapshot":
            return cmd_snapshot(args)
        if command == "check":
            return cmd_check(args)
        if command == "db":
            return cmd_db(args)
        if command == "incident":
            return cmd_incident(args)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except IncidentConflict as exc:
        print(f"{PROG}: {exc}: nothing was written; look again and retry", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except SourceError as exc:
        wrote = getattr(args, "action", "") in ("new", "update", "migrate")
        print(f"{PROG}: {exc.message}{': nothing was written' if wrote else ''}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130
    parser.error(f"unknown command {command!r}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
