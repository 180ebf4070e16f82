"""Replicated reference data: what a device keeps in IndexedDB to work offline.

`GET /api/v1/replica/<dataset>?since=<cursor>` answers what changed since the cursor the device holds.
Each dataset is a function registered with `@dataset(name)`, here or in a domain's own `replica.py` (found by
`load_datasets()`, which imports `backend.<domain>.replica` for every domain); it sees the officer asking (so a
device only ever holds what its officer may see) and the cursor, and answers a `ReplicaPage`.

The first datasets are small and answered whole: their cursor is a digest of their content, so an
unchanged dataset costs the device one request and no data. A big dataset (gate cards, issue 4) answers
incrementally: its cursor is a position in its own change log, and it sets `complete=False` until the
device has caught up.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import msgspec

from backend.domains import DOMAINS
from backend.lib.canonical import canonical_json
from backend.lib.errors import N_, NotFound
from backend.officers.schemas import Actor
from backend.officers.services import locations_of_branch


class ReplicaPage(msgspec.Struct, kw_only=True):
    dataset: str
    cursor: str  # give it back as `since` next time
    changed: bool  # False: the device's copy is current; `items` is empty
    replace: bool  # True: `items` is the whole dataset (drop what you hold); False: upsert items, drop `removed`
    items: list[dict[str, Any]]
    removed: list[str] = []  # keys of items to drop (incremental datasets)
    complete: bool = True  # False: ask again with the new cursor, there is more
    server_time: str = ""


Provider = Callable[[Actor, str | None], Awaitable[ReplicaPage]]


@dataclass(frozen=True)
class Dataset:
    name: str
    provider: Provider


DATASETS: dict[str, Dataset] = {}
_loaded = False


def dataset(name: str) -> Callable[[Provider], Provider]:
    def register(provider: Provider) -> Provider:
        DATASETS[name] = Dataset(name, provider)
        return provider

    return register


def load_datasets() -> None:
    """Register every domain's datasets: import `backend.<domain>.replica` for each domain that has one (its
    `@dataset` functions register themselves). Once per process; called wherever datasets are looked up."""
    global _loaded
    if _loaded:
        return
    for domain in DOMAINS:
        module = f"backend.{domain}.replica"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    _loaded = True


async def replica_page(actor: Actor, name: str, since: str | None) -> ReplicaPage:
    """What the device should change in its copy of `name`."""
    load_datasets()
    found = DATASETS.get(name)
    if found is None:
        raise NotFound("unknown_dataset", N_("There is no such dataset: %(name)s"), name=name)
    return await found.provider(actor, since)


def snapshot(name: str, items: list[dict[str, Any]], since: str | None) -> ReplicaPage:
    """A small dataset answered whole, with a digest of its content as the cursor."""
    cursor = "v1:" + hashlib.sha256(canonical_json(items).encode()).hexdigest()[:32]
    if since == cursor:
        return ReplicaPage(dataset=name, cursor=cursor, changed=False, replace=False, items=[])
    return ReplicaPage(dataset=name, cursor=cursor, changed=True, replace=True, items=items)


@dataset("profile")
async def profile(actor: Actor, since: str | None) -> ReplicaPage:
    """The officer and their branch: who this device works for, shown on every page offline."""
    item = {
        "key": actor.code,
        "code": actor.code,
        "full_name": actor.full_name,
        "role": str(actor.role),
        "branch": {"code": actor.branch_code, "name": actor.branch_name} if actor.branch_id else None,
        "premises_id": actor.premises_id,
    }
    return snapshot("profile", [item], since)


@dataset("locations")
async def locations(actor: Actor, since: str | None) -> ReplicaPage:
    """The gates, ports, warehouses and CFS yards of the officer's branch (forms offer them offline)."""
    rows = await locations_of_branch(actor.branch_id) if actor.branch_id else []
    items = [
        {"key": str(row["id"]), "id": row["id"], "code": row["code"], "name": row["name"], "kind": str(row["kind"]), "border_gate": bool(row["border_gate"])}
        for row in rows
    ]
    return snapshot("locations", items, since)
