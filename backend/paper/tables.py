"""The paper domain's tables; written only by the `paper.*` commands (backend/paper/commands.py)."""

from piccolo.columns import UUID, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.officers.tables import Branch, Location, Officer
from backend.paper.workflow import RequestState


class Form07(Table, tablename="paper_form07"):
    """A Danh sách hàng hóa đủ điều kiện qua khu vực giám sát hải quan (form 07/DSHHG/GSQL).

    `serial` is `07/<branch code>/<year>/<seq, 6 digits>`; `seq` counts the branch's forms of the year from 1,
    allocated inside the issuing command's transaction, which the journal serializes per branch.
    """

    command_id = UUID(unique=True)
    serial = Varchar(length=48, unique=True, index=True)
    branch = ForeignKey(references=Branch, null=False, index=True)
    year = Integer()
    seq = Integer()
    # What allows the goods through: a paper declaration, an authority's document, or an approved Art 38.2 request.
    basis = Varchar(length=32)
    basis_number = Varchar(length=64, default="")
    basis_date = Date(null=True, default=None)
    basis_issuer = Varchar(length=200, default="")  # the authority that issued the document (special cases)
    basis_detail = Text(default="")  # the declaration's kind, or what the document allows
    request = Integer(null=True, default=None)  # ExportExitRequest.id for basis "export_exit_request"
    declarant_name = Varchar(length=200)
    declarant_tax_code = Varchar(length=20, default="")
    vehicle = Varchar(length=100, default="")
    containers = Text(default="")  # container numbers, one per line
    goods = Text()  # JSON list of goods lines (schemas.GoodsLine)
    location = ForeignKey(references=Location, null=False)
    officer = ForeignKey(references=Officer, null=False)
    issued_at = Timestamptz()  # device clock: when the officer signed
    recorded_at = Timestamptz(default=TimestamptzNow())


class ExportExitRequest(Table, tablename="paper_export_exit_request"):
    """Art 37.3 / 38.2: the declarant's written request, confirmed by the port or warehouse operator, to take
    export goods brought in without customs procedure out again; the branch head approves or rejects it.
    `state` is assigned only by `workflow.transition()`."""

    command_id = UUID(unique=True)
    branch = ForeignKey(references=Branch, null=False, index=True)
    location = ForeignKey(references=Location, null=False)
    officer = ForeignKey(references=Officer, null=False)  # who recorded the request
    declarant_name = Varchar(length=200)
    declarant_tax_code = Varchar(length=20, default="")
    request_number = Varchar(length=64)
    request_date = Date()
    operator_name = Varchar(length=200)
    operator_confirmation_number = Varchar(length=64)
    operator_confirmation_date = Date()
    vehicle = Varchar(length=100, default="")
    containers = Text(default="")
    goods = Text()  # JSON list of goods lines
    state = Varchar(length=16, choices=RequestState, default=RequestState.REQUESTED, index=True)
    decided_by = ForeignKey(references=Officer, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    reason = Text(default="")  # why it was rejected or withdrawn
    form07 = Integer(null=True, default=None)  # Form07.id once issued
    issued_at = Timestamptz()
    recorded_at = Timestamptz(default=TimestamptzNow())


class PaperReport(Table, tablename="paper_report"):
    """Art 35.3.b / 36.3.b: a paper declaration without the eligibility confirmation. Nothing is confirmed;
    the officer reports it to the branch head, whose list shows it."""

    command_id = UUID(unique=True)
    branch = ForeignKey(references=Branch, null=False, index=True)
    location = ForeignKey(references=Location, null=False)
    officer = ForeignKey(references=Officer, null=False)
    declaration_number = Varchar(length=64)
    declaration_date = Date()
    declaration_kind = Varchar(length=16)
    declarant_name = Varchar(length=200)
    declarant_tax_code = Varchar(length=20, default="")
    reason = Text()
    issued_at = Timestamptz()
    recorded_at = Timestamptz(default=TimestamptzNow())


class BorderCheck(Table, tablename="paper_border_check"):
    """Art 36.3: a paper import declaration at a land border gate, compared with the outside state of the goods.

    `outcome` "box36_signed" (36.3.a: it matches, the officer supervises the goods out and signs box 36 — a signed
    command, no form 07) or "exit_refused" (36.3.b: it does not match, or the declaration lacks the confirmation;
    the goods may not leave and the branch head is told, on /paper). Written only by `paper.sign_box36` and
    `paper.refuse_exit`."""

    command_id = UUID(unique=True)
    branch = ForeignKey(references=Branch, null=False, index=True)
    location = ForeignKey(references=Location, null=False)
    officer = ForeignKey(references=Officer, null=False)
    outcome = Varchar(length=16, index=True)
    declaration_number = Varchar(length=64)
    declaration_date = Date()
    declaration_kind = Varchar(length=16)
    declarant_name = Varchar(length=200)
    declarant_tax_code = Varchar(length=20, default="")
    vehicle = Varchar(length=100, default="")
    containers = Text(default="")  # container numbers, one per line
    goods_description = Text(default="")
    outside_state = Varchar(length=16)  # "intact" | "damaged": the goods' outside state as the officer saw it
    seals_intact = Boolean(null=True, default=None)  # None: no seal on the goods, or not checked
    outside_note = Text(default="")  # what was compared, what differs
    reason = Text(default="")  # why exit was refused (36.3.b)
    issued_at = Timestamptz()  # device clock: when the officer signed box 36 or refused exit
    recorded_at = Timestamptz(default=TimestamptzNow())
