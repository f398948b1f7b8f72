"""The REST API's request and response shapes: what the handlers parse and return, and so
the source of the OpenAPI document's schemas."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from vault_mcp.domain import MAX_LIMIT, MAX_QUERY_CHARS, MAX_TAG_CHARS, MAX_TAGS, MAX_TITLE_CHARS

# The limits themselves are the domain's (every door applies them the same way, after
# trimming); the schemas only describe them.
_TITLE = f"A short title, at most {MAX_TITLE_CHARS} characters."
_TAGS = f"Short labels such as 'work'; at most {MAX_TAGS}, each up to {MAX_TAG_CHARS} characters."


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(_Body):
    username: str
    password: str


class RefreshBody(_Body):
    refresh_token: str


class NoteCreateBody(_Body):
    title: str = Field(description=_TITLE)
    content: str = Field(description="The note's text (Markdown is fine).")
    tags: list[str] = Field([], description=_TAGS)


class NotePatchBody(_Body):
    """Fields left out (or null) stay as they are."""

    title: str | None = Field(None, description=_TITLE)
    content: str | None = Field(None, description="New text, replacing the old.")
    tags: list[str] | None = Field(None, description=_TAGS)


class NotesQuery(BaseModel):
    """GET /api/v1/notes: a page of notes newest first, or with `q` a search (by meaning and
    by words, as search_notes)."""

    q: str | None = Field(
        None, description=f"Search by meaning and words (at most {MAX_QUERY_CHARS} characters)."
    )
    limit: int | None = Field(
        None,
        description="20 notes a page, or 10 search results, if omitted.",
        json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT},  # checked by the domain
    )
    cursor: str | None = Field(None, description="The next_cursor of the previous page.")
    tag: list[str] = Field(
        [], description="Only notes with this tag; a search may repeat it to require several."
    )
    since: AwareDatetime | None = Field(
        None, description="Only notes updated at or after this time (ISO 8601 with a time zone)."
    )
    until: AwareDatetime | None = Field(
        None, description="Only notes updated before this time (ISO 8601 with a time zone)."
    )


class NoteReadQuery(BaseModel):
    """GET /api/v1/notes/{note_id}: the note, a long one a page at a time."""

    offset: int = Field(
        0,
        description="Where in the text to start (a next_offset from a read).",
        json_schema_extra={"minimum": 0},  # checked by the domain
    )


class Tokens(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"]
    expires_in: int = Field(description="Seconds until the access token expires.")
    scope: str = Field(description="The scopes the access token carries, space-separated.")
