"""Building an envelope from an HTML form, so pages write through apply() like every other client.

The page's script fills `command_id`, `issued_at` and `device_id` at the moment of submit (a form served
from a cache must not reuse an id). Without script, the server makes them: the command is then online.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Mapping

from backend.journal.envelope import CommandEnvelope
from backend.lib import clock


def envelope_from_form(form: Mapping[str, Any], command_type: str, payload: dict[str, Any]) -> CommandEnvelope:
    try:
        command_id = uuid.UUID(str(form.get("command_id") or ""))
    except ValueError:
        command_id = uuid.uuid4()
    try:
        issued_at = datetime.fromisoformat(str(form.get("issued_at") or ""))
        if issued_at.tzinfo is None:
            raise ValueError
    except ValueError:
        issued_at = clock.now()
    device_id = str(form.get("device_id") or "web")[:64]
    return CommandEnvelope(id=command_id, type=command_type, issued_at=issued_at, device_id=device_id, payload=payload)


ENVELOPE_FIELDS = frozenset({"_csrf_token", "command_id", "issued_at", "device_id"})


def payload_from_form(
    form: Mapping[str, Any], *, int_fields: frozenset[str] | set[str] = frozenset(), lists: Mapping[str, list[Any]] | None = None
) -> dict[str, Any]:
    """What the device script (service_worker/serialize.js) would make of a form posted without it: every field but
    the envelope's; `int_fields` as integers where the page marks them data-type="int" (a value that is not one is
    kept as text, for the command to refuse in words); each list field (data-type="list") with every non-blank
    value in order."""
    payload: dict[str, Any] = {}
    for name, values in (lists or {}).items():
        payload[name] = [str(value) for value in values if str(value) != ""]
    for name, value in form.items():
        if name in ENVELOPE_FIELDS or name in payload:
            continue
        text = str(value)
        if name in int_fields:
            try:
                payload[name] = int(text.strip())
            except ValueError:
                payload[name] = text
        else:
            payload[name] = text
    return payload
