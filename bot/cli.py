"""The `schoolgate` command line. Every error is one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NoReturn, TypeVar

from bot.backup import BackupError, backup
from bot.clock import first_of
from bot.config import Config, ConfigError, LearnedUse, Mode, School, load_config, warnings
from bot.model import ChatRef
from bot.platform import PlatformSetupError
from bot.runlock import AlreadyRunning
from bot.store import DatabaseGone, DatabaseMissing, NewerDatabaseError, Session, Store

if TYPE_CHECKING:
    from bot.reports.term import TermReport
    from bot.whatsapp_scan import Judged
    from learned import Detector

T = TypeVar("T")

log = logging.getLogger("schoolgate")


class CliError(Exception):
    """A problem to report in one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed in one line
        return exc.code if isinstance(exc.code, int) else 2
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        return _fail(str(exc))
    except (
        CliError,
        AlreadyRunning,
        BackupError,
        DatabaseGone,
        NewerDatabaseError,
        PlatformSetupError,
    ) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a last resort: one line, never a traceback
        log.debug("unexpected error", exc_info=True)
        return _fail(f"unexpected error: {type(exc).__name__}: {exc}", code=1)


def _fail(message: str, code: int = 2) -> int:
    print(f"schoolgate: {message}", file=sys.stderr)
    return code


CONFIG_HELP = "the school's config file (YAML); see config.example.yaml"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="schoolgate",
        description="Keeps parents' class group chats within the school's code of conduct.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {_version()}", help="show the version"
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND", parser_class=_Parser)

    run = commands.add_parser("run", help="run the bot on every platform the config enables")
    run.add_argument("--config", required=True, metavar="FILE", help=CONFIG_HELP)
    run.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING"],
        help="how much to log (default INFO; message text is never logged at INFO)",
    )
    run.add_argument(
        "--init",
        action="store_true",
        help="create the database if there is none (a first run); without this, run refuses "
        "to start without one rather than begin again with an empty one",
    )
    run.set_defaults(handler=_run)

    init = commands.add_parser(
        "init", help="create the database the config names, before the first run"
    )
    init.add_argument("--config", required=True, metavar="FILE", help=CONFIG_HELP)
    init.set_defaults(handler=_init)

    demo = commands.add_parser("demo", help="replay a sample parents' chat on the local platform")
    demo.add_argument("--interactive", action="store_true", help="type as parents and SLT")
    demo.add_argument(
        "--db", metavar="FILE", help="keep the demo's database in this file (else it is removed)"
    )
    demo.add_argument(
        "--pace",
        type=float,
        default=None,
        metavar="SECONDS",
        help="seconds between scripted steps (default 0.8 on a terminal, else 0)",
    )
    demo.add_argument(
        "--report", metavar="FILE", help="write the SLT report (HTML) of the demo here at the end"
    )
    demo.set_defaults(handler=_demo)

    scan = commands.add_parser(
        "scan", help="check a JSONL file of messages or a WhatsApp chat export against the rules"
    )
    scan.add_argument("--config", required=True, metavar="FILE", help=CONFIG_HELP)
    scan.add_argument("--school", metavar="ID", help="needed when the config has several schools")
    scan.add_argument(
        "--format",
        choices=["jsonl", "table", "html"],
        default="jsonl",
        help="one JSON line per message (default), a table to read, or an HTML report (--out)",
    )
    scan.add_argument(
        "--input-format",
        choices=["jsonl", "whatsapp"],
        help="what INPUT is (default: found from its content)",
    )
    scan.add_argument("--out", metavar="FILE", help="where --format html writes the report")
    scan.add_argument(
        "--record",
        action="store_true",
        help="store a WhatsApp export's flagged messages as incidents (nothing is sent)",
    )
    scan.add_argument("--db", metavar="FILE", help="database for --record (default: the config's)")
    scan.add_argument("--chat", metavar="NAME", help="the chat's name (default: from the export)")
    scan.add_argument(
        "--rules-only",
        action="store_true",
        help="the rules core alone, without the learned second opinion (faster)",
    )
    scan.add_argument(
        "input",
        metavar="INPUT",
        help="a .jsonl file of {id, text}, a WhatsApp export (.txt or .zip), or - for stdin",
    )
    scan.set_defaults(handler=_scan)

    report = commands.add_parser(
        "report", help="the SLT report on a period: incidents, handling, repeat senders, charts"
    )
    report.add_argument("--config", required=True, metavar="FILE", help=CONFIG_HELP)
    report.add_argument("--school", metavar="ID", help="one school (default: every school)")
    report.add_argument(
        "--from",
        dest="first",
        type=_date,
        metavar="DATE",
        help="first day, YYYY-MM-DD (default: 13 weeks before --to)",
    )
    report.add_argument(
        "--to", dest="last", type=_date, metavar="DATE", help="last day, included (default: today)"
    )
    report.add_argument(
        "--format",
        choices=["html", "json", "csv"],
        default="html",
        help="a page to read and print (default), or the same figures as JSON or CSV",
    )
    report.add_argument(
        "--out", required=True, metavar="FILE", help="where to write it (readable by you only)"
    )
    report.add_argument(
        "--names", action="store_true", help="name repeat senders (default: Sender 1, 2, ...)"
    )
    report.add_argument("--db", metavar="FILE", help="the database (default: the config's)")
    report.set_defaults(handler=_report)

    check = commands.add_parser("check-config", help="validate a config file and summarise it")
    check.add_argument("file", metavar="FILE", help=CONFIG_HELP)
    check.set_defaults(handler=_check_config)

    export = commands.add_parser("export", help="everything held about one person, as JSON")
    export.add_argument("--config", required=True, metavar="FILE", help=CONFIG_HELP)
    export.add_argument("--user", required=True, metavar="PLATFORM:ID", type=_user, help=USER_HELP)
    export.set_defaults(handler=_export)

    erase = commands.add_parser("erase", help="erase everything held about one person")
    erase.add_argument("--config", required=True, metavar="FILE", help=CONFIG_HELP)
    erase.add_argument("--user", required=True, metavar="PLATFORM:ID", type=_user, help=USER_HELP)
    erase.add_argument("--yes", action="store_true", help="confirm the erasure")
    erase.set_defaults(handler=_erase)

    link = commands.add_parser(
        "telegram-link", help="print the link SLT open once to receive alerts on Telegram"
    )
    link.add_argument("--config", required=True, metavar="FILE", help=CONFIG_HELP)
    link.set_defaults(handler=_telegram_link)

    copy = commands.add_parser(
        "backup", help="copy the database safely, even while the bot is running"
    )
    copy.add_argument(
        "--db", required=True, metavar="FILE", help="the database (storage.path in the config)"
    )
    copy.add_argument(
        "--to",
        required=True,
        metavar="FILE",
        help="the new backup file; it must not exist yet, and is made readable by you only",
    )
    copy.set_defaults(handler=_backup)
    return parser


USER_HELP = "the person, as platform:id, e.g. telegram:123456789 or slack:U0123ABCD"


def _version() -> str:
    try:
        return metadata.version("schoolgate")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _user(value: str) -> tuple[str, str]:
    platform, _, user_id = value.partition(":")
    if platform not in ("telegram", "discord", "slack", "local", "whatsapp") or not user_id:
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
    stops = [advice.text for advice in config.advice if advice.stops_run]
    if stops:
        raise ConfigError(stops)
    for advice in config.advice:
        log.warning("%s", advice.text)
    try:
        asyncio.run(_serve(config, create_database=args.init))
    except DatabaseMissing as exc:
        raise CliError(
            f"{exc} (storage.path in {args.config}): create it once with `schoolgate init "
            f"--config {args.config}`, or restore the backup if it was lost"
        ) from None
    return 0


async def _serve(config: Config, *, create_database: bool) -> None:
    from bot.app import App, build_platforms

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    platforms = build_platforms(config)
    async with App(config, platforms, create_database=create_database) as app:
        log.info(
            "schoolgate is running on %s; Ctrl-C stops it", ", ".join(config.enabled_platforms)
        )
        fatal = asyncio.ensure_future(app.fatal())
        await first_of(stop.wait(), fatal)
        log.info("stopping: undelivered actions stay stored for the next start")
    if fatal.done() and not fatal.cancelled():
        # A platform refused its settings, or the database file is gone: the admin must act.
        raise fatal.result()


# ---- init ----


def _init(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    path = Path(config.storage.path)
    existed = path.exists()
    try:
        version = asyncio.run(_create(path))
    except FileNotFoundError as exc:  # the folder is missing: a wrong path, not made here
        raise CliError(str(exc)) from None
    state = "already exists" if existed else "created, readable by its owner only"
    print(f"{path}: {state}; database schema version {version}")
    return 0


async def _create(path: Path) -> int:
    async with Store(path, create=True) as store:
        return store.schema_version


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

    try:
        return run_demo(
            interactive=args.interactive, db=args.db, pace=args.pace, report=args.report
        )
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None


# ---- scan and check-config ----


def _detector(args: argparse.Namespace, config: Config, school: School) -> Detector:
    """Both stages, unless `--rules-only` or the school turned the learned stage off."""
    from learned import Detector, ModelFileError

    off = config.settings_for(school).learned is LearnedUse.OFF
    try:
        return Detector.shipped(rules_only=args.rules_only or off)
    except ModelFileError as exc:
        raise CliError(f"{exc} (reinstall schoolgate, or use --rules-only)") from None


def _scan(args: argparse.Namespace) -> int:
    from rich.console import Console

    from bot.scan import (
        InputError,
        choose_school,
        detect_format,
        read_items,
        scan,
        write_jsonl,
        write_table,
    )

    config = load_config(args.config)
    try:
        school = choose_school(config, args.school, args.config)
    except InputError as exc:
        raise CliError(str(exc)) from None
    given = _Input(args.input)
    source = given.source
    try:
        kind = args.input_format or detect_format(given.head(), source)
    except InputError as exc:
        raise CliError(str(exc)) from None
    if kind == "whatsapp":
        return _scan_whatsapp(args, config, school, given)
    if args.format == "html" or args.record:
        raise CliError(f"{source}: --format html and --record are for a WhatsApp chat export")
    try:
        text = given.data().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliError(f"{source}: cannot read: {exc}") from None
    items, problems = read_items(io.StringIO(text), source)
    results = scan(items, school, _detector(args, config, school))
    if args.format == "table":
        write_table(results, Console())
    else:
        write_jsonl(results, sys.stdout)
    for problem in problems:
        print(f"schoolgate: {problem}", file=sys.stderr)
    return 1 if problems else 0


class _Input:
    """INPUT, read once: a file by name, or standard input (kept in memory, up to a limit)."""

    STDIN_LIMIT = 256 * 1024 * 1024
    HEAD = 65536

    def __init__(self, name: str) -> None:
        self.name = name
        self.source = "<stdin>" if name == "-" else name
        self._data: bytes | None = None

    def head(self) -> bytes:
        """The first bytes, enough to tell what the input is."""
        if self.name == "-":
            return self.data()[: self.HEAD]
        with self.open_file() as handle:
            return handle.read(self.HEAD)

    def data(self) -> bytes:
        if self._data is None:
            if self.name != "-":
                with self.open_file() as handle:
                    self._data = handle.read()
            else:
                stream = getattr(sys.stdin, "buffer", None)
                data = stream.read(self.STDIN_LIMIT + 1) if stream else sys.stdin.read().encode()
                if len(data) > self.STDIN_LIMIT:
                    raise CliError("<stdin>: more than 256 MB; give the file's name instead")
                self._data = data
        return self._data

    def open_file(self) -> BinaryIO:
        try:
            return open(self.name, "rb")
        except FileNotFoundError:
            raise CliError(f"{self.name}: no such file") from None
        except OSError as exc:
            raise CliError(f"{self.name}: cannot read: {exc}") from None


def _scan_whatsapp(args: argparse.Namespace, config: Config, school: School, given: _Input) -> int:
    from rich.console import Console

    from bot.whatsapp.archive import (
        ExportError,
        is_zip,
        read_text_export,
        read_zip_bytes,
        read_zip_export,
    )
    from bot.whatsapp.parser import NotAnExport, parse
    from bot.whatsapp_scan import judge, notes, write_jsonl, write_table

    source = given.source
    if args.format == "html" and not args.out:
        raise CliError("--format html needs --out FILE for the report")
    try:
        if given.name != "-" and is_zip(given.head()):
            with given.open_file() as handle:  # a zip with media is read from disk, not memory
                export = read_zip_export(handle, source)
        else:
            data = given.data()
            export = (
                read_zip_bytes(data, source) if is_zip(data) else read_text_export(data, source)
            )
        chat = parse(
            export.text,
            export.source,
            attachments=export.attachments,
            chat_name=args.chat or export.chat_name,
        )
    except (ExportError, NotAnExport) as exc:
        raise CliError(str(exc)) from None
    if args.record and not (args.chat or chat.name):
        raise CliError(f"{source}: the export does not name its chat; give --chat NAME to record")
    chat_name = args.chat or chat.name or Path(source).stem
    judged = judge(chat, school, _detector(args, config, school), progress=Console(stderr=True))
    if args.record:
        database = Path(args.db or config.storage.path)
        stored, before = asyncio.run(_record(judged, database, config, school, chat_name))
        print(
            f"schoolgate: {database}: {stored} incident(s) of whatsapp chat {chat_name!r} "
            f"stored, {before} already there",
            file=sys.stderr,
        )
    if args.format == "html":
        from bot.reports.render import write_private
        from bot.reports.whatsapp import report_html

        page = report_html(
            chat,
            judged,
            school,
            chat_name=chat_name,
            source=export.source,
            generated_at=datetime.now(config.settings_for(school).zone),
            unread=export.problems,
        )
        write_private(Path(args.out), page)
        print(f"schoolgate: report written to {args.out}", file=sys.stderr)
    elif args.format == "table":
        write_table(judged, chat, Console())
    else:
        write_jsonl(judged, sys.stdout)
    # The table ends with the parser's notes itself; what the file held that was not text is
    # said here whatever the format.
    for note in [*export.problems, *(notes(chat) if args.format != "table" else [])]:
        print(f"schoolgate: note: {note}", file=sys.stderr)
    return 0


async def _record(
    judged: list[Judged], database: Path, config: Config, school: School, chat_name: str
) -> tuple[int, int]:
    from bot.clock import SystemClock
    from bot.whatsapp_scan import record

    async with Store(database) as store:
        return await record(
            judged,
            store,
            school,
            chat_name,
            zone=config.settings_for(school).zone,
            clock=SystemClock(),
        )


_MODES = {
    Mode.ENFORCE: "enforce mode",
    Mode.OBSERVE: "observe mode (SLT are alerted about every flag; nothing is sent to members)",
}


def _check_config(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.file)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    print(f"{args.file}: OK")
    for school in config.schools:
        print(
            f"  school {school.id} ({school.name}): {len(school.staff)} staff, "
            f"{len(school.pupils)} pupils, {len(school.slt)} SLT, "
            f"{len(school.dsl) + len(school.dsl_deputies)} safeguarding, "
            f"{len(school.fallback)} fallback, {len(school.admins)} admins; "
            f"{len(school.chats) or 'no'} chat{'' if len(school.chats) == 1 else 's'}; "
            f"code of conduct version {school.policy.version}"
        )
        for chat in school.chats:
            mode = config.mode_for(school, ChatRef(chat.platform, chat.id))
            print(
                f"    {chat.platform} chat {chat.id}{f' ({chat.name})' if chat.name else ''}: "
                f"{_MODES[mode]}"
            )
    platforms = ", ".join(config.enabled_platforms) or "none (scan only)"
    print(f"  platforms: {platforms}; database: {config.storage.path}")
    print(f"  retention: {config.policy.retention_days} days")
    for note in warnings(config):
        print(f"  warning: {note}")
    return 0


# ---- report ----

REPORT_WEEKS = 13  # a term, when --from is not given


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date such as 2026-09-01, not {value!r}"
        ) from None


def _report(args: argparse.Namespace) -> int:
    from bot.reports.render import write_private
    from bot.reports.term import gather, report_csv, report_html, report_json

    config = load_config(args.config)
    if args.school is None:
        schools = list(config.schools)
    else:
        school = config.school(args.school)
        if school is None:
            ids = ", ".join(s.id for s in config.schools)
            raise CliError(f"no school with id {args.school!r} (the config has: {ids})")
        schools = [school]
    zone = config.settings_for(schools[0]).zone
    now = datetime.now(zone)
    last = args.last or now.date()
    first = args.first or last - timedelta(weeks=REPORT_WEEKS) + timedelta(days=1)
    if first > last:
        raise CliError(f"--from {first} is after --to {last}")
    database = Path(args.db) if args.db else _database(args.config)
    if not database.exists():
        raise CliError(f"{database}: no database here")

    async def figures() -> TermReport:
        async with Store(database) as store:
            return await gather(
                store, config, schools, first, last, generated_at=now, names=args.names
            )

    report = asyncio.run(figures())
    writers = {"html": report_html, "json": report_json, "csv": report_csv}
    write_private(Path(args.out), writers[args.format](report))
    print(
        f"schoolgate: report on {report.summary['incidents']} incident(s) from {first} to "
        f"{last} written to {args.out}",
        file=sys.stderr,
    )
    return 0


# ---- backup ----


def _backup(args: argparse.Namespace) -> int:
    summary = backup(Path(args.db), Path(args.to))
    print(
        f"backed up {args.db} to {args.to}: schema version {summary.schema_version}, "
        f"{summary.incidents} incidents, {summary.pending_actions} actions pending"
    )
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
