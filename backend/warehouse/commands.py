"""Air-cargo anomaly records (Biên bản bất thường, Art 35.2.đ): the operator's staff record, customs receive and
handle. Who may do what: anomaly_policy.py; the states: workflow.py."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from backend.files import services as files
from backend.journal.registry import CommandContext, command
from backend.lib.errors import N_, DomainError
from backend.lib.structs import RowId, Struct
from backend.officers.tables import Role
from backend.warehouse import anomaly_policy, workflow
from backend.warehouse.tables import AirCargoAnomaly, AnomalyKind
from backend.warehouse.workflow import AnomalyState

MAX_PHOTOS = 10
PHOTO_RECORD = "air_cargo_anomaly"  # how the files domain names what a photo is attached to
# The photos are read by customs of the managing branch (the record is attached for that branch) and by the staff
# member who took them. Not by every warehouse user of the branch: the files domain grants readers by branch, and a
# bonded warehouse's staff must not read another premises' evidence by its hash (docs/warehouse.md).
files.register_record_type(PHOTO_RECORD, {Role.OFFICER, Role.SUPERVISOR})

CUSTOMS = {Role.OFFICER, Role.SUPERVISOR}
PACKAGE_KINDS = (AnomalyKind.SHORT_PACKAGES, AnomalyKind.EXTRA_PACKAGES)
Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]


class RecordAnomaly(Struct):
    """The record as the airport warehouse's staff make it on checking goods in against the manifest.

    Kind, counts and weights are checked by the handler (not by the schema) so that a refusal is said in words."""

    premises_id: RowId
    kind: Annotated[str, msgspec.Meta(max_length=32)]
    flight: Annotated[str, msgspec.Meta(max_length=32)]
    mawb: Annotated[str, msgspec.Meta(max_length=32)] = ""
    hawb: Annotated[str, msgspec.Meta(max_length=32)] = ""
    packages: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    declared_packages: int | None = None
    found_packages: int | None = None
    declared_weight_kg: float | None = None
    found_weight_kg: float | None = None
    note: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    # Photos (SHA-256 of each file): the device uploads them before this command (docs/offline.md).
    photos: Annotated[list[Sha256], msgspec.Meta(max_length=MAX_PHOTOS)] = []


class AcknowledgeAnomaly(Struct):
    anomaly_id: RowId


class HandleAnomaly(Struct):
    anomaly_id: RowId
    handling: Annotated[str, msgspec.Meta(max_length=4000)]


MAX_COUNT = 10_000_000
MAX_WEIGHT_KG = 10_000_000.0


def _checked(payload: RecordAnomaly) -> dict[str, Any]:
    """The record's fields, or a refusal in words: an unknown kind, a negative or absurd figure, figures that do not
    show the kind of anomaly chosen (fewer packages found for "missing packages", ...)."""
    if payload.kind not in {kind.value for kind in AnomalyKind}:
        raise DomainError("unknown_anomaly_kind", N_("Choose what was found: %(kind)s is not a kind of anomaly."), kind=payload.kind)
    flight = payload.flight.strip()
    if not flight:
        raise DomainError("flight_required", N_("Write the flight the goods came on."))
    for value in (payload.declared_packages, payload.found_packages):
        if value is not None and not 0 <= value <= MAX_COUNT:
            raise DomainError("bad_count", N_("Package counts are whole numbers, zero or more."))
    for weight in (payload.declared_weight_kg, payload.found_weight_kg):
        if weight is not None and not 0 <= weight <= MAX_WEIGHT_KG:  # NaN fails too
            raise DomainError("bad_weight", N_("Weights are in kilograms, zero or more."))
    kind = AnomalyKind(payload.kind)
    declared, found = payload.declared_packages, payload.found_packages
    if kind in PACKAGE_KINDS:
        if declared is None or found is None:
            raise DomainError("counts_required", N_("Write the packages on the manifest and the packages found."))
        if (kind is AnomalyKind.SHORT_PACKAGES and found >= declared) or (kind is AnomalyKind.EXTRA_PACKAGES and found <= declared):
            raise DomainError("counts_contradict_kind", N_("The package counts do not show missing or extra packages as chosen."))
    if kind is AnomalyKind.WEIGHT_DIFFERENCE:
        if payload.declared_weight_kg is None or payload.found_weight_kg is None:
            raise DomainError("weights_required", N_("Write the weight on the manifest and the weight found."))
        if payload.declared_weight_kg == payload.found_weight_kg:
            raise DomainError("weights_equal", N_("The weights are the same: there is no weight difference."))
    if kind is AnomalyKind.OTHER and not payload.note.strip():
        raise DomainError("note_required", N_("Write what was found."))
    return {
        "kind": kind.value,
        "flight": flight.upper(),
        "mawb": payload.mawb.strip().upper(),
        "hawb": payload.hawb.strip().upper(),
        "packages": payload.packages.strip(),
        "declared_packages": declared,
        "found_packages": found,
        "declared_weight_kg": payload.declared_weight_kg,
        "found_weight_kg": payload.found_weight_kg,
        "note": payload.note.strip(),
    }


@command("warehouse.record_anomaly", payload=RecordAnomaly, roles={Role.WAREHOUSE}, label=N_("Anomaly record (air cargo)"))
async def record_anomaly(context: CommandContext, payload: RecordAnomaly) -> dict[str, Any]:
    premises = await anomaly_policy.premises_to_record_at(context.actor, payload.premises_id)
    fields = _checked(payload)
    photos = list(dict.fromkeys(payload.photos))
    await files.require_attachable(context.actor, photos)
    anomaly_id = (
        await AirCargoAnomaly.insert(
            AirCargoAnomaly(
                command_id=context.command_id,
                premises=premises["id"],
                branch=premises["branch"],
                state=workflow.INITIAL.value,
                recorded_by=context.actor.id,
                issued_at=context.issued_at,
                recorded_at=context.received_at,
                **fields,
            )
        ).returning(AirCargoAnomaly.id)
    )[0]["id"]
    for sha256 in photos:
        # Attached for the managing branch: its customs read the evidence (files.may_see).
        await files.attach(sha256, PHOTO_RECORD, anomaly_id, premises["branch"])
    return {"anomaly_id": anomaly_id, "photos": len(photos)}


async def _record(anomaly_id: int) -> dict[str, Any] | None:
    return await AirCargoAnomaly.select(AirCargoAnomaly.id, AirCargoAnomaly.premises, AirCargoAnomaly.state).where(
        AirCargoAnomaly.id == anomaly_id
    ).first()


@command("warehouse.acknowledge_anomaly", payload=AcknowledgeAnomaly, roles=CUSTOMS, label=N_("Anomaly record received"))
async def acknowledge_anomaly(context: CommandContext, payload: AcknowledgeAnomaly) -> dict[str, Any]:
    record = await _record(payload.anomaly_id)
    await anomaly_policy.require_manages(context.actor, record)
    assert record is not None
    await workflow.transition(record["id"], record["state"], AnomalyState.RECEIVED, by=context.actor.id, at=context.issued_at)
    return {"anomaly_id": record["id"], "state": AnomalyState.RECEIVED.value}


@command("warehouse.handle_anomaly", payload=HandleAnomaly, roles=CUSTOMS, label=N_("Anomaly record handled"))
async def handle_anomaly(context: CommandContext, payload: HandleAnomaly) -> dict[str, Any]:
    handling = payload.handling.strip()
    if not handling:
        raise DomainError("handling_required", N_("Write what was done about this anomaly."))
    record = await _record(payload.anomaly_id)
    await anomaly_policy.require_manages(context.actor, record)
    assert record is not None
    await workflow.transition(
        record["id"], record["state"], AnomalyState.HANDLED, by=context.actor.id, at=context.issued_at, handling=handling
    )
    return {"anomaly_id": record["id"], "state": AnomalyState.HANDLED.value}


# The operator commands (issue 16 item 1) are in operators.py; the journal loads commands.py only.
from backend.warehouse import operators  # noqa: E402,F401
