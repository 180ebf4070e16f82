"""Shared by the outbox tests: a declaration at the gate, an officer whose phone signs, the simulator in process."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.declarations.helpers import C1, C2, container, item
from tests.journal.device import Person

C3 = container("TEMU000001")
NUMBER = "104000000001"
OTHER = "104000000002"


def upsert(client: TestClient, *items: dict[str, Any]) -> None:
    async def run() -> None:
        from backend.declarations.services import upsert_many

        results = await upsert_many(list(items), "test")
        assert all(result.status != "refused" for result in results), results

    in_app(client, run)


def declarations(client: TestClient) -> None:
    upsert(
        client,
        item(NUMBER, containers=[{"number": c, "seal": ""} for c in (C1, C2, C3)]),
        item(OTHER, containers=[{"number": c, "seal": ""} for c in (C1, C2)]),
    )


def gate_officer(client: TestClient, world: World, officer: str = "officer") -> Person:
    """An officer with their own browser and phone (the test's client stays free for others)."""
    return Person(client, world[officer])


def confirm(officer: Person, location: int, unit: str, number: str = NUMBER) -> dict[str, Any]:
    return officer.do("gate.confirm_passage", {"location_id": location, "number": number, "containers": [unit]})


def cancel(officer: Person, location: int, unit: str, number: str = NUMBER) -> dict[str, Any]:
    return officer.do("gate.cancel_passage", {"location_id": location, "number": number, "unit": unit, "reason": "Nhầm xe"})


async def rows() -> list[dict[str, Any]]:
    from backend.outbox.tables import OutboxMessage

    return await OutboxMessage.select().order_by(OutboxMessage.id)


def messages(client: TestClient) -> list[dict[str, Any]]:
    return in_app(client, rows)


def simulator() -> Litestar:
    from backend.outbox.simulator import create_simulator

    return create_simulator()


def adapter_for(sim: Litestar, timeout: float = 5.0) -> Any:
    from backend.outbox.adapter import HttpAdapter

    return HttpAdapter("http://upstream.test", timeout=timeout, transport=httpx.ASGITransport(app=sim))


def control(sim: Litestar, **settings: Any) -> None:
    from backend.outbox.simulator import Control

    sim.state.store.control = Control(**settings)


def deliver(client: TestClient, adapter: Any, *, later: timedelta = timedelta(0)) -> Any:
    """One delivery pass on the app's loop; `later`: as if run that long from now (past a backoff)."""
    from backend.lib import clock
    from backend.outbox.services import deliver_pass

    return in_app(client, lambda: deliver_pass(client.app.state.engine, adapter, now=clock.now() + later))


def drain(client: TestClient, adapter: Any, *, later: timedelta = timedelta(0)) -> Any:
    from backend.lib import clock
    from backend.outbox.services import deliver_until_idle

    return in_app(client, lambda: deliver_until_idle(client.app.state.engine, adapter, now=clock.now() + later))


def received(sim: Litestar) -> list[str]:
    """The message ids the simulator accepted, in the order it accepted them."""
    return list(sim.state.store.accepted)
