"""The OpenAPI 3.1 document of the REST API, served at /api/v1/openapi.json."""
# ruff: noqa: E501  (a data document: long schema lines read better unwrapped)

from __future__ import annotations

from typing import Any

from vault_mcp import __version__


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(ref: str, description: str = "OK") -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _body(ref: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


_AUTH_ERRORS = {"401": _error("Missing, invalid or expired access token")}
_NOTE_ID = {
    "name": "note_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}
_STR = {"type": "string"}
_TAGS = {"type": "array", "items": _STR, "maxItems": 32}


def openapi_document(base_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "vault-mcp REST API", "version": __version__},
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/auth/login": {
                "post": {
                    "summary": "Exchange a user name and password for tokens",
                    "security": [],
                    "requestBody": _body("Login"),
                    "responses": {
                        "200": _json("Tokens"),
                        "401": _error("Wrong user name or password"),
                        "422": _error("Malformed body"),
                        "429": _error("Too many failed attempts; see Retry-After"),
                    },
                }
            },
            "/api/v1/auth/refresh": {
                "post": {
                    "summary": "Rotate a refresh token into a new token pair",
                    "security": [],
                    "requestBody": _body("Refresh"),
                    "responses": {
                        "200": _json("Tokens"),
                        "401": _error("Invalid, expired or reused refresh token"),
                    },
                }
            },
            "/api/v1/auth/logout": {
                "post": {
                    "summary": "Revoke a refresh token and every token rotated from the same sign-in",
                    "security": [],
                    "requestBody": _body("Refresh"),
                    "responses": {"204": {"description": "Signed out"}},
                }
            },
            "/api/v1/notes": {
                "get": {
                    "summary": "List notes newest first, or search them by meaning with q",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "schema": _STR,
                            "description": "Search by meaning",
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                        {
                            "name": "cursor",
                            "in": "query",
                            "schema": _STR,
                            "description": "next_cursor of the previous page",
                        },
                        {
                            "name": "tag",
                            "in": "query",
                            "schema": _STR,
                            "description": "Only notes with this tag (repeat to require several when searching)",
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of notes, or search results when q is given",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "oneOf": [
                                            {"$ref": "#/components/schemas/NotePage"},
                                            {"$ref": "#/components/schemas/SearchResults"},
                                        ]
                                    }
                                }
                            },
                        },
                        **_AUTH_ERRORS,
                        "422": _error("Invalid parameter"),
                    },
                },
                "post": {
                    "summary": "Create a note",
                    "requestBody": _body("NoteCreate"),
                    "responses": {
                        "201": _json("Note", "Created"),
                        **_AUTH_ERRORS,
                        "413": _error("Body too large"),
                        "422": _error("Invalid note"),
                    },
                },
            },
            "/api/v1/notes/{note_id}": {
                "parameters": [_NOTE_ID],
                "get": {
                    "summary": "Read a note",
                    "responses": {
                        "200": _json("Note"),
                        **_AUTH_ERRORS,
                        "404": _error("No such note"),
                    },
                },
                "patch": {
                    "summary": "Change a note's title, content or tags",
                    "requestBody": _body("NotePatch"),
                    "responses": {
                        "200": _json("Note"),
                        **_AUTH_ERRORS,
                        "404": _error("No such note"),
                        "422": _error("Invalid change"),
                    },
                },
                "delete": {
                    "summary": "Delete a note",
                    "responses": {
                        "204": {"description": "Deleted"},
                        **_AUTH_ERRORS,
                        "404": _error("No such note"),
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {"code": _STR, "message": _STR},
                        }
                    },
                },
                "Login": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {"username": _STR, "password": _STR},
                    "additionalProperties": False,
                },
                "Refresh": {
                    "type": "object",
                    "required": ["refresh_token"],
                    "properties": {"refresh_token": _STR},
                    "additionalProperties": False,
                },
                "Tokens": {
                    "type": "object",
                    "required": ["access_token", "refresh_token", "token_type", "expires_in"],
                    "properties": {
                        "access_token": _STR,
                        "refresh_token": _STR,
                        "token_type": {"const": "bearer"},
                        "expires_in": {"type": "integer"},
                    },
                },
                "NoteCreate": {
                    "type": "object",
                    "required": ["title", "content"],
                    "properties": {
                        "title": {"type": "string", "maxLength": 500},
                        "content": _STR,
                        "tags": _TAGS,
                    },
                    "additionalProperties": False,
                },
                "NotePatch": {
                    "type": "object",
                    "properties": {
                        "title": {"type": "string", "maxLength": 500},
                        "content": _STR,
                        "tags": _TAGS,
                    },
                    "additionalProperties": False,
                },
                "Note": {
                    "type": "object",
                    "required": [
                        "id",
                        "title",
                        "content",
                        "tags",
                        "created_at",
                        "updated_at",
                        "url",
                    ],
                    "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "title": _STR,
                        "content": _STR,
                        "tags": _TAGS,
                        "created_at": {"type": "string", "format": "date-time"},
                        "updated_at": {"type": "string", "format": "date-time"},
                        "url": _STR,
                    },
                },
                "NotePage": {
                    "type": "object",
                    "required": ["notes", "next_cursor"],
                    "properties": {
                        "notes": {"type": "array", "items": {"$ref": "#/components/schemas/Note"}},
                        "next_cursor": {"type": ["string", "null"]},
                    },
                },
                "SearchResults": {
                    "type": "object",
                    "required": ["results"],
                    "properties": {
                        "results": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": [
                                    "id",
                                    "title",
                                    "snippet",
                                    "score",
                                    "tags",
                                    "url",
                                    "updated_at",
                                ],
                                "properties": {
                                    "id": _STR,
                                    "title": _STR,
                                    "snippet": _STR,
                                    "score": {"type": "number"},
                                    "tags": _TAGS,
                                    "url": _STR,
                                    "updated_at": {"type": "string", "format": "date-time"},
                                },
                            },
                        }
                    },
                },
            },
        },
    }
