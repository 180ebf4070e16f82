"""Issue 11, API fuzzing: schemathesis generates requests from the app's own OpenAPI description (/schema/openapi.json)
and sends them through Litestar's TestClient, as nobody, as an officer and as an admin, on SQLite and PostgreSQL.

What must hold for every generated request, valid or not (docs/security.md, "Fuzzing"):
- no server error (5xx): bad input is a 4xx that a device drops instead of retrying forever;
- for the JSON API (/api/*, /auth/*, /healthz: where errors are JSON), the answer conforms to the description: its status
  is one the operation documents, its content type too, and its body matches the documented schema — errors
  included, which are `{error, message, detail}` (app.document_errors), not Litestar's default shape.
HTML pages are for browsers and described only loosely (a form's POST answers a redirect or a page): they are
checked for server errors only.

Bounded: a few examples per operation (EXAMPLES, positive and negative), no shrinking, no example database, so a
run takes the same few minutes every time; a failure names the operation and the request (as a curl command).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from tests.auth.soft_authenticator import with_csrf
from tests.conftest import World, sign_in_as

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Per operation, role and database: enough to meet each kind of bad input, few enough for seconds. A deeper hunt:
# GIAMSAT_FUZZ_EXAMPLES=200 make test PYTEST_ARGS="-n 0 tests/security/test_fuzz.py".
EXAMPLES = int(os.environ.get("GIAMSAT_FUZZ_EXAMPLES") or 6)
API_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PAGE_CHECKS = [not_a_server_error]
# Operations that would end the fuzzing session itself (the rest of the run would then be anonymous).
ENDS_THE_SESSION = {("POST", "/signout")}


def is_api(operation: Any) -> bool:
    """The JSON API (what devices and machine clients read): the paths whose errors are JSON (app.wants_json)."""
    return operation.path.startswith(("/api/", "/auth/")) or operation.path == "/healthz"


def send(client: TestClient, case: Any) -> Any:
    """The generated request, through the app's TestClient (its cookies: the session and the CSRF token)."""
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url))
    request: dict[str, Any] = {"headers": kwargs.get("headers") or {}, "params": kwargs.get("params") or None}
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        request["content"] = kwargs["data"]
    for name, value in (kwargs.get("cookies") or {}).items():
        client.cookies.set(name, value)
    return client.request(kwargs["method"], kwargs["url"], follow_redirects=False, **request)


def fuzz(client: TestClient, role: str) -> int:
    """Every operation of the description, EXAMPLES requests each; raises on the first broken promise."""
    schema = schemathesis.openapi.from_dict(client.get("/schema/openapi.json").json())
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in ENDS_THE_SESSION and role != "anonymous":
            continue
        checks = API_CHECKS if is_api(operation) else PAGE_CHECKS
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @given(case=strategy)
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            nonlocal sent
            response = send(client, case)
            sent += 1
            try:
                case.validate_response(response, checks=checks)
            except Exception as failure:
                raise AssertionError(
                    f"{role}: {operation.method.upper()} {operation.path} answered {response.status_code} "
                    f"{response.text[:300]!r}\n{case.as_curl_command()}\n{failure}"
                ) from None

        run()
    return sent


@pytest.mark.parametrize("role", ["anonymous", "officer", "admin"])
def test_fuzzed_requests_get_no_server_error_and_documented_answers(client: TestClient, world: World, role: str) -> None:
    if role == "anonymous":
        with_csrf(client)  # a stranger's browser has the CSRF cookie too: the endpoints themselves get fuzzed
    else:
        sign_in_as(client, world[role])

    sent = fuzz(client, role)

    assert sent >= 60 * EXAMPLES // 2  # every operation was reached (a few have too few distinct inputs to fill EXAMPLES)
