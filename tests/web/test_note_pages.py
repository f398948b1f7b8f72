"""The notes pages in-process: Markdown, tag filters, pages both ways, kept input, 404, notices,
and no caching of anything a signed-in person sees."""

from __future__ import annotations

import re
from html import unescape

import pytest
from starlette.testclient import TestClient

from tests.web.test_views import _csrf, _sign_in
from vault_mcp.web import views

_TITLES = re.compile(r'<a href="/notes/[0-9a-f-]{36}" class="title">([^<]*)</a>')
_NEWER = re.compile(r'<a href="([^"]*)" rel="prev">')
_OLDER = re.compile(r'<a href="([^"]*)" rel="next"')


def _write(http: TestClient, title: str, content: str = "text", tags: str = "") -> str:
    token = _csrf(http.get("/notes/new").text)
    response = http.post(
        "/notes", data={"title": title, "content": content, "tags": tags, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def _page(http: TestClient, path: str) -> tuple[list[str], str | None, str | None]:
    """The titles on a list page, and its Newer and Older links."""
    response = http.get(path)
    assert response.status_code == 200, response.text
    newer, older = _NEWER.search(response.text), _OLDER.search(response.text)
    return (
        _TITLES.findall(response.text),
        unescape(newer.group(1)) if newer else None,
        unescape(older.group(1)) if older else None,
    )


def _walk(http: TestClient, start: str) -> tuple[list[list[str]], list[list[str]]]:
    """Every page from `start` to the oldest by Older, then back to the newest by Newer."""
    pages, path = [], start
    while True:
        titles, _, older = _page(http, path)
        pages.append(titles)
        if older is None:
            break
        path = older
    back = [pages[-1]]
    _, newer, _ = _page(http, path)
    while newer is not None:
        titles, newer, _ = _page(http, newer)
        back.append(titles)
    return pages, back[::-1]


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)


def test_a_note_page_renders_its_markdown(http: TestClient) -> None:
    _sign_in(http)
    text = (
        "## Day 1\n\n- [x] pack\n- [ ] walk\n\n| km | time |\n|--|--|\n| 12 | 4h |\n\n"
        "```\ncode <here>\n```\n\n[map](https://example.com/map) <script>alert(1)</script>"
    )
    html = http.get(_write(http, "Trip", text)).text
    assert "<h2>Day 1</h2>" in html and "<table>" in html and "<td>12</td>" in html
    assert html.count('type="checkbox"') == 2 and "<pre><code>code &lt;here&gt;" in html
    assert '<a href="https://example.com/map" rel="noopener noreferrer">map</a>' in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_list_previews_and_search_snippets_are_plain_text_with_the_words_marked(
    http: TestClient,
) -> None:
    _sign_in(http)
    _write(http, "Bread", "## Starter\n\nFeed the **starter** twice a day, `flour` and water.")
    listed = http.get("/notes").text
    assert "Starter Feed the starter twice a day, flour and water." in " ".join(listed.split())
    found = http.get("/notes?q=starter+flour").text
    snippet = re.search(r'<p class="snippet">(.*?)</p>', found, re.S)
    assert snippet is not None and "**" not in snippet.group(1) and "`" not in snippet.group(1)
    assert "<mark>starter</mark>" in snippet.group(1) and "<mark>flour</mark>" in snippet.group(1)


def test_tags_are_links_that_filter_the_list_and_the_filter_can_be_removed(
    http: TestClient,
) -> None:
    _sign_in(http)
    note = _write(http, "Tent", tags="camping, gear")
    _write(http, "Taxes", tags="money")
    assert '<a class="tag" href="/notes?tag=camping">camping</a>' in http.get(note).text
    titles, _, _ = _page(http, "/notes?tag=camping")
    assert titles == ["Tent"]
    filtered = http.get("/notes?tag=camping").text
    assert 'Tagged <span class="tag">camping</span>' in filtered
    assert '<a class="clear" href="/notes"' in filtered
    assert _page(http, "/notes")[0] == ["Taxes", "Tent"]
    assert "No note is tagged “none”" in http.get("/notes?tag=none").text


def test_pages_go_to_older_and_back_to_newer_notes_and_stop_at_both_ends(
    http: TestClient, small_pages: None
) -> None:
    _sign_in(http)
    for n in range(1, 6):
        _write(http, f"n{n}")
    first, newer, _ = _page(http, "/notes")
    assert first == ["n5", "n4"] and newer is None
    older, back = _walk(http, "/notes")
    assert older == [["n5", "n4"], ["n3", "n2"], ["n1"]]
    assert back == older
    assert _page(http, "/notes")[1] is None


def test_pages_with_a_tag_filter_keep_it_both_ways(http: TestClient, small_pages: None) -> None:
    _sign_in(http)
    for n in range(1, 8):
        _write(http, f"n{n}", tags="odd" if n % 2 else "even")
    older, back = _walk(http, "/notes?tag=odd")
    assert older == [["n7", "n5"], ["n3", "n1"]]
    assert back == older
    _, _, to_older = _page(http, "/notes?tag=odd")
    assert to_older is not None and "tag=odd" in to_older
    _, to_newer, _ = _page(http, to_older)
    assert to_newer is not None and "tag=odd" in to_newer


def test_newer_pages_reach_notes_written_since_and_end_on_a_full_first_page(
    http: TestClient, small_pages: None
) -> None:
    _sign_in(http)
    for n in range(1, 6):
        _write(http, f"n{n}")
    _, _, second = _page(http, "/notes")
    assert second is not None
    _, newer, _ = _page(http, second)
    _write(http, "n6")
    _write(http, "n7")
    _write(http, "n8")
    titles, newer, _ = _page(http, str(newer))
    assert titles == ["n5", "n4"] and newer is not None
    titles, newer, _ = _page(http, newer)
    assert titles == ["n7", "n6"] and newer is not None
    titles, newer, _ = _page(http, newer)
    assert titles == ["n8", "n7"] and newer is None  # the first page, full


def test_a_cursor_that_is_not_one_is_refused_with_a_page(http: TestClient) -> None:
    _sign_in(http)
    for query in ("cursor=bogus", "before=bogus"):
        response = http.get(f"/notes?{query}")
        assert response.status_code == 422 and "cursor is not valid" in response.text


def test_a_failed_edit_keeps_what_was_typed(http: TestClient) -> None:
    _sign_in(http)
    note = _write(http, "Stored title", "stored text", "kept")
    token = _csrf(http.get(note).text)
    response = http.post(
        note,
        data={
            "title": "t" * 501,
            "content": "my new paragraph",
            "tags": "fresh, tags",
            "csrf_token": token,
        },
    )
    assert response.status_code == 422 and "title is 501 characters" in response.text
    assert "my new paragraph</textarea>" in response.text
    assert 'value="fresh, tags"' in response.text and 'value="' + "t" * 501 + '"' in response.text
    assert "stored text</textarea>" not in response.text
    assert "stored text" in http.get(note).text  # nothing was written


def test_a_failed_create_keeps_what_was_typed_on_the_new_note_page(http: TestClient) -> None:
    _sign_in(http)
    token = _csrf(http.get("/notes").text)
    response = http.post(
        "/notes", data={"title": "Draft", "content": "", "tags": "a, b", "csrf_token": token}
    )
    assert response.status_code == 422 and "content is empty" in response.text
    assert "<h1>New note</h1>" in response.text
    assert 'value="Draft"' in response.text and 'value="a, b"' in response.text


def test_the_list_links_to_a_new_note_page(http: TestClient) -> None:
    _sign_in(http)
    assert '<a class="button primary new-link" href="/notes/new">' in http.get("/notes").text
    page = http.get("/notes/new")
    assert page.status_code == 200 and 'action="/notes"' in page.text


@pytest.mark.parametrize("path", ["/nothing-here", "/notes/a/b", "/logout", "/static/none.css"])
def test_an_unknown_page_is_a_404_in_the_sites_style(http: TestClient, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert '<link rel="stylesheet" href="/static/style.css">' in response.text
    assert "There is no page at this address." in response.text


def test_a_404_page_keeps_the_signed_in_header(http: TestClient) -> None:
    _sign_in(http)
    response = http.get("/nothing-here")
    assert response.status_code == 404 and "Sign out" in response.text


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/oauth/nothing", "/.well-known/nothing"])
def test_an_unknown_api_path_is_still_a_json_404(http: TestClient, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_signing_out_lands_on_the_sign_in_page_saying_so(http: TestClient) -> None:
    _sign_in(http)
    token = _csrf(http.get("/notes").text)
    response = http.post("/logout", data={"csrf_token": token})
    assert response.headers["location"] == "/login?notice=signed-out"
    page = http.get(response.headers["location"]).text
    assert '<p class="notice" role="status">You are signed out.</p>' in page


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("deleted", "Note moved to the trash."),
        ("restored", "Note restored."),
        ("revoked", "Revoked: that app can no longer reach your vault."),
        ("account-created", "Your account is ready."),
    ],
)
def test_each_notice_key_shows_its_own_words(http: TestClient, key: str, text: str) -> None:
    _sign_in(http)
    assert f'role="status">{text}</p>' in http.get(f"/notes?notice={key}").text


def test_a_notice_never_shows_words_from_the_address(http: TestClient) -> None:
    page = http.get("/login?notice=%3Cb%3Epay+now%3C%2Fb%3E").text
    assert 'class="notice"' not in page and "pay now" not in page


def test_no_signed_in_page_and_not_the_sign_in_page_may_be_cached(http: TestClient) -> None:
    assert http.get("/login").headers["cache-control"] == "no-store"
    _sign_in(http)
    note = _write(http, "Private", "a secret", "x")
    token = _csrf(http.get("/notes").text)
    bad_edit = http.post(note, data={"title": "", "content": "c", "csrf_token": token})
    assert bad_edit.status_code == 422 and bad_edit.headers["cache-control"] == "no-store"
    for path in (
        "/notes",
        "/notes?q=secret",
        "/notes?tag=x",
        "/notes/new",
        note,
        "/notes/00000000-0000-0000-0000-000000000000",
        "/nothing-here",
    ):
        assert http.get(path).headers["cache-control"] == "no-store", path
