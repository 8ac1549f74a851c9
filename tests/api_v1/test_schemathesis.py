"""Generated requests (schemathesis, from the served OpenAPI document) at every /api/v1 operation
with a valid key: whatever comes, no 500 and no traceback, and the answers match the documented
statuses and response schemas.

The schema is loaded eagerly from the document (it needs no app or database) and each request is
sent to the test's own app: `schemathesis.pytest.from_fixture` reads `Node._nodeid`, which
pytest 9 no longer has."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from api_v1.openapi import document

schema = schemathesis.openapi.from_dict(document())


@pytest.fixture
def fuzz_app(settings):
    """The app with a rate limit the generated requests cannot reach."""
    from app import create_app

    return create_app(settings.replace(api_rate_limit="100000 per minute"))


def no_traceback(ctx, response, case):
    body = response.content.lower()
    assert b"traceback" not in body and b"<html" not in body, response.content[:300]


@schema.parametrize()
@hypothesis_settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_never_crash(case, fuzz_app, sender):
    case.call_and_validate(app=fuzz_app, headers={"Authorization": f"Bearer {sender.key}"},
                           checks=[not_a_server_error, no_traceback, status_code_conformance,
                                   response_schema_conformance])
