"""schemathesis against /api/v1/openapi.json on a live server: for every operation, requests
that fit the document and requests that do not. No answer may be a 5xx, and every answer
(status, content type, body, headers) must be one the document describes."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.conftest import LiveServer, assert_no_server_errors
from tests.web.conftest import PASSWORD

# Per operation and mode; 13 operations x 2 modes x 40 is ~1,040 requests, about two minutes here.
EXAMPLES = 40
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _token(base: str) -> str:
    answer = httpx.post(
        f"{base}/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _a_note(base: str, token: str) -> str:
    answer = httpx.post(
        f"{base}/api/v1/notes",
        json={"title": "Fox", "content": "A quick brown fox.", "tags": ["animals"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def test_no_generated_request_gets_a_5xx_or_an_answer_outside_the_document(
    live_server: LiveServer,
) -> None:
    base = live_server.base
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    token = _token(base)
    headers = {"Authorization": f"Bearer {token}"}
    note_id = _a_note(base, token)
    statuses: Counter[int] = Counter()
    started = time.monotonic()

    operations = [result.ok() for result in schema.get_all_operations()]
    # Every operation but GET of the document itself, which schemathesis leaves out.
    assert len(operations) == 13, sorted(op.label for op in operations)
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)
            if "{note_id}" in operation.path and mode is GenerationMode.POSITIVE:
                # Half the time a note that exists, so PATCH and DELETE get past the 404.
                existing = operation.as_strategy(path_parameters={"note_id": note_id})
                strategy = st.one_of(strategy, existing)

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def send(case: Any) -> None:
                response = case.call(base_url=base, headers=headers, timeout=30)
                statuses[response.status_code] += 1
                case.validate_response(response, checks=CHECKS)

            send()

    assert_no_server_errors(
        "rest-fuzz", statuses, started, live_server, f" over {len(operations)} operations"
    )
