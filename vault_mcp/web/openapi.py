"""The OpenAPI 3.1 document, generated from the REST routes' table and their pydantic models.

The route table (`vault_mcp.web.api.ENDPOINTS`) is the one list: Starlette's routes and this
document are both built from it, and every schema comes from a model the handlers really
parse or return, so the document cannot drift from the code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.routing import Route

from vault_mcp import __version__
from vault_mcp.web.errors import ErrorBody

_REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Operation:
    """One method of one path: what it reads and every status it can answer."""

    summary: str
    status: int  # on success
    errors: Mapping[int, str]  # status -> when
    returns: tuple[type[BaseModel], ...] = ()  # one model, or any of several
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    public: bool = False  # no bearer token needed
    description: str = "OK"
    # The success body by media type, for a response that is not one JSON model (a download).
    content: Mapping[str, dict[str, Any]] | None = None


@dataclass(frozen=True)
class Endpoint:
    path: str
    handler: Callable[..., Any]
    operations: Mapping[str, Operation]
    path_params: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    def route(self) -> Route:
        return Route(self.path, self.handler, methods=list(self.operations))


def _models(endpoints: Iterable[Endpoint]) -> list[type[BaseModel]]:
    found: dict[type[BaseModel], None] = {ErrorBody: None}
    for endpoint in endpoints:
        for op in endpoint.operations.values():
            for model in (*op.returns, op.body):
                if model is not None:
                    found.setdefault(model, None)
    return list(found)


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or a string: drop the `null` branch of `X | None`."""
    branches = [s for s in schema.get("anyOf", ()) if s.get("type") != "null"]
    if len(branches) == 1:
        rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
        return {**rest, **branches[0]}
    return {k: v for k, v in schema.items() if k != "default"}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema["properties"].items():
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": _without_null(prop),
        }
        if "description" in prop:
            parameter["description"] = prop["description"]
        parameters.append(parameter)
    return parameters


def _operation(op: Operation, path_params: list[dict[str, Any]]) -> dict[str, Any]:
    success: dict[str, Any] = {"description": op.description}
    if op.content is not None:
        success["content"] = dict(op.content)
    elif op.returns:
        refs = [_ref(m) for m in op.returns]
        success |= _json_content(refs[0] if len(refs) == 1 else {"anyOf": refs})
    elif op.status != 204:
        success |= _json_content({"type": "object"})
    responses: dict[str, Any] = {str(op.status): success}
    for status, when in sorted(op.errors.items()):
        responses[str(status)] = {"description": when, **_json_content(_ref(ErrorBody))}
    doc: dict[str, Any] = {"summary": op.summary, "responses": responses}
    parameters = path_params + (_query_parameters(op.query) if op.query else [])
    if parameters:
        doc["parameters"] = parameters
    if op.body is not None:
        doc["requestBody"] = {"required": True, **_json_content(_ref(op.body))}
    if op.public:
        doc["security"] = []
    return doc


def openapi_document(endpoints: Iterable[Endpoint], base_url: str) -> dict[str, Any]:
    endpoints = list(endpoints)
    _, schemas = models_json_schema(
        [(m, "validation") for m in _models(endpoints)], ref_template=_REF
    )
    paths: dict[str, Any] = {}
    for endpoint in endpoints:
        path_params = [
            {"name": name, "in": "path", "required": True, **endpoint.path_params[name]}
            for name in _PATH_PARAM.findall(endpoint.path)
        ]
        operations = endpoint.operations.items()
        paths[endpoint.path] = {m.lower(): _operation(op, path_params) for m, op in operations}
    return {
        "openapi": "3.1.0",
        "info": {"title": "vault-mcp REST API", "version": __version__},
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
            "schemas": schemas.get("$defs", {}),
        },
    }
