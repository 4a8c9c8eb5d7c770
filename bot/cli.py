"""The `schoolgate` command line. Every error is one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import NoReturn, TypeVar

from bot.config import Config, ConfigError, load_config, warnings
from bot.store import Session, Store

T = TypeVar("T")

log = logging.getLogger("schoolgate")


class CliError(Exception):
    """A problem to report in one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed in one line
        return exc.code if isinstance(exc.code, int) else 2
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        return _fail(str(exc))
    except CliError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a last resort: one line, never a traceback
        log.debug("unexpected error", exc_info=True)
        return _fail(f"unexpected error: {type(exc).__name__}: {exc}", code=1)


def _fail(message: str, code: int = 2) -> int:
    print(f"schoolgate: {message}", file=sys.stderr)
    return code


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="schoolgate",
        description="Keeps parents' class group chats within the school's code of conduct.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND", parser_class=_Parser)

    run = commands.add_parser("run", help="run the bot on every platform the config enables")
    run.add_argument("--config", required=True, metavar="FILE")
    run.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING"])
    run.set_defaults(handler=_run)

    demo = commands.add_parser("demo", help="replay a sample parents' chat on the local platform")
    demo.add_argument("--interactive", action="store_true", help="type as parents and SLT")
    demo.add_argument("--db", metavar="FILE", help="keep the demo's database in this file")
    demo.add_argument("--pace", type=float, default=None, help="seconds between scripted steps")
    demo.set_defaults(handler=_demo)

    scan = commands.add_parser("scan", help="check messages from a JSONL file against the rules")
    scan.add_argument("--config", required=True, metavar="FILE")
    scan.add_argument("--school", metavar="ID", help="needed when the config has several schools")
    scan.add_argument("--format", choices=["jsonl", "table"], default="jsonl")
    scan.add_argument("input", metavar="INPUT", help="a .jsonl file of {id, text}, or - for stdin")
    scan.set_defaults(handler=_scan)

    check = commands.add_parser("check-config", help="validate a config file and summarise it")
    check.add_argument("file", metavar="FILE")
    check.set_defaults(handler=_check_config)

    export = commands.add_parser("export", help="everything held about one person, as JSON")
    export.add_argument("--config", required=True, metavar="FILE")
    export.add_argument("--user", required=True, metavar="PLATFORM:ID", type=_user)
    export.set_defaults(handler=_export)

    erase = commands.add_parser("erase", help="erase everything held about one person")
    erase.add_argument("--config", required=True, metavar="FILE")
    erase.add_argument("--user", required=True, metavar="PLATFORM:ID", type=_user)
    erase.add_argument("--yes", action="store_true", help="confirm the erasure")
    erase.set_defaults(handler=_erase)

    link = commands.add_parser(
        "telegram-link", help="print the link SLT open once to receive alerts on Telegram"
    )
    link.add_argument("--config", required=True, metavar="FILE")
    link.set_defaults(handler=_telegram_link)
    return parser


def _user(value: str) -> tuple[str, str]:
    platform, _, user_id = value.partition(":")
    if platform not in ("telegram", "discord", "slack", "local") or not user_id:
        raise argparse.ArgumentTypeError(
            f"expected PLATFORM:ID such as telegram:1234, not {value!r}"
        )
    return platform, user_id


# ---- run ----


def _run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = load_config(args.config)
    if not config.enabled_platforms:
        raise CliError(f"{args.config}: no platform section (telegram:, discord:, slack:, local:)")
    asyncio.run(_serve(config))
    return 0


async def _serve(config: Config) -> None:
    from bot.app import App, build_platforms

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with App(config, build_platforms(config)):
        log.info(
            "schoolgate is running on %s; Ctrl-C stops it", ", ".join(config.enabled_platforms)
        )
        await stop.wait()
        log.info("stopping: undelivered actions stay stored for the next start")


# ---- telegram-link ----


def _telegram_link(args: argparse.Namespace) -> int:
    from bot.app import telegram_links

    config = load_config(args.config)
    if config.telegram is None:
        raise CliError(f"{args.config}: no 'telegram:' section")
    try:
        links = asyncio.run(telegram_links(config))
    except RuntimeError as exc:
        raise CliError(str(exc)) from None
    for school, url, contacts in links:
        who = ", ".join(contacts) or "nobody yet: add SLT contacts with a telegram id"
        print(f"{school}: {url}\n  send to: {who}")
    return 0


# ---- demo ----


def _demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo(interactive=args.interactive, db=args.db, pace=args.pace)


# ---- scan and check-config ----


def _scan(args: argparse.Namespace) -> int:
    from rich.console import Console

    from bot.scan import InputError, choose_school, read_items, scan, write_jsonl, write_table
    from rules import RulesEngine

    config = load_config(args.config)
    try:
        school = choose_school(config, args.school, args.config)
        if args.input == "-":
            items = read_items(sys.stdin, "<stdin>")
        else:
            try:
                with open(args.input, encoding="utf-8") as handle:
                    items = read_items(handle, args.input)
            except FileNotFoundError:
                raise CliError(f"{args.input}: no such file") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise CliError(f"{args.input}: cannot read: {exc}") from None
    except InputError as exc:
        raise CliError(str(exc)) from None
    results = scan(items, school, RulesEngine())
    if args.format == "table":
        write_table(results, Console())
    else:
        write_jsonl(results, sys.stdout)
    return 0


def _check_config(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.file)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    print(f"{args.file}: OK")
    for school in config.schools:
        chats = ", ".join(f"{c.platform}:{c.id}" for c in school.chats) or "none"
        print(
            f"  school {school.id} ({school.name}): {len(school.staff)} staff, "
            f"{len(school.pupils)} pupils, {len(school.slt)} SLT, "
            f"{len(school.dsl) + len(school.dsl_deputies)} safeguarding, "
            f"{len(school.fallback)} fallback, {len(school.admins)} admins; "
            f"chats: {chats}; code of conduct version {school.policy.version}"
        )
    platforms = ", ".join(config.enabled_platforms) or "none (scan only)"
    print(f"  platforms: {platforms}; database: {config.storage.path}")
    print(f"  retention: {config.policy.retention_days} days")
    for note in warnings(config):
        print(f"  warning: {note}")
    return 0


# ---- a data subject's requests ----


def _export(args: argparse.Namespace) -> int:
    platform, user_id = args.user
    data = asyncio.run(
        _with_store(_database(args.config), lambda s: s.export_user(platform, user_id))
    )
    print(json.dumps(data, indent=2, ensure_ascii=False))
    return 0


def _erase(args: argparse.Namespace) -> int:
    platform, user_id = args.user
    if not args.yes:
        data = asyncio.run(
            _with_store(_database(args.config), lambda s: s.export_user(platform, user_id))
        )
        counts = {k: len(v) for k, v in data.items() if isinstance(v, list)}
        raise CliError(
            f"would erase for {platform}:{user_id}: "
            + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items())
            + "; run again with --yes to erase"
        )
    counts = asyncio.run(
        _with_store(_database(args.config), lambda s: s.erase_user(platform, user_id), write=True)
    )
    print(
        f"erased {platform}:{user_id}: "
        + ", ".join(f"{n} {name}" for name, n in counts.items())
        + " (audit entries kept without the person)"
    )
    return 0


def _database(config_path: str) -> Path:
    config = load_config(config_path)
    path = Path(config.storage.path)
    if not path.exists():
        raise CliError(f"{path}: no database here (storage.path in {config_path})")
    return path


async def _with_store(
    path: Path, work: Callable[[Session], Awaitable[T]], *, write: bool = False
) -> T:
    async with Store(path) as store, store.transaction() if write else store.read() as s:
        return await work(s)
