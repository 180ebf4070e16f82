"""serialize.js `canonicalJSON`, run by node, against Python references: `json.dumps(sort_keys, no spaces)` for
ints, strings, booleans and null, and backend/lib/canonical.py (the server's twin) for everything, floats and
lone surrogates included. The signed bytes of a command are this text, so the two sides must agree exactly.

Values go to node as JSON with every non-ASCII character escaped (lone surrogates survive), and come back as a
JSON array of the texts node made.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from tests.conftest import REPO, REQUIRE_ALL

SERIALIZE_JS = REPO / "service_worker" / "serialize.js"

NODE_SCRIPT = """
const { canonicalJSON } = require(process.argv[1]);
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const values = JSON.parse(input);
  process.stdout.write(JSON.stringify(values.map((value) => canonicalJSON(value))));
});
"""

# Values where json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) is the reference:
# no floats (Python writes 1.0 and 1e+16 differently) and no lone surrogates (Python writes them raw).
PLAIN_CASES: list[Any] = [
    None,
    True,
    False,
    0,
    7,
    -42,
    2**53 - 1,
    -(2**53 - 1),
    "",
    "Nguyễn Văn An — kiểm tra hàng hóa",
    'quotes " and \\ backslash / slash',
    "control \b \f \n \r \t \x00 \x01 \x1f \x7f end",
    "line separators \u2028 \u2029 and emoji 🚢📦 and CJK 海关",
    "<script>&amp;</script>",
    [],
    {},
    [1, "two", None, True, [3, [4, {}]]],
    {"b": 1, "a": 2, "A": 3, "_": 4, "aa": 5, "ä": 6, "z": {"y": [{"d": 1, "c": "x"}], "x": None}},
    {
        "device_id": "web-7f0c",
        "id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "issued_at": "2026-11-25T08:00:00.000Z",
        "payload": {"location_id": 3, "text": "Niêm phong \"HP-123\"\nđã kiểm tra", "photos": ["ab" * 32]},
        "type": "logbook.add_entry",
    },
]

# Only for the server's twin: floats as JavaScript writes them, lone surrogates, keys past the BMP.
TWIN_CASES: list[Any] = [
    1.5,
    -0.0,
    0.1,
    1e21,
    1e-7,
    123456789012345680000.0,
    5e-324,
    1.7976931348623157e308,
    -1234.5678,
    "lone \ud800 high and \udfff low",
    {"\U0001f600": 1, "\uff61": 2, "z": 3},
]


def node_canonical(values: list[Any]) -> list[str]:
    node = shutil.which("node")
    if node is None:
        if REQUIRE_ALL:
            pytest.fail("node is not installed (GIAMSAT_REQUIRE_ALL=1)")
        pytest.skip("node is not installed")
    result = subprocess.run(
        [node, "-e", NODE_SCRIPT, str(SERIALIZE_JS)],
        input=json.dumps(values, ensure_ascii=True),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("value", PLAIN_CASES, ids=range(len(PLAIN_CASES)))
def test_canonical_json_matches_python_json_dumps(value: Any) -> None:
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    (written,) = node_canonical([value])

    assert written == expected


def test_canonical_json_sorts_keys_and_drops_whitespace() -> None:
    (written,) = node_canonical([{"b": [1, 2], "a": {"d": "x y", "c": -1}}])

    assert written == '{"a":{"c":-1,"d":"x y"},"b":[1,2]}'


def test_canonical_json_matches_the_servers_twin() -> None:
    canonical = pytest.importorskip("backend.lib.canonical")
    values = PLAIN_CASES + TWIN_CASES

    written = node_canonical(values)

    assert written == [canonical.canonical_json(value) for value in values]
