"""The cfs domain's tables; written only by the `cfs.*` commands (backend/cfs/commands.py)."""

from piccolo.columns import UUID, BigInt, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.cfs.workflow import ListState
from backend.officers.tables import Branch, Location, Officer


class CfsList(Table, tablename="cfs_list"):
    """The consolidation list of one export container at a CFS (Danh mục hàng hóa xuất khẩu đóng ghép chung
    container, form 25/DMXK-CFS/GSQL; Decision 1966 Art 44.2.b). `branch` is the premises' managing branch when the
    list was made; `state` is assigned only by `workflow.transition()`."""

    command_id = UUID(unique=True)
    branch = ForeignKey(references=Branch, null=False, index=True)
    premises = ForeignKey(references=Location, null=False, index=True)
    container = Varchar(length=11, index=True)  # ISO 6346, check digit checked
    created_by = ForeignKey(references=Officer, null=False)
    state = Varchar(length=16, choices=ListState, default=ListState.DRAFT, index=True)
    submitted_by = ForeignKey(references=Officer, null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)
    checked_at = Timestamptz(null=True, default=None)
    signed_by = ForeignKey(references=Officer, null=True, default=None)
    signed_at = Timestamptz(null=True, default=None)
    received_by = ForeignKey(references=Officer, null=True, default=None)
    received_at = Timestamptz(null=True, default=None)
    issued_at = Timestamptz()  # device clock: when the staff member started the list
    recorded_at = Timestamptz(default=TimestamptzNow())


class CfsLine(Table, tablename="cfs_line"):
    """One line of the list: an export declaration's goods in the container, and the officer's comparison of it."""

    cfs_list = ForeignKey(references=CfsList, null=False, index=True)
    line = Integer()  # its number on the list, from 1
    declaration_number = Varchar(length=12, index=True)
    goods = Text()
    packages = Integer()
    weight_g = BigInt()  # grams, so kg with 3 decimals stay exact
    result = Varchar(length=16, default="")  # "" not compared yet, "match" or "difference"
    note = Text(default="")  # the officer's note of the difference
    checked_by = ForeignKey(references=Officer, null=True, default=None)
    checked_at = Timestamptz(null=True, default=None)
