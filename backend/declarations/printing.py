"""Printed lists: the container list and the goods list, with the signed QR code the gate scans (Art 35.2).

- Container cargo gets the **container list** ("Danh sách container đủ điều kiện qua khu vực giám sát hải quan");
  bulk, liquid and loose cargo the **goods list** ("Danh sách hàng hóa ..."), by weight or by package count.
- The QR code carries `barcodes.payload.encode(keyring, number, version, kind)` for the declaration's CURRENT version:
  a supplementary declaration raises the version, the gate then refuses the old paper as expired, and the declarant
  reprints (Art 35.2.b.2.1.2: "in lại ... tại Chi cục hải quan nơi đăng ký tờ khai").
- Who: officers and supervisors of the declaration's **branch of registration** (the reprint happens there,
  Art 35.2.b.2.1.2); for an import declaration, also those of the branch whose **import gate** upstream names
  among its places: "công chức hải quan tại cửa khẩu nhập ... in danh sách container hoặc danh sách hàng hóa ...
  khi có yêu cầu" (Art 35.1.a.4, 35.1.b, 36.1.a.4, 36.1.b); and national admins (issue 11: a branch admin is scoped
  to their branch). The gate is a fact upstream states (`Declaration.places`, a location of kind gate or port: the
  same fact seals/policy.py reads), never one a branch sends itself. Other branches are told where to print (403).
- A declaration whose status does not allow passing the supervision zone gets no list (409): the paper is titled
  "eligible to pass", and a printout must never say so of goods that may not pass.

Printing changes nothing, so it is not a command through the journal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, get
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Template

from backend.auth.middleware import require_roles
from backend.barcodes import qr
from backend.barcodes.payload import DocumentKind, encode
from backend.barcodes.services import keyring_for
from backend.declarations import services
from backend.declarations.schemas import DeclarationView
from backend.declarations.tables import KIND_LABELS, CargoType, DeclarationKind
from backend.lib import clock
from backend.lib.errors import N_, DomainError, Forbidden, NotFound
from backend.lib.i18n import current_language, gettext
from backend.officers.schemas import Actor
from backend.officers.tables import Location, LocationKind, Role

CAN_PRINT = (Role.OFFICER, Role.SUPERVISOR, Role.ADMIN)


class NotPrintable(DomainError):
    """The declaration exists and the user may print, but its state forbids a list."""

    status_code = 409


@dataclass(frozen=True)
class ListSpec:
    kind: DocumentKind
    path: str  # the last part of the print page's address
    template: str


CONTAINER_LIST = ListSpec(DocumentKind.CONTAINER_LIST, "container-list", "declarations/print_container_list.html")
GOODS_LIST = ListSpec(DocumentKind.GOODS_LIST, "goods-list", "declarations/print_goods_list.html")


def list_for(cargo_type: str) -> ListSpec:
    """Which list a cargo type is printed on: containers on the container list, everything else on the goods list."""
    return CONTAINER_LIST if cargo_type == CargoType.CONTAINERS else GOODS_LIST


# Where an import gate is: a gate or a port (a bonded warehouse or a CFS named among the places is where the goods
# are stored, not where they enter).
GATE_KINDS = (LocationKind.GATE.value, LocationKind.PORT.value)


async def import_gate_branches(declaration: DeclarationView) -> set[str]:
    """Codes of the branches whose gate or port upstream names among an import declaration's places: the officers
    "tại cửa khẩu nhập" who print its list on request (Art 35.1.a.4, 36.1.a.4). Empty for other kinds."""
    if declaration.kind != DeclarationKind.IMPORT or not declaration.places:
        return set()
    rows = await Location.select(Location.branch.code.as_alias("branch_code")).where(
        Location.code.is_in(list(declaration.places)) & Location.kind.is_in(list(GATE_KINDS))
    )
    return {row["branch_code"] for row in rows}


async def may_print(user: Actor | None, declaration: DeclarationView) -> bool:
    """Whether `user` may print this declaration's lists: officers and supervisors (or the admin) of its branch of
    registration (Art 35.2.b.2.1.2) or of its import gate (Art 35.1.a.4, 36.1.a.4), or a national admin."""
    if user is None or user.role not in CAN_PRINT:
        return False
    if user.is_national_admin:
        return True
    if user.branch_code is None:
        return False
    if user.branch_code == declaration.branch_code:
        return True
    # A branch admin prints for their branch of registration only: at the gate, printing is the officer's act.
    return user.role != Role.ADMIN and user.branch_code in await import_gate_branches(declaration)


def format_number(value: float | int, decimals: int = 3) -> str:
    """A quantity as the reader writes it: 25.000,5 in Vietnamese, 25,000.5 in English (trailing zeros dropped)."""
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if current_language.get() == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def _version_since(declaration: DeclarationView) -> Any:
    """When upstream sent the current version: the oldest history row of that version (history is newest first)."""
    rows = [h.changed_at for h in declaration.history if h.version == declaration.version]
    return rows[-1] if rows else declaration.updated_at


async def printable(user: Actor, number: str, spec: ListSpec) -> DeclarationView:
    """The declaration whose `spec` list `user` asks to print, or the typed refusal: 400 `bad_number`,
    404 `declaration_not_found`, 403 `print_other_branch`, 404 `no_container_list` / `no_goods_list` (the other
    list is the one for this cargo), 409 `not_eligible` (the status does not allow passing the zone)."""
    declaration = await services.declaration_by_number(number)
    if not await may_print(user, declaration):
        raise Forbidden(
            "print_other_branch",
            N_(
                "Only the branch of registration (%(branch)s) prints the lists of declaration %(number)s, where the "
                "declarant reprints them (Art 35.2.b.2.1.2), and, for imported goods, the officers at the import gate "
                "upstream names for them (Art 35.1.a.4, 36.1.a.4)."
            ),
            branch=f"{declaration.branch_name} ({declaration.branch_code})",
            number=declaration.number,
        )
    if list_for(declaration.cargo_type) != spec:
        if spec == CONTAINER_LIST:
            raise NotFound(
                "no_container_list",
                N_("Declaration %(number)s is not container cargo: print its goods list instead."),
                number=declaration.number,
            )
        raise NotFound(
            "no_goods_list",
            N_("Declaration %(number)s is container cargo: print its container list instead."),
            number=declaration.number,
        )
    if not declaration.allows_passage:
        raise NotPrintable(
            "not_eligible",
            N_(
                "The status of declaration %(number)s (%(status)s) does not allow passing the supervision zone: "
                "no list is printed."
            ),
            number=declaration.number,
            status=declaration.status_code,
        )
    return declaration


def _context(request: Request[Any, Any, Any], state: State, declaration: DeclarationView, spec: ListSpec) -> dict[str, Any]:
    text = encode(keyring_for(state.settings), declaration.number, declaration.version, spec.kind)
    alt = (
        gettext("Barcode of the container list") if spec == CONTAINER_LIST else gettext("Barcode of the goods list")
    )
    return {
        "d": declaration,
        "kind_label": gettext(KIND_LABELS[declaration.kind]) if declaration.kind in KIND_LABELS else declaration.kind,
        "payload": text,
        "qr": qr.qr_img_tag(text, alt),
        "version_since": _version_since(declaration),
        "printed_at": clock.now(),
        "printed_by": request.user,
        "weight": None if declaration.weight_kg is None else format_number(declaration.weight_kg),
        "packages": None if declaration.package_count is None else format_number(declaration.package_count, 0),
    }


@get("/declarations/{number:str}/container-list", guards=[require_roles(*CAN_PRINT)])
async def container_list(request: Request[Any, Any, Any], state: State, number: FromPath[str]) -> Template:
    """The container list of a container-cargo declaration at its current version, an A4 print page."""
    declaration = await printable(request.user, number, CONTAINER_LIST)
    return Template(CONTAINER_LIST.template, context=_context(request, state, declaration, CONTAINER_LIST))


@get("/declarations/{number:str}/goods-list", guards=[require_roles(*CAN_PRINT)])
async def goods_list(request: Request[Any, Any, Any], state: State, number: FromPath[str]) -> Template:
    """The goods list of a bulk, liquid or loose-cargo declaration at its current version, an A4 print page."""
    declaration = await printable(request.user, number, GOODS_LIST)
    return Template(GOODS_LIST.template, context=_context(request, state, declaration, GOODS_LIST))


ROUTES = [container_list, goods_list]
