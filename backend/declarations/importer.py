"""`giamsat declarations import FILE`: declarations from a JSON or CSV file (format in docs/declarations.md).

All or nothing: when any line is refused, nothing is written and every refused line is named. Importing the
same file again changes nothing (every declaration answers `unchanged`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from backend.declarations.schemas import ItemResult
from backend.declarations.services import upsert_many

CSV_COLUMNS = (
    "number",
    "kind",
    "version",
    "status_code",
    "allows_passage",
    "lane",
    "branch_code",
    "seal_required",
    "sealed",
    "cargo_type",
    "containers",
    "weight_kg",
    "package_count",
    "goods_description",
    "warnings",
    "xray_warnings",
    "places",
)
REQUIRED_CSV_COLUMNS = ("number", "kind", "status_code", "allows_passage", "lane", "branch_code", "cargo_type")
_TRUE = {"1", "true", "yes", "y", "x", "có"}
_FALSE = {"", "0", "false", "no", "n", "không"}


class ImportFileError(Exception):
    """The file as a whole cannot be read (not JSON, not a list, a CSV without its header)."""


@dataclass
class ImportReport:
    labels: list[str]  # "line 3" (CSV) or "item 3" (JSON), one per item
    results: list[ItemResult]
    written: bool

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def refused(self) -> list[tuple[str, ItemResult]]:
        return [(label, result) for label, result in zip(self.labels, self.results) if result.status == "refused"]


def _bool(text: str) -> bool | str:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return text  # left as text: validation names the field


def _int(text: str) -> int | str | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return text


def _float(text: str) -> float | str | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return text


def _split(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(";") if part.strip()]


def csv_item(row: dict[str, str]) -> dict[str, Any]:
    """One CSV row -> an API item (types converted where they can be; the rest is left for validation to name)."""
    cell = lambda name: row.get(name) or ""
    item: dict[str, Any] = {
        "number": cell("number").strip(),
        "kind": cell("kind").strip(),
        "version": _int(cell("version")) or 1,
        "status_code": cell("status_code").strip(),
        "allows_passage": _bool(cell("allows_passage")),
        "lane": _int(cell("lane")),
        "branch_code": cell("branch_code").strip(),
        "seal_required": _bool(cell("seal_required")),
        "sealed": _bool(cell("sealed")),
        "cargo_type": cell("cargo_type").strip(),
        "containers": [
            {"number": number.strip(), "seal": seal.strip()}
            for number, _, seal in (part.partition(":") for part in _split(cell("containers")))
        ],
        "weight_kg": _float(cell("weight_kg")),
        "package_count": _int(cell("package_count")),
        "goods_description": cell("goods_description"),
        "warnings": [{"text": text, "source": "upstream"} for text in _split(cell("warnings"))]
        + [{"text": text, "source": "xray"} for text in _split(cell("xray_warnings"))],
        "places": _split(cell("places")),
    }
    return item


def read_items(path: Path) -> tuple[list[str], list[Any]]:
    """(labels, items) from a .json file (a list of API items) or any other file read as CSV with a header."""
    data = path.read_bytes()
    if path.suffix.lower() == ".json":
        try:
            items = msgspec.json.decode(data)
        except msgspec.DecodeError as exc:
            raise ImportFileError(f"{path}: not JSON: {exc}") from exc
        if not isinstance(items, list):
            raise ImportFileError(f"{path}: a JSON list of declarations is expected")
        return [f"item {index}" for index in range(1, len(items) + 1)], items
    text = data.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [name for name in REQUIRED_CSV_COLUMNS if name not in header]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if missing or unknown:
        raise ImportFileError(f"{path}: header: missing columns {missing}, unknown columns {unknown}")
    labels, items = [], []
    for row in reader:
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # blank line
        labels.append(f"line {reader.line_num}")
        items.append(csv_item(row))
    return labels, items


async def import_file(path: str | Path, source: str | None = None) -> ImportReport:
    """Validate every declaration of the file; write them all in one transaction only if none is refused."""
    path = Path(path)
    labels, items = read_items(path)
    results = await upsert_many(items, source or f"import:{path.name}", all_or_nothing=True)
    written = not any(result.status == "refused" for result in results)
    return ImportReport(labels, results, written)
