"""One place where errors become HTTP: JSON `{"error": {"code", "message"}}`, never a trace."""

from __future__ import annotations

import logging

from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vault_mcp.errors import (
    BadRequest,
    Conflict,
    EmbedderUnavailable,
    Forbidden,
    InvalidInput,
    Misconfigured,
    NotFound,
    PayloadTooLarge,
    SchemaError,
    StorageUnavailable,
    TooManyAttempts,
    Unauthorized,
    VaultError,
)

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """Every REST error: a stable code and a message naming the problem."""

    error: ErrorDetail


_STATUS: list[tuple[type[VaultError], int, str]] = [
    (BadRequest, 400, "bad_request"),
    (InvalidInput, 422, "invalid_input"),
    (NotFound, 404, "not_found"),
    (Unauthorized, 401, "unauthorized"),
    (Forbidden, 403, "forbidden"),
    (Conflict, 409, "conflict"),
    (PayloadTooLarge, 413, "payload_too_large"),
    (TooManyAttempts, 429, "too_many_attempts"),
    (StorageUnavailable, 503, "unavailable"),
    (SchemaError, 503, "unavailable"),
    (EmbedderUnavailable, 503, "unavailable"),
    (Misconfigured, 503, "unavailable"),
]

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
}


def error_response(status: int, code: str, message: str) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message))
    response = JSONResponse(body.model_dump(), status_code=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="vault-mcp"'
    return response


def status_of(exc: VaultError) -> tuple[int, str]:
    for kind, status, code in _STATUS:
        if isinstance(exc, kind):
            return status, code
    return 500, "internal_error"


def vault_error_response(exc: VaultError) -> JSONResponse:
    status, code = status_of(exc)
    response = error_response(status, code, exc.message)
    response.headers.update(retry_headers(exc))
    return response


def retry_headers(exc: VaultError) -> dict[str, str]:
    """Throttled, or an outage the server is recovering from: when to come back."""
    return {} if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}


async def handle_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, _HTTP_CODES.get(exc.status_code, "error"), exc.detail)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "something went wrong on the server")
