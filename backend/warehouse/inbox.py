"""Air-cargo anomaly records (Art 35.2.đ) not yet received by customs, in the inbox of the supervisors of the branch
that manages the premises: one tap receives them; what was done is recorded on the record's page."""

from __future__ import annotations

from backend.inbox.registry import Asking, inbox_kind
from backend.inbox.schemas import InboxAction, InboxItem
from backend.lib.errors import N_
from backend.lib.i18n import gettext
from backend.warehouse import services
from backend.warehouse.workflow import AnomalyState


@inbox_kind("warehouse.anomaly", label=N_("Anomaly records from airport warehouses"), clause="35.2.đ", order=35)
async def anomalies_to_receive(asking: Asking) -> list[InboxItem]:
    anomalies = await services.anomalies_for(asking.actor, state=AnomalyState.RECORDED, limit=asking.settings.inbox.max_per_kind)
    return [
        InboxItem(
            kind="warehouse.anomaly",
            ref=str(anomaly.id),
            title=gettext(services.kind_label(anomaly.kind)) + f" — {anomaly.premises_name}",
            detail="; ".join(
                part
                for part in (
                    gettext("Flight") + " " + anomaly.flight,
                    f"MAWB {anomaly.mawb}" if anomaly.mawb else "",
                    f"HAWB {anomaly.hawb}" if anomaly.hawb else "",
                    anomaly.note,
                )
                if part
            ),
            officer=anomaly.recorded_by,
            since=anomaly.issued_at,
            url=f"/warehouse/anomalies/{anomaly.id}",
            actions=[InboxAction(command="warehouse.acknowledge_anomaly", label=gettext("Receive"), payload={"anomaly_id": anomaly.id})],
        )
        for anomaly in anomalies
    ]
