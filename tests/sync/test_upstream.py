"""The automatic check of the upstream customs system (docs/offline.md 6): the probe records when the system stops
answering and when it answers again, once each, through the journal as UPSTREAM; it declares nothing. Supervisors
and admins of every branch get a banner asking them to declare contingency mode, with the help desk's numbers;
officers are told only once a person has declared it. The app runs the probe from its start to its shutdown,
unless GIAMSAT_UPSTREAM_PROBE_SECONDS is 0."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from backend.lib.i18n import translate_in
from tests.conftest import ORIGIN, World, in_app, sign_in_as
from tests.sync.test_contingency import command, declare, send

# As the Decision gives them (Art 35.2.d.2, 36.2.đ.2); the demo sets the same (Makefile).
HELPDESK = "Help Desk - Tổng cục Hải quan: (04) 37824754, (04) 37824755; Đội trực 24/7: +84 912 000 000"


@pytest.fixture
def app_env(app_env: dict[str, str]) -> dict[str, str]:
    return {**app_env, "GIAMSAT_HELPDESK_CONTACTS": HELPDESK}


class ScriptedSource:
    """An upstream that answers its health check as scripted (True: answers), then as the script's last word; `done`
    is set once every scripted answer was given. The file source's answer is a file, which a loop in another thread
    could not flip between two probes deterministically."""

    def __init__(self, answers: list[bool]) -> None:
        self.answers = list(answers)
        self.last = answers[-1]
        self.asked = 0
        self.done = asyncio.Event()

    async def fetch_changes(self, since: str | None) -> tuple[list[dict[str, Any]], str | None]:
        return [], since

    async def health(self) -> bool:
        self.asked += 1
        if not self.answers:
            self.done.set()
            return self.last
        return self.answers.pop(0)


class SilentSource(ScriptedSource):
    """An upstream whose health check never answers (a network that swallows the request)."""

    async def health(self) -> bool:
        await asyncio.sleep(3600)
        return True


class BrokenSource(ScriptedSource):
    """An upstream whose health check fails with an error (a refused connection)."""

    async def health(self) -> bool:
        raise ConnectionRefusedError("upstream gateway refused the connection")


async def outages() -> list[dict[str, Any]]:
    from backend.sync.tables import UpstreamOutage

    return await UpstreamOutage.select().order_by(UpstreamOutage.id)


async def journal() -> list[tuple[str, str, str]]:
    from backend.journal.tables import JournalEntry

    rows = await JournalEntry.select(JournalEntry.command_type, JournalEntry.actor_code, JournalEntry.result).order_by(JournalEntry.id)
    return [(row["command_type"], row["actor_code"], row["result"]) for row in rows]


async def periods() -> int:
    from backend.sync.tables import ContingencyPeriod

    return await ContingencyPeriod.count()


def probe(client: TestClient, source: Any) -> str | None:
    from backend.declarations.source import probe_upstream

    return in_app(client, probe_upstream, source, 0.05)


# --- the probe -----------------------------------------------------------------------------------------------------


def test_probe_records_the_outage_once_and_the_recovery_once_and_declares_nothing(client: TestClient, world: World, tmp_path: Path) -> None:
    from backend.declarations.source import FileSource

    path = tmp_path / "upstream.json"
    source = FileSource(path)  # no file yet: upstream does not answer

    results = [probe(client, source), probe(client, source)]
    during = in_app(client, outages)
    path.write_text("[]")
    results += [probe(client, source), probe(client, source)]

    assert results == ["down", None, "up", None]
    assert [(row["ended_at"] is None) for row in during] == [True]
    (outage,) = in_app(client, outages)
    assert outage["started_at"] < outage["ended_at"]
    assert [(kind, actor) for kind, actor, _ in in_app(client, journal)] == [("sync.record_upstream_status", "UPSTREAM")] * 2
    assert in_app(client, periods) == 0  # a person declares contingency mode, not the probe


def test_probe_loop_records_a_failing_then_recovering_source_once_each(client: TestClient, world: World) -> None:
    from backend.declarations.source import probe_forever

    async def run() -> int:
        source = ScriptedSource([False, False, False, True, True, False, True])
        task = asyncio.create_task(probe_forever(source, 0.001))
        await asyncio.wait_for(source.done.wait(), 30)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return source.asked

    asked = in_app(client, run)

    assert asked >= 8
    assert [row["ended_at"] is not None for row in in_app(client, outages)] == [True, True]
    assert [kind for kind, _, _ in in_app(client, journal)] == ["sync.record_upstream_status"] * 4


def test_probe_counts_a_silent_or_failing_health_check_as_no_answer(client: TestClient, world: World) -> None:
    from backend.declarations.source import answers

    silent = in_app(client, answers, SilentSource([True]), 0.01)
    broken = in_app(client, answers, BrokenSource([True]), 0.01)

    assert (silent, broken) == (False, False)


def test_probes_of_two_processes_record_one_change(client: TestClient, world: World) -> None:
    """Two probes seeing the same change at once (two app processes on one database) send the same command id:
    the journal applies it once and answers the other `duplicate`."""
    from backend.declarations.source import probe_upstream

    async def both() -> list[str | None]:
        return list(await asyncio.gather(probe_upstream(ScriptedSource([False])), probe_upstream(ScriptedSource([False]))))

    results = in_app(client, both)

    assert sorted(results, key=str) == [None, "down"]
    assert len(in_app(client, outages)) == 1 and len(in_app(client, journal)) == 1


def test_record_of_an_unchanged_state_is_refused_and_writes_nothing(client: TestClient, world: World) -> None:
    from backend.declarations.source import upstream_actor
    from backend.journal.envelope import CommandEnvelope
    from backend.journal.services import apply_commands
    from backend.journal.tables import JournalEntry
    from backend.lib import clock

    async def record(answering: bool) -> tuple[str, str | None]:
        envelope = CommandEnvelope(
            id=uuid.uuid4(), type="sync.record_upstream_status", issued_at=clock.now(), device_id="t", payload={"answering": answering}
        )
        (outcome,) = await apply_commands(JournalEntry._meta.db, [envelope], await upstream_actor())
        return outcome.status, outcome.code

    first = in_app(client, record, False)
    again = in_app(client, record, False)
    back = in_app(client, record, True)
    back_again = in_app(client, record, True)

    assert (first, back) == (("applied", None), ("applied", None))
    assert again == back_again == ("rejected", "upstream_state_unchanged")
    assert len(in_app(client, journal)) == 2 and len(in_app(client, outages)) == 1


def test_only_the_probe_records_the_upstream_state(client: TestClient, world: World) -> None:
    envelope = command("sync.record_upstream_status", {"answering": False})
    sign_in_as(client, world["admin"])  # a national admin, yet not the probe
    (by_admin,) = send(client, envelope)
    sign_in_as(client, world["supervisor"])
    (by_supervisor,) = send(client, {**envelope, "id": str(uuid.uuid4())})

    assert by_admin["code"] == "upstream_probe_only" and by_supervisor["code"] == "forbidden_role"
    assert in_app(client, outages) == [] and in_app(client, journal) == []


# --- who is told ---------------------------------------------------------------------------------------------------


async def other_supervisor() -> int:
    from backend.officers.services import create_officer

    return await create_officer("GS2", "Vũ Thị Sáu", "supervisor", "B2")


def test_supervisors_of_every_branch_are_asked_to_declare_and_officers_are_not(client: TestClient, world: World) -> None:
    gs2 = in_app(client, other_supervisor)
    assert probe(client, ScriptedSource([False])) == "down"

    pages = {}
    for person, officer_id in [("GS1", world["supervisor"]), ("GS2", gs2), ("AD1", world["admin"]), ("CB1", world["officer"])]:
        sign_in_as(client, officer_id)
        pages[person] = client.get("/").text

    for person in ("GS1", "GS2", "AD1"):
        page = pages[person]
        assert 'id="upstream-banner"' in page and 'href="/contingency" id="upstream-declare"' in page, person
        assert translate_in("vi", "The national customs system is not answering") in page
        assert 'href="tel:0437824754"' in page and 'href="tel:+84912000000"' in page and "(04) 37824755" in page
    assert 'id="upstream-banner"' not in pages["CB1"] and 'id="contingency-banner"' not in pages["CB1"]
    assert "tel:" not in pages["CB1"]
    assert in_app(client, periods) == 0


def test_declared_contingency_replaces_the_request_and_everyone_sees_the_help_desk(client: TestClient, world: World) -> None:
    """Decision 1966 Art 35.2.d.2 / 36.2.đ.2: once contingency is declared, every officer sees the help desk's
    numbers to call (a tel: link)."""
    assert probe(client, ScriptedSource([False])) == "down"
    sign_in_as(client, world["supervisor"])
    assert declare(client, "Hệ thống không trả lời")["status"] == "applied"

    supervisor_page = client.get("/").text
    sign_in_as(client, world["officer"])
    officer_page = client.get("/").text

    assert 'id="upstream-banner"' not in supervisor_page and 'id="contingency-banner"' in supervisor_page
    assert 'id="contingency-banner"' in officer_page and 'href="tel:0437824754"' in officer_page


def test_supervisor_is_asked_to_end_contingency_when_upstream_answers_again(client: TestClient, world: World) -> None:
    assert probe(client, ScriptedSource([False])) == "down"
    sign_in_as(client, world["supervisor"])
    declare(client)
    assert probe(client, ScriptedSource([True])) == "up"

    supervisor_page = client.get("/").text
    sign_in_as(client, world["officer"])
    officer_page = client.get("/").text

    assert 'href="/contingency" id="upstream-end"' in supervisor_page and 'id="contingency-banner"' in supervisor_page
    assert 'id="upstream-banner"' not in officer_page
    assert in_app(client, periods) == 1  # still open: a person ends it


def test_contingency_page_shows_the_check_and_the_help_desk(client: TestClient, world: World) -> None:
    """Decision 1966 Art 35.2.d.2 / 36.2.đ.2: the contingency page lists the help desk's contacts at all times and,
    while the upstream check fails, its state and the form to declare contingency."""
    sign_in_as(client, world["supervisor"])
    before = client.get("/contingency").text
    probe(client, ScriptedSource([False]))

    during = client.get("/contingency").text

    assert 'id="upstream-state"' not in before and 'id="helpdesk-contacts"' in before
    assert 'id="upstream-state"' in during and 'id="contingency-declare-form"' in during
    assert during.count('href="tel:') >= 3 + 3  # the banner's and the page's


def test_contingency_page_says_when_no_help_desk_is_configured(settings: Any, world: World, app_env: dict[str, str]) -> None:
    from backend.app import create_app
    from backend.settings import load_settings

    bare = load_settings({**app_env, "GIAMSAT_HELPDESK_CONTACTS": ""})
    with TestClient(create_app(bare), base_url=ORIGIN) as client:
        sign_in_as(client, world["supervisor"])
        page = client.get("/contingency").text

    assert 'id="helpdesk-missing"' in page and "tel:" not in page


# --- the app's background task -------------------------------------------------------------------------------------


def wait_for(client: TestClient, fn: Any, seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = in_app(client, fn)
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_app_probes_upstream_from_its_start_and_stops_at_shutdown(world: World, app_env: dict[str, str], tmp_path: Path) -> None:
    from backend.app import create_app
    from backend.settings import load_settings

    env = {**app_env, "GIAMSAT_UPSTREAM_FILE": str(tmp_path / "missing.json"), "GIAMSAT_UPSTREAM_PROBE_SECONDS": "3600"}
    app = create_app(load_settings(env))
    with TestClient(app, base_url=ORIGIN) as client:
        running = app.state.upstream_probe.task is not None
        recorded = wait_for(client, outages)  # the first probe runs at start, not an interval later
    assert running and app.state.upstream_probe.task is None
    assert [row["ended_at"] for row in recorded] == [None]


@pytest.mark.parametrize("extra", [{"GIAMSAT_UPSTREAM_PROBE_SECONDS": "0"}, {}], ids=["seconds_0", "no_source"])
def test_app_without_probe_starts_no_task(world: World, app_env: dict[str, str], tmp_path: Path, extra: dict[str, str]) -> None:
    from backend.app import create_app
    from backend.settings import load_settings

    env = {**app_env, **extra}
    if extra:
        env["GIAMSAT_UPSTREAM_FILE"] = str(tmp_path / "missing.json")
    app = create_app(load_settings(env))
    with TestClient(app, base_url=ORIGIN) as client:
        task = app.state.upstream_probe.task
        client.get("/healthz")
        recorded = in_app(client, outages)

    assert task is None and recorded == []


# --- settings ------------------------------------------------------------------------------------------------------


def test_helpdesk_contacts_setting_is_read_as_names_and_numbers(tmp_path: Path) -> None:
    from backend.settings import HelpdeskContact, load_settings

    settings = load_settings({"GIAMSAT_DATA_DIR": str(tmp_path), "GIAMSAT_HELPDESK_CONTACTS": HELPDESK + "; 0241 234 567 ;"})

    assert settings.sync.helpdesk_contacts == (
        HelpdeskContact("Help Desk - Tổng cục Hải quan", ("(04) 37824754", "(04) 37824755")),
        HelpdeskContact("Đội trực 24/7", ("+84 912 000 000",)),
        HelpdeskContact("", ("0241 234 567",)),
    )
    assert [HelpdeskContact.tel(p) for p in ("(04) 37824754", "+84 912 000 000")] == ["0437824754", "+84912000000"]


def test_upstream_probe_settings_default_and_refuse_negative(tmp_path: Path) -> None:
    from backend.settings import SettingsError, load_settings

    default = load_settings({"GIAMSAT_DATA_DIR": str(tmp_path)})
    off = load_settings({"GIAMSAT_DATA_DIR": str(tmp_path), "GIAMSAT_UPSTREAM_PROBE_SECONDS": "0", "GIAMSAT_UPSTREAM_FILE": "up.json"})

    assert (default.sync.upstream_probe_seconds, default.sync.upstream_file, default.sync.helpdesk_contacts) == (60, None, ())
    assert off.sync.upstream_probe_seconds == 0 and off.sync.upstream_file == Path("up.json").resolve()
    with pytest.raises(SettingsError, match="GIAMSAT_UPSTREAM_PROBE_SECONDS"):
        load_settings({"GIAMSAT_DATA_DIR": str(tmp_path), "GIAMSAT_UPSTREAM_PROBE_SECONDS": "-1"})
