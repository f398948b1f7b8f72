"""hypothesis against the OAuth doors the REST document does not cover: registration (any
JSON), the token and revocation endpoints (any form), and the authorize page (any query,
signed in or not). None may answer 5xx or log an error."""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import LiveServer, assert_no_server_errors
from tests.web.conftest import PASSWORD
from vault_mcp.web.oauth import AUTHORIZE_PARAMS

EXAMPLES = 100  # per door; 300 requests, about ten seconds here

# Text a form or a query can carry (NUL included; lone surrogates cannot be percent-encoded).
TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
URLS = st.sampled_from(
    [
        "http://127.0.0.1:9999/callback",
        "http://127.0.0.1:99999/callback",
        "http://[::1/cb",
        "https://h:abc/x",
        "https://" + "a" * 300 + ".example/x",
        "https://app.example/cb#frag",
        "https://user:pw@app.example/cb",
    ]
)
VALUE = TEXT | URLS
PARAMS = [
    *AUTHORIZE_PARAMS,
    "grant_type",
    "code",
    "code_verifier",
    "refresh_token",
    "client_secret",
    "token",
]
FORMS = st.dictionaries(st.sampled_from(PARAMS) | TEXT, VALUE, max_size=8)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | VALUE,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
VALID_REGISTRATION = {
    "redirect_uris": ["http://127.0.0.1:9999/callback"],
    "token_endpoint_auth_method": "none",
    "client_name": "Fuzz",
}
REGISTRATIONS = st.fixed_dictionaries(
    {},
    optional={
        "redirect_uris": st.lists(URLS | TEXT, max_size=3) | JSON,
        "client_name": VALUE | JSON,
        "token_endpoint_auth_method": st.sampled_from(["none", "client_secret_post"]) | JSON,
        "grant_types": st.just(["authorization_code", "refresh_token"]) | JSON,
        "scope": VALUE,
        "application_type": VALUE,
    },
)


def _sign_in(browser: httpx.Client) -> None:
    page = browser.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    answer = browser.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": csrf.group(1)}
    )
    assert answer.status_code == 303, answer.text


def test_no_generated_oauth_request_gets_a_5xx(live_server: LiveServer) -> None:
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    fuzz = settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )

    with (
        httpx.Client(base_url=live_server.base, timeout=30) as anonymous,
        httpx.Client(base_url=live_server.base, timeout=30) as browser,
    ):
        _sign_in(browser)

        def sent(response: httpx.Response) -> None:
            statuses[response.status_code] += 1
            assert response.status_code < 500, (response.request.url, response.text[:300])

        registered = anonymous.post("/oauth/register", json=VALID_REGISTRATION)
        assert registered.status_code == 201, registered.text
        # Mostly valid requests from a registered client with one or more fields replaced,
        # so the fuzz reaches past the first check; and wholly generated ones.
        valid = {
            "response_type": "code",
            "client_id": registered.json()["client_id"],
            "redirect_uri": VALID_REGISTRATION["redirect_uris"][0],
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
            "state": "xyz",
            "grant_type": "refresh_token",
            "refresh_token": "not-a-token",
        }
        requests = FORMS.map(lambda changes: {**valid, **changes}) | FORMS

        @fuzz
        @given(body=REGISTRATIONS.map(lambda r: {**VALID_REGISTRATION, **r}) | REGISTRATIONS | JSON)
        def register(body: Any) -> None:
            sent(anonymous.post("/oauth/register", json=body))

        @fuzz
        @given(form=requests, path=st.sampled_from(["/oauth/token", "/oauth/revoke"]))
        def token_or_revoke(form: dict[str, str], path: str) -> None:
            sent(anonymous.post(path, data=form))

        @fuzz
        @given(query=requests, client=st.sampled_from([anonymous, browser]))
        def authorize(query: dict[str, str], client: httpx.Client) -> None:
            sent(client.get("/oauth/authorize", params=query))

        for door in (register, token_or_revoke, authorize):
            door()

    assert_no_server_errors("oauth-fuzz", statuses, started, live_server)
