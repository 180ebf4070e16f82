"""The declarations mirror: validating what upstream sends, upserting it with its history, looking it up.

Declarations are reference data from the upstream customs system (VNACCS / e-Customs), not an officer's action:
they are written here directly, never through the command journal. The journal is the record of what officers
did (who, when, where, on which device); what upstream changed is kept by `DeclarationHistory`, one row per
change, which is what a lookup shows as the declaration's history.

A batch is validated first, item by item, then the valid items are written in one transaction: a refused item
does not stop the others (the API), unless the caller asks for all or nothing (the import command).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import msgspec
from piccolo.engine.postgres import PostgresEngine

from backend.barcodes import iso6346
from backend.barcodes.payload import ascii_digits
from backend.db import write_transaction
from backend.declarations.schemas import (
    ContainerView,
    DeclarationUpsert,
    DeclarationView,
    HistoryView,
    ItemResult,
    TransitFacts,
    WarningView,
)
from backend.declarations.tables import (
    CargoType,
    Declaration,
    DeclarationContainer,
    DeclarationHistory,
    DeclarationKind,
    DeclarationWarning,
    Lane,
)
from backend.lib import clock
from backend.lib.errors import N_, DomainError, NotFound
from backend.lib.i18n import gettext
from backend.officers.tables import Branch

NUMBER = re.compile(r"^[0-9]{12}$")  # ASCII digits only: \d would take any Unicode digit
_CHUNK = 500  # numbers per IN (...) query
_UPSERT_LOCK = 4_1966_0001  # PostgreSQL advisory lock key of declaration upserts

# What other domains do when a declaration changes (in the changing transaction): the gate logs its card's new state
# (gate/card_states.py). A registry, so that this domain does not import the ones built on it.
DECLARATION_CHANGED: list[Callable[[int], Awaitable[None]]] = []


def on_declaration_changed(hook: Callable[[int], Awaitable[None]]) -> Callable[[int], Awaitable[None]]:
    """Register `hook(declaration_id)`, called after every upsert that changes a declaration and every `mark_changed`."""
    DECLARATION_CHANGED.append(hook)
    return hook


async def _changed(declaration_id: int) -> None:
    for hook in DECLARATION_CHANGED:
        await hook(declaration_id)
MAX_VERSION = 9999


@dataclass(frozen=True)
class Refusal:
    """Why an item was refused: a stable code, a msgid with its parameters, and the field at fault."""

    code: str
    message: str
    field: str | None = None
    params: dict[str, Any] = dataclass_field(default_factory=dict)

    def reason(self) -> str:
        """The reason in the current request's language."""
        return gettext(self.message, **self.params)


def parse_number(text: str | None) -> str:
    """A declaration number as typed or scanned (spaces and dashes ignored); refused (400) unless 12 digits."""
    number = ascii_digits(re.sub(r"[\s\-.]", "", text or ""))
    if not NUMBER.match(number):
        raise DomainError("bad_number", N_("The declaration number must be 12 digits: %(value)s"), value=(text or "")[:40])
    return number


# --- validation -------------------------------------------------------------------------------------------------


def _number_of(raw: Any) -> str:
    value = raw.get("number") if isinstance(raw, dict) else None
    return str(value)[:40] if isinstance(value, (str, int)) else ""


def _refuse(code: str, message: str, field_name: str | None = None, **params: Any) -> Refusal:
    return Refusal(code, message, field_name, params)


def _container_refusal(text: str) -> Refusal | None:
    verdict = iso6346.check(text)
    if verdict.valid:
        return None
    if verdict.problem == "check_digit":
        return _refuse(
            "bad_container_check_digit",
            N_("Container %(value)s has a wrong check digit: it should be %(expected)s. Likely meant: %(hints)s"),
            "containers",
            value=verdict.number,
            expected=verdict.expected_check_digit,
            hints=", ".join(verdict.hints),
        )
    if verdict.hints:
        return _refuse(
            "bad_container",
            N_("Container %(value)s is not an ISO 6346 number (3 letters, U, J or Z, 6 digits, check digit). Likely meant: %(hints)s"),
            "containers",
            value=verdict.number[:20],
            hints=", ".join(verdict.hints),
        )
    return _refuse(
        "bad_container",
        N_("Container %(value)s is not an ISO 6346 number (3 letters, U, J or Z, 6 digits, check digit)."),
        "containers",
        value=verdict.number[:20],
    )


def validate_item(raw: Any, branches: Mapping[str, int]) -> DeclarationUpsert | Refusal:
    """One item as upstream sent it (a decoded JSON object) -> a normalized `DeclarationUpsert`, or the first
    thing wrong with it as a `Refusal` naming the field (codes in docs/declarations.md).

    `branches` maps branch codes to ids (the branch of registration must exist). Container numbers are
    normalized (upper case, no spaces) and checked with their ISO 6346 check digit, with a hint for the likely typo.
    """
    if not isinstance(raw, dict):
        return _refuse("not_an_object", N_("Each declaration must be an object with named fields."))
    try:
        item = msgspec.convert(raw, DeclarationUpsert)
    except msgspec.ValidationError as error:
        detail = str(error)
        where = detail.rpartition(" - at `$.")[2].rstrip("`") if " - at `$." in detail else None
        return _refuse("invalid_field", N_("The item is not valid: %(detail)s"), where, detail=detail[:300])
    number = re.sub(r"[\s\-.]", "", item.number)
    if not NUMBER.match(number):
        return _refuse("bad_number", N_("The declaration number must be 12 digits: %(value)s"), "number", value=item.number[:40])
    if item.kind not in set(DeclarationKind):
        return _refuse(
            "unknown_kind",
            N_("Unknown declaration kind %(value)s: use import, export, independent_transit or combined_transit."),
            "kind",
            value=item.kind[:40],
        )
    if not 1 <= item.version <= MAX_VERSION:
        return _refuse("bad_version", N_("The version must be between 1 and 9999: %(value)s"), "version", value=item.version)
    status_code = item.status_code.strip()
    if not status_code:
        return _refuse("empty_status", N_("The status code is missing."), "status_code")
    if item.lane not in set(Lane):
        return _refuse(
            "bad_lane", N_("The inspection lane must be 1 (green), 2 (yellow) or 3 (red): %(value)s"), "lane", value=item.lane
        )
    branch_code = item.branch_code.strip()
    if branch_code not in branches:
        return _refuse("unknown_branch", N_("Unknown branch of registration: %(value)s"), "branch_code", value=branch_code[:40])
    if item.cargo_type not in set(CargoType):
        return _refuse(
            "unknown_cargo_type",
            N_("Unknown cargo type %(value)s: use containers, bulk or loose."),
            "cargo_type",
            value=item.cargo_type[:40],
        )
    containers = []
    if item.cargo_type == CargoType.CONTAINERS:
        if item.weight_kg is not None:
            return _refuse("weight_not_expected", N_("A container cargo is checked by its containers: leave the weight empty."), "weight_kg")
        if item.package_count is not None:
            return _refuse(
                "packages_not_expected", N_("A container cargo is checked by its containers: leave the package count empty."), "package_count"
            )
        if not item.containers:
            return _refuse("no_containers", N_("A container cargo must list its containers."), "containers")
        seen: set[str] = set()
        for container in item.containers:
            refusal = _container_refusal(container.number)
            if refusal is not None:
                return refusal
            normalized = iso6346.normalize(container.number)
            if normalized in seen:
                return _refuse("duplicate_container", N_("Container %(value)s is listed twice."), "containers", value=normalized)
            seen.add(normalized)
            containers.append(type(container)(number=normalized, seal=container.seal.strip()))
    else:
        if item.containers:
            return _refuse(
                "containers_not_expected", N_("Bulk and loose cargo have no containers: use cargo type containers."), "containers"
            )
        if item.cargo_type == CargoType.BULK:
            if item.package_count is not None:
                return _refuse("packages_not_expected", N_("Bulk cargo is checked by weight: leave the package count empty."), "package_count")
            if item.weight_kg is None or not item.weight_kg > 0 or item.weight_kg > 10**9:
                return _refuse("missing_weight", N_("Bulk and liquid cargo need their weight in kg, more than 0."), "weight_kg")
        else:
            if item.weight_kg is not None:
                return _refuse("weight_not_expected", N_("Loose cargo is checked by package count: leave the weight empty."), "weight_kg")
            if item.package_count is None or item.package_count < 1 or item.package_count > 10**9:
                return _refuse("missing_packages", N_("Loose cargo needs its package count, 1 or more."), "package_count")
    warnings = []
    for warning in item.warnings:
        if not warning.text.strip():
            return _refuse("empty_warning", N_("A warning has no text."), "warnings")
        warnings.append(type(warning)(text=warning.text.strip(), source=warning.source.strip() or "upstream"))
    transit = item.transit
    if transit is not None:
        refusal = _transit_refusal(item.kind, transit)
        if refusal is not None:
            return refusal
        transit = msgspec.structs.replace(transit, destination_branch_code=transit.destination_branch_code.strip())
    weight_kg = round(item.weight_kg * 1000) / 1000 if item.weight_kg is not None else None
    places: list[str] = []
    for place in item.places:
        code = place.strip().upper()
        if not code:
            return _refuse("empty_place", N_("A place has no code."), "places")
        if code not in places:
            places.append(code)
    return msgspec.structs.replace(
        item,
        number=number,
        status_code=status_code,
        branch_code=branch_code,
        containers=containers,
        warnings=warnings,
        weight_kg=weight_kg,
        goods_description=item.goods_description.strip(),
        places=places,
        transit=transit,
    )


MAX_TRANSIT_HOURS = 24 * 60  # 60 days: longer is a typing error upstream, not a transit time


def _transit_refusal(kind: str, transit: TransitFacts) -> Refusal | None:
    """What is wrong with a transit declaration's facts (Arts 41-42), if anything."""
    if kind not in (DeclarationKind.INDEPENDENT_TRANSIT, DeclarationKind.COMBINED_TRANSIT):
        return _refuse("transit_not_expected", N_("Only a transit declaration has transit facts."), "transit")
    if not transit.destination_branch_code.strip():
        return _refuse("missing_destination", N_("A transit declaration names its destination branch."), "transit")
    if kind == DeclarationKind.INDEPENDENT_TRANSIT:
        if not 1 <= transit.transit_hours <= MAX_TRANSIT_HOURS:
            return _refuse(
                "bad_transit_time",
                N_("The registered transit time must be between 1 and 1440 hours: %(value)s"),
                "transit",
                value=transit.transit_hours,
            )
        if transit.combined_case:
            return _refuse("combined_case_not_expected", N_("Only a combined transit declaration has a case of Art 42.1."), "transit")
    elif not transit.combined_case:
        return _refuse("missing_combined_case", N_("A combined transit declaration names its case of Art 42.1 (a to đ)."), "transit")
    return None


def _transit_json(transit: TransitFacts | None) -> str:
    return "" if transit is None else msgspec.json.encode(transit).decode()


# --- what a declaration is, for comparing and for history ---------------------------------------------------------


def snapshot(item: DeclarationUpsert) -> dict[str, Any]:
    """Everything the mirror keeps of a validated item, in one comparable shape (also the history's detail)."""
    return {
        "kind": item.kind,
        "version": item.version,
        "status_code": item.status_code,
        "allows_passage": item.allows_passage,
        "lane": item.lane,
        "branch_code": item.branch_code,
        "seal_required": item.seal_required,
        "sealed": item.sealed,
        "cargo_type": item.cargo_type,
        "containers": [[c.number, c.seal] for c in item.containers],
        "weight_kg": item.weight_kg,
        "package_count": item.package_count,
        "goods_description": item.goods_description,
        "warnings": [[w.text, w.source] for w in item.warnings],
        "places": list(item.places),
        # Only when upstream sent them: an item without transit facts keeps the stored ones.
        **({"transit": msgspec.to_builtins(item.transit)} if item.transit is not None else {}),
    }


def _grams(weight_kg: float | None) -> int | None:
    return None if weight_kg is None else round(weight_kg * 1000)


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


async def _stored(numbers: list[str]) -> dict[str, tuple[int, dict[str, Any]]]:
    """number -> (id, snapshot) of the stored declarations among `numbers`."""
    found: dict[str, tuple[int, dict[str, Any]]] = {}
    for chunk in _chunks(numbers):
        rows = await Declaration.select(
            *Declaration.all_columns(exclude=[Declaration.branch]), Declaration.branch.code.as_alias("branch_code")
        ).where(Declaration.number.is_in(chunk))
        if not rows:
            continue
        ids = [row["id"] for row in rows]
        containers: dict[int, list[list[str]]] = {i: [] for i in ids}
        for c in await DeclarationContainer.select(
            DeclarationContainer.declaration, DeclarationContainer.number, DeclarationContainer.seal_number
        ).where(DeclarationContainer.declaration.is_in(ids)).order_by(DeclarationContainer.position):
            containers[c["declaration"]].append([c["number"], c["seal_number"]])
        warnings: dict[int, list[list[str]]] = {i: [] for i in ids}
        for w in await DeclarationWarning.select(
            DeclarationWarning.declaration, DeclarationWarning.text, DeclarationWarning.source
        ).where(DeclarationWarning.declaration.is_in(ids)).order_by(DeclarationWarning.position):
            warnings[w["declaration"]].append([w["text"], w["source"]])
        for row in rows:
            found[row["number"]] = (
                row["id"],
                {
                    "kind": row["kind"],
                    "version": row["version"],
                    "status_code": row["status_code"],
                    "allows_passage": bool(row["allows_passage"]),
                    "lane": row["lane"],
                    "branch_code": row["branch_code"],
                    "seal_required": bool(row["seal_required"]),
                    "sealed": bool(row["sealed"]),
                    "cargo_type": row["cargo_type"],
                    "containers": containers[row["id"]],
                    "weight_kg": None if row["weight_g"] is None else row["weight_g"] / 1000,
                    "package_count": row["package_count"],
                    "goods_description": row["goods_description"],
                    "warnings": warnings[row["id"]],
                    "places": msgspec.json.decode(row["places"] or "[]"),
                    **({"transit": msgspec.json.decode(row["transit"])} if row["transit"] else {}),
                },
            )
    return found


# --- upsert -------------------------------------------------------------------------------------------------------


@dataclass
class _Write:
    index: int
    item: DeclarationUpsert
    declaration_id: int | None  # None: create
    changes: dict[str, list[Any]]  # field -> [before, after]; empty when created


def _columns(item: DeclarationUpsert, branch_id: int, source: str) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "version": item.version,
        "status_code": item.status_code,
        "allows_passage": item.allows_passage,
        "lane": item.lane,
        "branch": branch_id,
        "seal_required": item.seal_required,
        "sealed": item.sealed,
        "cargo_type": item.cargo_type,
        "weight_g": _grams(item.weight_kg),
        "package_count": item.package_count,
        "goods_description": item.goods_description,
        "places": msgspec.json.encode(list(item.places)).decode(),
        **({"transit": _transit_json(item.transit)} if item.transit is not None else {}),
        "source": source,
        "updated_at": clock.now(),
    }


async def _write(write: _Write, branches: Mapping[str, int], source: str) -> None:
    item = write.item
    columns = _columns(item, branches[item.branch_code], source)
    if write.declaration_id is None:
        declaration_id = (
            await Declaration.insert(Declaration(number=item.number, **columns)).returning(Declaration.id)
        )[0]["id"]
        fields, detail, change = "", snapshot(item), "created"
    else:
        declaration_id = write.declaration_id
        await Declaration.update({getattr(Declaration, name): value for name, value in columns.items()}).where(
            Declaration.id == declaration_id
        )
        fields, detail, change = ",".join(write.changes), write.changes, "updated"
    if write.declaration_id is None or "containers" in write.changes:
        await DeclarationContainer.delete().where(DeclarationContainer.declaration == declaration_id)
        if item.containers:
            await DeclarationContainer.insert(
                *[
                    DeclarationContainer(declaration=declaration_id, position=position, number=c.number, seal_number=c.seal)
                    for position, c in enumerate(item.containers)
                ]
            )
    if write.declaration_id is None or "warnings" in write.changes:
        await DeclarationWarning.delete().where(DeclarationWarning.declaration == declaration_id)
        if item.warnings:
            await DeclarationWarning.insert(
                *[
                    DeclarationWarning(declaration=declaration_id, position=position, text=w.text, source=w.source)
                    for position, w in enumerate(item.warnings)
                ]
            )
    await DeclarationHistory.insert(
        DeclarationHistory(
            declaration=declaration_id,
            version=item.version,
            change=change,
            fields=fields,
            detail=msgspec.json.encode(detail).decode(),
            source=source,
            changed_at=clock.now(),
        )
    )
    await _changed(declaration_id)


async def upsert_many(items: Sequence[Any], source: str, *, all_or_nothing: bool = False) -> list[ItemResult]:
    """Create or update declarations from upstream items (decoded JSON objects); one `ItemResult` per item, in order.

    Each item is validated first (`validate_item`); a refused item does not stop the others. A valid item is
    `created` when its number is new, `unchanged` when it equals what is stored, `updated` otherwise, and refused as
    `stale_version` when its version is lower than the stored one (a late copy of a superseded declaration). Every
    creation and update writes a `DeclarationHistory` row (`source` says who sent it). All writes of the batch happen
    in one transaction. With `all_or_nothing`, nothing is written when any item is refused; the other results then
    say what would have happened.
    """
    branches = {row["code"]: row["id"] for row in await Branch.select(Branch.id, Branch.code)}
    results: list[ItemResult | None] = [None] * len(items)
    valid: list[tuple[int, DeclarationUpsert]] = []
    seen: set[str] = set()
    for index, raw in enumerate(items):
        checked = validate_item(raw, branches)
        if isinstance(checked, DeclarationUpsert) and checked.number in seen:
            checked = _refuse(
                "duplicate_in_batch", N_("Declaration %(value)s is already earlier in this batch."), "number", value=checked.number
            )
        if isinstance(checked, Refusal):
            results[index] = ItemResult(
                number=_number_of(raw), status="refused", code=checked.code, reason=checked.reason(), field=checked.field
            )
        else:
            seen.add(checked.number)
            valid.append((index, checked))
    if not valid:
        return [result for result in results if result is not None]
    engine = Declaration._meta.db
    async with write_transaction(engine):
        if isinstance(engine, PostgresEngine):
            # One batch at a time across workers (SQLite's BEGIN IMMEDIATE already serializes): two batches creating
            # the same number would otherwise both read "new" and one would fail on the unique number.
            await Declaration.raw("SELECT pg_advisory_xact_lock({})", _UPSERT_LOCK)
        # Read inside the transaction: what is compared is what the writes replace.
        stored = await _stored([item.number for _, item in valid])
        writes: list[_Write] = []
        for index, item in valid:
            if item.number not in stored:
                results[index] = ItemResult(number=item.number, status="created")
                writes.append(_Write(index, item, None, {}))
                continue
            declaration_id, before = stored[item.number]
            if item.version < before["version"]:
                refusal = _refuse(
                    "stale_version",
                    N_("Version %(value)s is older than the stored version %(stored)s: not applied."),
                    "version",
                    value=item.version,
                    stored=before["version"],
                )
                results[index] = ItemResult(
                    number=item.number, status="refused", code=refusal.code, reason=refusal.reason(), field=refusal.field
                )
                continue
            after = snapshot(item)
            changes = {name: [before.get(name), after[name]] for name in after if before.get(name) != after[name]}
            if not changes:
                results[index] = ItemResult(number=item.number, status="unchanged")
                continue
            results[index] = ItemResult(number=item.number, status="updated")
            writes.append(_Write(index, item, declaration_id, changes))
        refused = any(result is not None and result.status == "refused" for result in results)
        if not (all_or_nothing and refused):
            for write in writes:
                await _write(write, branches, source)
    return [result for result in results if result is not None]


# --- lookup -------------------------------------------------------------------------------------------------------


async def mark_changed(declaration_id: int) -> None:
    """Something the gate card shows changed outside upstream (an officer proposed or withdrew the seal requirement,
    or confirmed the goods sealed, backend/seals): move the declaration to the end of the change order, so that every
    device's `gate_cards` copy fetches its card again. In the caller's transaction and, on PostgreSQL, under the
    upserts' lock, so the new `updated_at` lands after every position a device already holds (backend/gate/replica.py)."""
    engine = Declaration._meta.db
    if isinstance(engine, PostgresEngine):
        await Declaration.raw("SELECT pg_advisory_xact_lock({})", _UPSERT_LOCK)
    await Declaration.raw("UPDATE declaration SET updated_at = {} WHERE id = {}", clock.now(), declaration_id)
    await _changed(declaration_id)


async def declaration_by_number(number: str) -> DeclarationView:
    """A declaration with its containers, warnings and history (newest first), by its 12-digit number.

    A malformed number is refused (400, `bad_number`); an unknown one is `NotFound` (404, `declaration_not_found`).
    Any officer may look up any branch's declaration: goods registered at one branch pass the gates of another.
    """
    number = parse_number(number)
    row = (
        await Declaration.select(
            *Declaration.all_columns(exclude=[Declaration.branch]),
            Declaration.branch.code.as_alias("branch_code"),
            Declaration.branch.name.as_alias("branch_name"),
        )
        .where(Declaration.number == number)
        .first()
    )
    if row is None:
        raise NotFound("declaration_not_found", N_("No declaration %(number)s in giamsat."), number=number)
    containers = await DeclarationContainer.select(DeclarationContainer.number, DeclarationContainer.seal_number).where(
        DeclarationContainer.declaration == row["id"]
    ).order_by(DeclarationContainer.position)
    warnings = await DeclarationWarning.select(DeclarationWarning.text, DeclarationWarning.source).where(
        DeclarationWarning.declaration == row["id"]
    ).order_by(DeclarationWarning.position)
    history = await DeclarationHistory.select().where(DeclarationHistory.declaration == row["id"]).order_by(
        DeclarationHistory.id, ascending=False
    )
    return DeclarationView(
        number=row["number"],
        kind=row["kind"],
        version=row["version"],
        status_code=row["status_code"],
        allows_passage=bool(row["allows_passage"]),
        lane=row["lane"],
        branch_code=row["branch_code"],
        branch_name=row["branch_name"],
        seal_required=bool(row["seal_required"]),
        sealed=bool(row["sealed"]),
        cargo_type=row["cargo_type"],
        weight_kg=None if row["weight_g"] is None else row["weight_g"] / 1000,
        package_count=row["package_count"],
        goods_description=row["goods_description"],
        places=msgspec.json.decode(row["places"] or "[]"),
        transit=msgspec.json.decode(row["transit"], type=TransitFacts) if row["transit"] else None,
        updated_at=row["updated_at"],
        containers=[ContainerView(number=c["number"], seal_number=c["seal_number"]) for c in containers],
        warnings=[WarningView(text=w["text"], source=w["source"]) for w in warnings],
        history=[
            HistoryView(
                version=h["version"],
                change=h["change"],
                fields=[name for name in h["fields"].split(",") if name],
                detail=msgspec.json.decode(h["detail"]),
                source=h["source"],
                changed_at=h["changed_at"],
            )
            for h in history
        ],
    )
