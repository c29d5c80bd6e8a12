"""Fuzz the hook API from its own OpenAPI schema: no 5xx, no crash."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sloppy_testkit.provider_stub import SDK_MODULES

from sloppy.hooks.routes import build_app
from sloppy.providers.chat import ChatSession
from sloppy.warm import engine
from tests.support.warmed import warmed

pytestmark = pytest.mark.slow
KEY = "fuzz-key-0123456789abcdef"
EXAMPLES = 60


@pytest.fixture(scope="module")
def schema(module_home):
    c = warmed(["fastapi", "fastapi.security.api_key", *SDK_MODULES])
    # No provider keys: /api/send exercises validation and the 4xx error path, never the net.
    app = build_app(
        c, ChatSession(), KEY, headless=True, openapi_url="/openapi.json", web_host="testserver"
    )
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    c.shutdown()


def test_fuzz_every_operation(schema, record_property) -> None:
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 6
    counted = {"cases": 0}
    for operation in operations:
        engine.activate(None)  # nothing in the API may need an import at request time

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy())
        def fuzz(case) -> None:
            counted["cases"] += 1
            case.query = {**(case.query or {}), "timeout": 0} if "wait" in case.path else case.query
            response = case.call(headers={"X-API-Key": KEY})
            assert response.status_code < 500, (case.path, response.status_code, response.text)
            unauth = case.call(headers={"X-API-Key": "nope"})
            assert unauth.status_code == 401

        fuzz()
    record_property("fuzz_cases", counted["cases"])  # in the JUnit report, not on stdout
    assert counted["cases"] >= len(operations) * 10
