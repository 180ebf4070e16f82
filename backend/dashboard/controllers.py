"""`/dashboard`: the branch's day for its supervisor, on a phone and on paper (issue 15, part 5).

Who: supervisors of a branch (policy.has_dashboard); anyone else signed in gets 403. The figures come from
services.py; the chart is SVG text drawn on the server (charts.py).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.exceptions import PermissionDeniedException
from litestar.response import Template

from backend.auth.middleware import require_roles
from backend.dashboard import charts, services
from backend.lib.i18n import gettext
from backend.officers.tables import Role


def passages_chart(day: services.PassageDay) -> Any:
    return charts.hourly_stacked_bars(
        [charts.Series(name=gate.name, counts=gate.counts) for gate in day.gates],
        title=gettext("Passages per gate per hour, %(day)s: %(total)d", day=day.day.strftime("%d/%m/%Y"), total=day.total),
        x_label=gettext("Hour"),
        y_label=gettext("Passages"),
        describe=lambda gate, hour, count: gettext(
            "%(gate)s, %(start)02d:00–%(end)02d:00: %(count)d passages", gate=gate, start=hour, end=hour + 1, count=count
        ),
        chart_id="passages-chart",
    )


@get("/dashboard", guards=[require_roles(Role.SUPERVISOR)])
async def dashboard_page(request: Request[Any, Any, Any]) -> Template:
    dashboard = await services.dashboard_for(request.user, request.app.state.settings)
    if dashboard is None:  # a supervisor with no branch: no branch's figures to show
        raise PermissionDeniedException("no branch")
    return Template(
        "dashboard/index.html",
        context={"dashboard": dashboard, "chart": passages_chart(dashboard.passages) if dashboard.passages.gates else None},
    )


ROUTES = [dashboard_page]
