"""The `giamsat` command: serve, db upgrade, demo, officer add/link, token create/revoke, sync import, declarations import, audit verify."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Awaitable, Callable

os.environ.setdefault("PICCOLO_CONF", "backend.piccolo_conf")

from backend import db  # noqa: E402 — PICCOLO_CONF must be set before Piccolo looks for it
from backend.lib.errors import DomainError  # noqa: E402
from backend.settings import SettingsError, get_settings  # noqa: E402


def _run(action: Callable[[], Awaitable[int]]) -> int:
    """Run an async action against the configured database, with every domain's commands and hooks loaded (an
    import's declarations log their gate card states: gate/card_states.py)."""
    from backend.journal.registry import load_commands

    settings = get_settings()
    engine = db.make_engine(settings.database)
    db.bind_engine(engine)
    load_commands()

    async def main() -> int:
        await db.start(engine)
        try:
            return await action()
        finally:
            await db.stop(engine)

    return asyncio.run(main())


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()  # refuse to start on unsafe settings (e.g. GIAMSAT_DEMO off localhost) before binding a port
    # X-Forwarded-For / -Proto are believed only from the proxies GIAMSAT_TRUSTED_PROXIES names; with none, not at
    # all (uvicorn would otherwise believe 127.0.0.1, and any client behind a local proxy could name its address and
    # dodge the sign-in limit: docs/security.md).
    trusted = sorted(settings.web.trusted_proxies)
    uvicorn.run(
        "backend.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=",".join(trusted) or None,
        log_level=args.log_level,
    )
    return 0


def cmd_upstream_sim(args: argparse.Namespace) -> int:
    """The simulator of the national system's message gateway (backend/outbox/simulator.py, docs/outbox.md)."""
    import uvicorn

    from backend.outbox.simulator import create_simulator

    store = Path(args.store).resolve() if args.store else None
    uvicorn.run(create_simulator(store), host=args.host, port=args.port, log_level=args.log_level)
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from piccolo.apps.migrations.commands.forwards import forwards

    settings = get_settings()
    print(f"Migrating {settings.database.kind} database ...")
    asyncio.run(forwards(app_name="all"))
    return 0


async def _apply_as_console(command_type: str, payload: dict[str, object]) -> dict[str, object]:
    """Apply an admin command as the command line's system actor (officers/services.py CONSOLE), so what an operator
    does here is journaled like an admin's page; a refusal is raised in English."""
    import uuid

    from backend.journal.envelope import CommandEnvelope
    from backend.journal.registry import load_commands
    from backend.journal.services import apply_commands
    from backend.journal.tables import JournalEntry
    from backend.lib import clock
    from backend.lib.i18n import current_language
    from backend.officers.services import console_actor

    load_commands()
    current_language.set("en")
    envelope = CommandEnvelope(id=uuid.uuid4(), type=command_type, issued_at=clock.now(), device_id="cli", payload=payload)
    (outcome,) = await apply_commands(JournalEntry._meta.db, [envelope], await console_actor())
    if outcome.status == "rejected":
        raise DomainError(outcome.code or "rejected", "%(reason)s", reason=outcome.reason or "")
    return outcome.result or {}


def cmd_officer_add(args: argparse.Namespace) -> int:
    from backend.auth.services import enrollment_link, new_enrollment_token
    from backend.officers.qr import qr_terminal

    if args.role == "admin" and not args.branch and not args.national:
        print("giamsat: an admin belongs to a branch (--branch); a national admin, for every branch, needs --national", file=sys.stderr)
        return 2
    if args.national and (args.role != "admin" or args.branch):
        print("giamsat: --national is for an admin with no --branch", file=sys.stderr)
        return 2

    async def action() -> int:
        token, hashed = new_enrollment_token()
        payload = {
            "code": args.code,
            "full_name": args.name,
            "role": args.role,
            "branch_code": args.branch,
            "premises_code": args.premises,
            "enrollment_token_hash": hashed,
            "national": bool(args.national),
        }
        await _apply_as_console("officers.create_officer", payload)
        link = enrollment_link(token, get_settings().web)
        print(f"Officer {args.code} created. Enrollment link (single use, expires in {get_settings().web.enrollment_hours} h):")
        print(qr_terminal(link))
        print(link)
        return 0

    return _run(action)


def cmd_officer_link(args: argparse.Namespace) -> int:
    from backend.auth.services import enrollment_link, new_enrollment_token
    from backend.officers.qr import qr_terminal
    from backend.officers.services import officer_id_by_code

    async def action() -> int:
        token, hashed = new_enrollment_token()
        officer_id = await officer_id_by_code(args.code)
        await _apply_as_console("officers.issue_enrollment", {"officer_id": officer_id, "token_hash": hashed})
        link = enrollment_link(token, get_settings().web)
        print(qr_terminal(link))
        print(link)
        return 0

    return _run(action)


def cmd_branch_add(args: argparse.Namespace) -> int:
    from backend.officers.services import ensure_branch

    async def action() -> int:
        await ensure_branch(args.code, args.name)
        print(f"Branch {args.code} saved.")
        return 0

    return _run(action)


def cmd_location_add(args: argparse.Namespace) -> int:
    from backend.officers.services import ensure_location
    from backend.officers.tables import Branch, LocationKind

    async def action() -> int:
        branch = await Branch.select(Branch.id).where(Branch.code == args.branch).first()
        if branch is None:
            print(f"Unknown branch {args.branch}", file=sys.stderr)
            return 2
        await ensure_location(args.code, args.name, LocationKind(args.kind), branch["id"])
        print(f"Location {args.code} saved.")
        return 0

    return _run(action)


def cmd_token_create(args: argparse.Namespace) -> int:
    from backend.auth.services import create_api_token
    from backend.officers.services import officer_id_by_code

    async def action() -> int:
        days = get_settings().web.token_days
        token = await create_api_token(await officer_id_by_code(args.officer), args.name or "", days=days)
        print(f"API token for {args.officer} (shown once; only its hash is kept; expires in {days} days). Send it as 'Authorization: Bearer <token>':")
        print(token)
        return 0

    return _run(action)


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from backend.auth.services import revoke_api_token

    async def action() -> int:
        count = await revoke_api_token(args.token)
        print(f"{count} token(s) revoked.")
        return 0 if count else 1

    return _run(action)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from pathlib import Path

    from backend.journal import anchors
    from backend.journal.registry import load_commands
    from backend.journal.services import verify_journal

    load_commands()  # signed commands are checked against their payload types
    settings = get_settings()
    checkpoints: list[anchors.Checkpoint] = []
    if args.anchors:
        # The checkpoints are checked before the database is opened: a forged file is refused, never half used.
        try:
            keys = anchors.read_keyring(Path(args.anchor_keys)) if args.anchor_keys else anchors.load_keyring(settings.data_dir, create=False)
            checkpoints = anchors.read_checkpoints([Path(name) for name in args.anchors], keys.public)
        except anchors.AnchorError as error:
            print(f"Anchors REFUSED: {error}", file=sys.stderr)
            return 2

    async def action() -> int:
        report = await verify_journal(settings.web.origin, settings.web.rp_id, anchors=checkpoints)
        if report.intact:
            held = f"; {report.anchors} checkpoint(s) hold" if args.anchors else ""
            print(f"Journal intact: {report.rows} rows in {report.chains} chain(s){held}.")
            return 0
        print(f"Journal BROKEN: {report.problem}", file=sys.stderr)
        return 1

    return _run(action)


def cmd_audit_anchor(args: argparse.Namespace) -> int:
    from backend.journal import anchors
    from backend.journal.registry import load_commands
    from backend.journal.services import verify_journal

    load_commands()
    settings = get_settings()

    async def action() -> int:
        # Only an intact journal is anchored: a checkpoint of a tampered chain would vouch for the tampering.
        report = await verify_journal(settings.web.origin, settings.web.rp_id)
        if not report.intact:
            print(f"Journal BROKEN, nothing anchored: {report.problem}", file=sys.stderr)
            return 1
        ring = anchors.load_keyring(settings.data_dir, create=True)
        lines = [
            anchors.sign_checkpoint(
                ring, chain=end.chain, seq=end.seq, hash=end.hash, row_id=end.row_id,
                command_id=end.command_id, command_type=end.command_type,
            ).line()
            for end in report.ends.values()
        ]
        if args.out is None:
            for line in lines:
                print(line)
            return 0
        with open(args.out, "a", encoding="utf-8") as fh:  # appended: earlier checkpoints stay evidence
            fh.writelines(line + "\n" for line in lines)
        print(f"{len(lines)} checkpoint(s) of {report.rows} rows appended to {args.out} (key {ring.current}).")
        return 0

    return _run(action)


def cmd_sync_import(args: argparse.Namespace) -> int:
    from backend.files.store import file_store
    from backend.barcodes import services as barcode_services
    from backend.journal import signing
    from backend.journal.registry import configure_signed, load_commands
    from backend.journal.tables import JournalEntry
    from backend.sync.importer import import_queue

    settings = get_settings()
    load_commands()
    configure_signed(settings.sync.extra_signed_commands)
    signing.configure(settings.web.origin, settings.web.rp_id)
    barcode_services.configure(settings)
    with open(args.file, "rb") as fh:
        data = fh.read()

    async def action() -> int:
        report = await import_queue(JournalEntry._meta.db, file_store(settings), data, frozenset(args.vouch_for or ()))
        for officer_code, outcome in report.outcomes:
            if outcome.status == "rejected":
                print(f"rejected  {outcome.id}  {officer_code}  {outcome.code}: {outcome.reason}")
        print(
            f"{len(report.outcomes)} command(s): {report.count('applied')} applied, {report.count('duplicate')} already "
            f"applied (duplicate), {report.count('rejected')} rejected; files: {report.files_stored} stored, "
            f"{report.files_known} already there."
        )
        return 0

    return _run(action)


def cmd_declarations_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from backend.declarations.importer import ImportFileError, import_file

    async def action() -> int:
        try:
            report = await import_file(Path(args.file))
        except (OSError, ImportFileError) as error:
            print(f"giamsat: {error}", file=sys.stderr)
            return 2
        for label, result in report.refused:
            print(f"{label}: {result.number or '?'}: {result.code}: {result.reason}", file=sys.stderr)
        if not report.written:
            print(f"{len(report.refused)} refused line(s): nothing imported.", file=sys.stderr)
            return 2
        print(
            f"{len(report.results)} declaration(s): {report.count('created')} created, {report.count('updated')} updated, "
            f"{report.count('unchanged')} unchanged."
        )
        return 0

    return _run(action)


def cmd_demo(args: argparse.Namespace) -> int:
    from backend.app import configure_commands
    from backend.officers.demo import load_demo

    configure_commands(get_settings())  # the demo's transit steps are commands, applied as the app applies them

    async def action() -> int:
        for line in await load_demo(get_settings().web):
            print(line)
        return 0

    return _run(action)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="giamsat", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web app (uvicorn)")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1")))
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(func=cmd_serve)

    sim = sub.add_parser("upstream-sim", help="run the simulator of the national system's message gateway (docs/outbox.md)")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8900)
    sim.add_argument("--store", default="", help="a JSON file keeping what it received (default: in memory)")
    sim.add_argument("--log-level", default="warning")
    sim.set_defaults(func=cmd_upstream_sim)

    database = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    database.add_parser("upgrade", help="apply migrations (SQLite or PostgreSQL, from DATABASE_URL)").set_defaults(func=cmd_db_upgrade)

    sub.add_parser("demo", help="load the demo branch, locations and users; print enrollment links").set_defaults(func=cmd_demo)

    officer = sub.add_parser("officer", help="officers").add_subparsers(dest="officer_command", required=True)
    add = officer.add_parser("add", help="create an officer and print an enrollment link")
    add.add_argument("--code", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=["officer", "supervisor", "warehouse", "admin"])
    add.add_argument("--branch", help="branch code (required except for a national admin)")
    add.add_argument("--premises", help="location code, for warehouse staff")
    add.add_argument("--national", action="store_true", help="an admin with no branch, who manages every branch")
    add.set_defaults(func=cmd_officer_add)
    link = officer.add_parser("link", help="print a new enrollment link for an officer")
    link.add_argument("--code", required=True)
    link.set_defaults(func=cmd_officer_link)

    branch = sub.add_parser("branch", help="branches").add_subparsers(dest="branch_command", required=True)
    badd = branch.add_parser("add", help="create or rename a branch")
    badd.add_argument("--code", required=True)
    badd.add_argument("--name", required=True)
    badd.set_defaults(func=cmd_branch_add)

    location = sub.add_parser("location", help="locations").add_subparsers(dest="location_command", required=True)
    ladd = location.add_parser("add", help="create or update a gate, port, warehouse or CFS")
    ladd.add_argument("--code", required=True)
    ladd.add_argument("--name", required=True)
    ladd.add_argument("--kind", required=True, choices=["gate", "port", "warehouse", "cfs"])
    ladd.add_argument("--branch", required=True)
    ladd.set_defaults(func=cmd_location_add)

    token = sub.add_parser("token", help="API tokens for machine clients").add_subparsers(dest="token_command", required=True)
    create = token.add_parser("create", help="create a token; printed on the last line")
    create.add_argument("--officer", required=True, help="the officer code the client acts as")
    create.add_argument("--name", default="")
    create.set_defaults(func=cmd_token_create)
    revoke = token.add_parser("revoke", help="revoke a token (the token or its first 10 characters)")
    revoke.add_argument("token")
    revoke.set_defaults(func=cmd_token_revoke)

    sync = sub.add_parser("sync", help="device queues").add_subparsers(dest="sync_command", required=True)
    simport = sync.add_parser("import", help="apply a queue exported from a device (idempotent: twice applies once)")
    simport.add_argument("file")
    simport.add_argument(
        "--vouch-for", action="append", metavar="CODE",
        help="apply this officer's unsigned entries too (you checked with them that the file is theirs); repeatable",
    )
    simport.set_defaults(func=cmd_sync_import)

    declarations = sub.add_parser("declarations", help="the declarations mirror").add_subparsers(
        dest="declarations_command", required=True
    )
    dimport = declarations.add_parser("import", help="import declarations from JSON or CSV (docs/declarations.md); all or nothing")
    dimport.add_argument("file")
    dimport.set_defaults(func=cmd_declarations_import)

    audit = sub.add_parser("audit", help="audit").add_subparsers(dest="audit_command", required=True)
    verify = audit.add_parser("verify", help="recompute every journal hash chain; with --anchors, check it against checkpoints")
    verify.add_argument("--anchors", action="append", metavar="FILE", help="checkpoints from `audit anchor` (JSON lines); repeatable")
    verify.add_argument("--anchor-keys", metavar="PEM", help="the anchor public keys (default: <data dir>/anchor-keys.pem)")
    verify.set_defaults(func=cmd_audit_verify)
    anchor = audit.add_parser("anchor", help="sign a checkpoint of every chain's last row (docs/audit.md)")
    anchor.add_argument("--out", metavar="FILE", help="append the checkpoints to FILE instead of printing them")
    anchor.set_defaults(func=cmd_audit_anchor)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SettingsError as error:
        print(f"giamsat: {error}", file=sys.stderr)
        return 2
    except DomainError as error:
        print(f"giamsat: {error.message % error.params if error.params else error.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
