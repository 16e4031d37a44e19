"""Build the OpenAPI document from the app's URL map and the marshmallow schemas it validates with.

Each route is described by an `Operation` (see app/api/docs/operations.py); what follows from it
is added here once: 400/413/415 for a JSON body, 401 for a token, 429 for a rate limit.
"""

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema, fields
from werkzeug.routing import Rule

OPENAPI_VERSION = "3.1.0"
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
# <int(max=9):user_id> -> converter "int", arguments "max=9", name "user_id"
URL_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")
# The bounds of an int converter, written as keyword arguments: "min=1, max=9".
INT_BOUND = re.compile(r"\b(?P<bound>min|max)\s*=\s*(?P<value>\d+)")
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}

BEARER = {"bearerAuth": []}
REFRESH_COOKIE = {"refreshCookie": [], "csrfHeader": []}


class ErrorSchema(Schema):
    """Every error the API answers with."""

    error = fields.String(required=True, metadata={"description": "What went wrong."})
    status_code = fields.Integer(required=True, metadata={"description": "The HTTP status."})
    request_id = fields.String(metadata={"description": "Only on 500: quote it in a bug report."})


class ValidationErrorSchema(ErrorSchema):
    """A 400 for a body or query that failed validation: the messages for each field."""

    details = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"example": {"email": ["Not a valid email address."]}},
    )


@dataclass(frozen=True)
class Reply:
    """One documented response: a description, a body schema and response header names."""

    description: str
    schema: type[Schema] | Schema | None = None
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    """How one endpoint is documented. Its summary is the first line of the view's docstring."""

    tag: str
    responses: Mapping[int, Reply]
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    security: tuple[dict[str, list[str]], ...] = ()
    errors: tuple[int, ...] = ()  # further error statuses: 403, 404, 409, ...
    limits: tuple[str, ...] = ("RATELIMIT_DEFAULT",)  # config keys; () when exempt
    description: str = ""


# Status -> (response component name, description); operations refer to these by name.
ERRORS = {
    400: ("BadRequest", "Malformed JSON, or a field failed validation (`details` says which)"),
    401: ("Unauthorized", "Missing, malformed, expired or revoked token"),
    403: ("Forbidden", "Not allowed for this account or its role"),
    404: ("NotFound", "No such resource, or not yours to see"),
    409: ("Conflict", "The e-mail address is already registered, or no active admin would remain"),
    413: ("ContentTooLarge", "The body is larger than MAX_CONTENT_LENGTH"),
    415: ("UnsupportedMediaType", "The body is not JSON (Content-Type: application/json)"),
    429: ("TooManyRequests", "Rate limit exceeded: retry after Retry-After seconds"),
}
HEADERS = {
    "Retry-After": ("Seconds until the limit resets.", "integer", True),
    "X-Total-Count": ("How many items there are over all pages.", "integer", True),
    "Link": (
        'RFC 8288 links to the rel="prev" and rel="next" pages, when there are any.',
        "string",
        False,
    ),
    "X-CSRF-Token": (
        "Send it back in the CSRF header along with the refresh cookie.",
        "string",
        False,
    ),
}


def build_spec(
    app: Flask,
    operations: Mapping[str, Operation],
    schemas: Mapping[str, Schema],
    skip: Callable[[str], bool],
) -> dict[str, Any]:
    """Describe every route of `app` but those whose endpoint `skip` picks, as an OpenAPI dict.

    `schemas` names schema variants, such as `UserSchema(only=...)`, that would otherwise be
    numbered ("User1").
    """
    spec = APISpec(plugins=[MarshmallowPlugin()], openapi_version=OPENAPI_VERSION, **_info(app))
    _add_components(spec, app)
    for name, schema in schemas.items():
        spec.components.schema(name, schema=schema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if skip(rule.endpoint):
            continue
        if rule.endpoint not in operations:
            raise LookupError(f"{rule.endpoint} ({rule.rule}) is not described for OpenAPI")
        described = operations[rule.endpoint]
        summary = (app.view_functions[rule.endpoint].__doc__ or "").partition("\n")[0]
        spec.path(
            path=URL_ARGUMENT.sub(r"{\g<name>}", rule.rule),
            parameters=_path_parameters(rule),
            operations={
                method.lower(): _operation(app, rule, described, summary.strip())
                for method in sorted((rule.methods or set()) - IMPLICIT_METHODS)
            },
        )
    return spec.to_dict()


def _info(app: Flask) -> dict[str, Any]:
    project = {}
    if PYPROJECT.is_file():
        project = tomllib.loads(PYPROJECT.read_text()).get("project", {})
    return {
        "title": app.config["API_TITLE"],
        "version": project.get("version", "0"),
        "info": {"description": project.get("description", "")},
    }


def _add_components(spec: APISpec, app: Flask) -> None:
    components = spec.components
    components.schema("Error", schema=ErrorSchema)
    components.schema("ValidationError", schema=ValidationErrorSchema)
    components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    components.security_scheme(
        "refreshCookie",
        {"type": "apiKey", "in": "cookie", "name": app.config["JWT_REFRESH_COOKIE_NAME"]},
    )
    components.security_scheme(
        "csrfHeader",
        {
            "type": "apiKey",
            "in": "header",
            "name": app.config["JWT_REFRESH_CSRF_HEADER_NAME"],
            "description": "The X-CSRF-Token value from the login or refresh response.",
        },
    )
    for name, (description, kind, required) in HEADERS.items():
        components.header(
            name, {"description": description, "schema": {"type": kind}, "required": required}
        )
    for status, (name, description) in ERRORS.items():
        schema: Any = "Error"
        if status == 400:
            schema = {"anyOf": ["ValidationError", "Error"]}
        response = {"description": description, "content": {"application/json": {"schema": schema}}}
        if status == 429:
            response["headers"] = {"Retry-After": "Retry-After"}
        components.response(name, response)


def _path_parameters(rule: Rule) -> list[dict[str, Any]]:
    parameters = []
    for match in URL_ARGUMENT.finditer(rule.rule):
        schema: dict[str, Any] = {"type": "string"}
        if match["converter"] == "int":
            bounds = {m["bound"]: int(m["value"]) for m in INT_BOUND.finditer(match["args"] or "")}
            schema = {"type": "integer", "minimum": bounds.get("min", 0)}
            if "max" in bounds:
                schema["maximum"] = bounds["max"]
        parameters.append({"name": match["name"], "in": "path", "required": True, "schema": schema})
    return parameters


def _operation(app: Flask, rule: Rule, described: Operation, summary: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": rule.endpoint.replace(".", "_"),
        "tags": [described.tag],
        "summary": summary,
        "security": list(described.security),
        "responses": {str(status): _reply(reply) for status, reply in described.responses.items()},
    }
    errors = set(described.errors)
    if described.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": described.body}},
        }
        errors |= {400, 413, 415}
    if described.query is not None:
        operation["parameters"] = [{"in": "query", "schema": described.query}]
        errors.add(400)
    if described.security:
        errors.add(401)
    if described.limits:
        errors.add(429)
    operation["responses"].update({str(status): ERRORS[status][0] for status in sorted(errors)})

    notes = [described.description] if described.description else []
    if described.limits:
        notes.append("Rate limit: " + "; ".join(app.config[key] for key in described.limits) + ".")
    if notes:
        operation["description"] = " ".join(notes)
    return operation


def _reply(reply: Reply) -> dict[str, Any]:
    response: dict[str, Any] = {"description": reply.description}
    if reply.schema is not None:
        response["content"] = {"application/json": {"schema": reply.schema}}
    if reply.headers:
        response["headers"] = {name: name for name in reply.headers}
    return response
