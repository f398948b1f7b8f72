"""The tools' structured outputs (pydantic, so clients get an output schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from vault_mcp.domain import READ_PAGE_CHARS, Note, NotePreview, SearchHit, text_page


class NoteOut(BaseModel):
    id: str = Field(description="The note's id (a UUID).")
    title: str
    content: str = Field(
        description=f"The note's text; a long note comes in pages of {READ_PAGE_CHARS:,} "
        "characters (see next_offset)."
    )
    content_length: int = Field(description="Characters in the note's whole text.")
    next_offset: int | None = Field(
        description="More text follows: read_note with this offset returns it; null when "
        "content runs to the end. A later page with another updated_at means the note was "
        "edited between the reads: start again from offset 0."
    )
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    url: str = Field(description="Link to the note in the vault's web view.")

    @classmethod
    def of(cls, note: Note, url: str, offset: int = 0) -> NoteOut:
        page = text_page(note.content, offset)
        return cls(
            id=str(note.id),
            title=note.title,
            content=page.text,
            content_length=len(note.content),
            next_offset=page.next_offset,
            tags=list(note.tags),
            created_at=note.created_at,
            updated_at=note.updated_at,
            url=url,
        )


class NoteListItem(BaseModel):
    id: str = Field(description="The note's id (a UUID).")
    title: str
    preview: str = Field(description="The start of the note's text; read_note has all of it.")
    content_length: int = Field(description="Characters in the note's whole text.")
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    url: str = Field(description="Link to the note in the vault's web view.")

    @classmethod
    def of(cls, note: NotePreview, url: str) -> NoteListItem:
        return cls(
            id=str(note.id),
            title=note.title,
            preview=note.preview,
            content_length=note.length,
            tags=list(note.tags),
            created_at=note.created_at,
            updated_at=note.updated_at,
            url=url,
        )


class DeletedNote(BaseModel):
    id: str
    deleted: bool = True


class NoteList(BaseModel):
    notes: list[NoteListItem] = Field(description="Newest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


class SearchResult(BaseModel):
    id: str
    title: str
    snippet: str = Field(
        description="The passage of the note that matched best (shortened); read_note has all."
    )
    section: str = Field(description="The heading the passage stands under; empty at the top.")
    score: float = Field(
        description="Relevance 0..1, relative: 1 is a note ranked first by meaning and by words."
    )
    tags: list[str]
    url: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, hit: SearchHit, url: str) -> SearchResult:
        return cls(
            id=str(hit.note.id),
            title=hit.note.title,
            snippet=hit.snippet,
            section=hit.heading,
            score=hit.score,
            tags=list(hit.note.tags),
            url=url,
            created_at=hit.note.created_at,
            updated_at=hit.note.updated_at,
        )


class SearchResults(BaseModel):
    results: list[SearchResult] = Field(description="Best match first.")


# The ChatGPT connector contract (search/fetch): exactly these fields.
class DocumentRef(BaseModel):
    id: str
    title: str
    url: str


class DocumentRefs(BaseModel):
    results: list[DocumentRef]


class Document(BaseModel):
    id: str
    title: str
    text: str
    url: str
    metadata: dict[str, Any] | None = None
