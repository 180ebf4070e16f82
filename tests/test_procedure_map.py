"""The clause map (docs/procedure.md) holds true of the code and the tests.

The map is every Markdown table row of docs/procedure.md whose first cell is a clause: one row per clause and point
of Decision 1966 Arts 35–44 (`35.1.a.1`, `35.2.b.2.2`, `41.1.4.b`, `35.2.đ`: article, khoản, then điểm and
sub-points as the text numbers them) and one per step of the 6 Aug 2024 outage instructions (`2024.1`, `2024.2`,
...). Columns: clause | duty | status | code | tests | why. This module reads files only (Markdown, and the test
files through `ast`); it imports nothing of the app.

What fails:
- a row that does not parse: an unknown status (done, partial, not yet, not a software matter), a clause written
  otherwise, a row with another number of cells, a status other than done without its why;
- a clause twice, or an article of 35–44 with no row at all;
- a row marked done that names no test, or names a test that does not cite its clause (below);
- a named test that does not exist: `tests/<path>.py::test_name` (or `::Class::test_name`) must be a file holding
  that `def`; a parametrized id may follow in brackets (`::test_name[case_a]`), and each `-`-separated part of it
  must appear in the file;
- a code reference that does not exist: a path (`backend/gate/check.py`, `frontend/...`) must exist, a
  `path::name` must define `name` there (def, class or assignment), a command type (`gate.cancel_passage`) must be
  registered in its domain's commands.py, a `GIAMSAT_*` setting must be read in backend/settings.py.

The citation rule (what "a test cites its clause" means), kept simple and strict:
- in the test's name: the clause with `_` for `.` (and `dd` or `đ` for `đ`), as a whole part of the name:
  `test_report_cancels_35_2_b_2_2` cites 35.2.b.2.2; it does not cite 35.2.b.2 (a deeper point is another clause)
  nor 35.2.b.2.2.1;
- in the test's docstring: the clause in dotted form, with or without "Art"/"Điều" before it: "Art 35.2.b.2.2",
  "Điều 35.2.b.2.2", "(35.2.b.2.2 / 36.2.c.2.2)". A bare "Điều 35" cites article 35 only, never one of its points;
  a range ("35.1.a.2–a.3") cites its first clause only;
- an outage step (`2024.N`, the news has no numbered points): the name or the docstring says `2024`.
A test "cites" only in its own name or docstring: not in its module's docstring, its parametrized ids or its body.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MAP = REPO / "docs" / "procedure.md"

STATUSES = ("done", "partial", "not yet", "not a software matter")
ARTICLES = range(35, 45)
# A point of the text: digits (khoản, sub-points) or one letter among the điểm the text uses.
COMPONENT = r"(?:\d+|[a-eđ])"
CLAUSE = re.compile(rf"^(?:(?:3[5-9]|4[0-4])\.\d+(?:\.{COMPONENT})*|2024\.\d+)$")
TICKED = re.compile(r"`([^`]+)`")
TEST_REF = re.compile(r"^(tests/[\w/]+\.py)((?:::\w+)+)(?:\[([^\]]+)\])?$")
COMMAND_TYPE = re.compile(r"^([a-z]+)\.([a-z][a-z0-9_]*)$")
SETTING = re.compile(r"^GIAMSAT_[A-Z0-9_]+$")


@dataclass
class Row:
    line: int
    clause: str
    duty: str
    status: str
    code: str
    tests: str
    why: str
    problems: list[str] = field(default_factory=list)

    @property
    def test_refs(self) -> list[str]:
        return TICKED.findall(self.tests)


def cells(line: str) -> list[str]:
    """The cells of a Markdown table line (no escaped pipes are used in the map)."""
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


@lru_cache(maxsize=1)
def rows() -> tuple[Row, ...]:
    found = []
    for number, line in enumerate(MAP.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.startswith("|"):
            continue
        parts = cells(line)
        first = parts[0].strip("`")
        if first == "clause" or set(first) <= {"-", ":"}:
            continue  # a header or a separator
        row = Row(number, first, *(parts[1:6] + [""] * 5)[:5])
        if len(parts) != 6:
            row.problems.append(f"{len(parts)} cells, not 6")
        if not CLAUSE.match(first):
            row.problems.append(f"{first!r} is not a clause of Arts 35–44 or an outage step 2024.N")
        if row.status not in STATUSES:
            row.problems.append(f"status {row.status!r} is not one of {STATUSES}")
        if row.status != "done" and not row.why:
            row.problems.append(f"status {row.status!r} without its why")
        found.append(row)
    return tuple(found)


def _name_form(clause: str) -> str:
    parts = [re.escape(part).replace("đ", "(?:đ|dd)") for part in clause.split(".")]
    return "_".join(parts)


def cites(clause: str, name: str, docstring: str) -> bool:
    """Whether a test with this name and docstring cites the clause (the rule in this module's docstring)."""
    if clause.startswith("2024."):
        return bool(re.search(r"(?<![0-9])2024(?![0-9])", f"{name} {docstring}"))
    in_name = rf"(?:^|_){_name_form(clause)}(?!_(?:\d+|[a-e]|đ|dd)(?:_|$))(?=_|$)"
    dotted = re.escape(clause)
    in_doc = rf"(?<![\w.]){dotted}(?!\w)(?!\.{COMPONENT}(?!\w))"
    return bool(re.search(in_name, name) or re.search(in_doc, docstring))


@lru_cache(maxsize=None)
def read_test_file(path: str) -> tuple[str, dict[str, str], set[str]] | None:
    """(text, {function name: docstring}, class names) of a test file, or None when it does not exist."""
    file = REPO / path
    if not file.is_file():
        return None
    text = file.read_text(encoding="utf-8")
    functions: dict[str, str] = {}
    classes: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[node.name] = ast.get_docstring(node) or ""
        elif isinstance(node, ast.ClassDef):
            classes.add(node.name)
    return text, functions, classes


def resolve_test(ref: str) -> tuple[str, str] | str:
    """(name, docstring) of the test a map cell names, or what is wrong with the reference."""
    match = TEST_REF.match(ref)
    if not match:
        return f"{ref!r} is not tests/<path>.py::test_name"
    path, names, case = match.groups()
    parsed = read_test_file(path)
    if parsed is None:
        return f"{path} does not exist"
    text, functions, classes = parsed
    *owners, name = names.strip(":").split("::")
    if not name.startswith("test_") or name not in functions:
        return f"{path} has no def {name}"
    missing_classes = [owner for owner in owners if owner not in classes]
    if missing_classes:
        return f"{path} has no class {missing_classes[0]}"
    if case is not None:
        absent = [part for part in case.split("-") if part not in text]
        if absent:
            return f"{path}: the parametrized id {case!r} names {absent[0]!r}, which the file does not hold"
    return name, functions[name]


def code_problem(ref: str) -> str | None:
    """What is wrong with a code reference of the map, or None."""
    path, _, name = ref.partition("::")
    if "/" in path:
        target = REPO / path
        if not target.exists():
            return f"{path} does not exist"
        if name:
            if not target.is_file():
                return f"{path} is not a file to hold {name}"
            source = target.read_text(encoding="utf-8")
            pattern = rf"(?m)^\s*(?:async\s+def|def|class)\s+{re.escape(name)}\b|^{re.escape(name)}\s*[:=]"
            if not re.search(pattern, source):
                return f"{path} defines no {name}"
        return None
    command = COMMAND_TYPE.match(ref)
    if command:
        commands = REPO / "backend" / command.group(1) / "commands.py"
        if not commands.is_file() or f'"{ref}"' not in commands.read_text(encoding="utf-8"):
            return f"command type {ref} is not registered in backend/{command.group(1)}/commands.py"
        return None
    if SETTING.match(ref):
        if ref not in (REPO / "backend" / "settings.py").read_text(encoding="utf-8"):
            return f"setting {ref} is not read in backend/settings.py"
        return None
    return f"{ref!r} is not a path, path::name, command type or GIAMSAT_ setting"


def test_procedure_map_rows_parse() -> None:
    problems = [f"docs/procedure.md:{row.line} {row.clause}: {p}" for row in rows() for p in row.problems]

    assert rows(), "docs/procedure.md has no clause rows"
    assert problems == []


def test_procedure_map_has_each_clause_once() -> None:
    seen: dict[str, int] = {}
    twice = []
    for row in rows():
        if row.clause in seen:
            twice.append(f"{row.clause}: lines {seen[row.clause]} and {row.line}")
        seen.setdefault(row.clause, row.line)

    assert twice == []


def test_procedure_map_covers_every_article_35_to_44_and_the_outage() -> None:
    articles = {row.clause.split(".")[0] for row in rows()}

    assert {str(article) for article in ARTICLES} - articles == set()
    assert "2024" in articles


def test_procedure_map_done_rows_name_tests_that_cite_their_clause() -> None:
    problems = []
    for row in rows():
        if row.status != "done":
            continue
        if not row.test_refs:
            problems.append(f"{row.clause} is done but names no test")
        for ref in row.test_refs:
            resolved = resolve_test(ref)
            if isinstance(resolved, tuple) and not cites(row.clause, *resolved):
                problems.append(f"{row.clause}: {ref} does not cite {row.clause} in its name or docstring")

    assert problems == []


def test_procedure_map_named_tests_exist() -> None:
    problems = [
        f"{row.clause}: {resolved}"
        for row in rows()
        for ref in row.test_refs
        if isinstance(resolved := resolve_test(ref), str)
    ]

    assert problems == []


def test_procedure_map_code_references_exist() -> None:
    problems = [
        f"{row.clause}: {problem}"
        for row in rows()
        for ref in TICKED.findall(row.code)
        if (problem := code_problem(ref))
    ]

    assert problems == []


@pytest.mark.parametrize(
    ("clause", "name", "docstring", "expected"),
    [
        ("35.2.b.2.2", "test_report_cancels_35_2_b_2_2", "", True),
        ("35.2.b.2.2", "test_report_cancels_35_2_b_2_2_and_reports", "", True),
        ("35.2.b.2", "test_report_cancels_35_2_b_2_2", "", False),
        ("35.2.b.2.2", "test_x", "Art 35.2.b.2.2: cancel.", True),
        ("35.2.b.2.2", "test_x", "(35.2.b.2.2 / 36.2.c.2.2)", True),
        ("36.2.c.2.2", "test_x", "(35.2.b.2.2 / 36.2.c.2.2)", True),
        ("35.2.b.2", "test_x", "Art 35.2.b.2.2", False),
        ("35.2.b.2.2", "test_x", "Art 35.2.b.2.2.1", False),
        ("35.2.b.2.2", "test_x", "Art 135.2.b.2.2", False),
        ("35.3", "test_x", "Điều 35", False),
        ("35.3", "test_only_at_a_border_gate_36_3_and_35_3", "", True),
        ("36.3", "test_sign_box36_36_3_a_records", "", False),
        ("36.3.a", "test_sign_box36_36_3_a_records", "", True),
        ("35.2.đ", "test_anomaly_35_2_dd", "", True),
        ("35.2.đ", "test_x", "Điều 35.2.đ: biên bản bất thường", True),
        ("41.1.4.b", "test_overdue_41_1_4_b", "", True),
        ("2024.4", "test_three_copies_2024_outage", "", True),
        ("2024.4", "test_three_copies", "the outage of 20245", False),
    ],
)
def test_citation_rule_reads_names_and_docstrings_strictly(
    clause: str, name: str, docstring: str, expected: bool
) -> None:
    assert cites(clause, name, docstring) is expected
