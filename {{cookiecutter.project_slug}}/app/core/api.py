"""Endpoint declarations: each route states its URL, method, authentication, limits, schemas and
errors once, in decorators that both enforce them and describe them in the OpenAPI document.

flask-smorest does the parsing, the serializing and the document (on apispec and webargs). Its
documented extension points used here: a subclass of `Api` overriding `handle_http_exception`
and `ERROR_SCHEMA`, a `Blueprint` subclass with an `ARGUMENTS_PARSER` of our own
(https://flask-smorest.readthedocs.io/en/latest/arguments.html#arguments-parser), and an apispec
plugin (https://apispec.readthedocs.io/en/latest/writing_plugins.html).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from http import HTTPStatus
from typing import Any, TypeVar

import flask_smorest
from apispec import BasePlugin
from flask import Flask, current_app, g, request
from flask_jwt_extended import get_current_user, verify_jwt_in_request
from flask_jwt_extended.exceptions import InvalidHeaderError, NoAuthorizationError
from webargs.flaskparser import FlaskParser
from werkzeug.local import LocalProxy

from app.config import RATE_LIMITS
from app.core import events
from app.errors import ErrorSchema, PermissionDenied, http_error
from app.extensions import db, limiter

F = TypeVar("F", bound=Callable[..., Any])

BEARER = {"bearerAuth": []}
REFRESH_COOKIE = {"refreshCookie": [], "csrfHeader": []}
RETRY_AFTER = {"description": "Seconds until the limit resets.", "schema": {"type": "integer"}}

# Marks the routes where other credentials (Api.credential) may stand in for the access token;
# the OpenAPI document lists those credentials there instead.
ANY_CREDENTIAL = "x-any-credential"


@dataclass(frozen=True)
class Credential:
    """Another way to sign a request in: a header, and how its value becomes the request's user.

    `load(value, allowed)` returns the user (the type the access token's loader gives) or
    raises a DomainError to refuse it; `allowed` is False on routes that take only a login
    session's access token.
    """

    scheme: str
    header: str
    doc: dict[str, Any]
    load: Callable[[str, bool], Any]


# The user the request acts as, by its access token, another credential or its refresh cookie,
# one type whichever it is; set by the functions below (routes import this proxy).
current_user: Any = LocalProxy(lambda: g.get("actor"))


def authenticate(any_credential: bool = True) -> None:
    """Set the request's user from another credential's header (Api.credential), or else from
    the access token in its Authorization header, or refuse the request with a 401.

    `any_credential` False: only a login session's access token will do (the credential's
    loader refuses its own).
    """
    # `g` outlives the request where an app context was already pushed (tests, the CLI).
    g.pop("actor", None)
    api = current_app.extensions["api"]
    for credential in api.credentials:
        value = request.headers.get(credential.header)
        if value is not None:
            g.actor = credential.load(value, any_credential)
            return
    # Flask-JWT-Extended's exceptions, so that its error callbacks (app/errors.py) answer them.
    header = request.headers.get("Authorization", "").strip()
    if not header:
        raise NoAuthorizationError("Missing Authorization Header")
    scheme, _, token = header.partition(" ")
    expected = "Expected 'Authorization: Bearer <JWT>'"
    if scheme != "Bearer":
        raise NoAuthorizationError(f"Missing 'Bearer' type in 'Authorization' header. {expected}")
    token = token.strip()
    if not token or " " in token:
        raise InvalidHeaderError(f"Bad Authorization header. {expected}")
    if api.access_token_loader is None:
        raise RuntimeError("create_app registers the access token loader")
    g.actor = api.access_token_loader(token)


def authenticate_refresh_cookie() -> None:
    """Set the request's user from its refresh cookie (with the CSRF header outside tests),
    through Flask-JWT-Extended and its user loader (app/auth/tokens.py), or refuse with a 401."""
    g.pop("actor", None)
    verify_jwt_in_request(refresh=True, locations=["cookies"])
    g.actor = get_current_user()


@dataclass(frozen=True)
class Amendment:
    """What a capability adds to the document of a core route it takes part in: a sentence for
    its description, other bodies a status may have (name and schema), more error statuses."""

    note: str = ""
    alternatives: dict[int, tuple[str, Any]] = field(default_factory=dict)
    errors: tuple[int, ...] = ()


class Parser(FlaskParser):
    """Validation failures are a 400, and bodies go through the app's strict JSON parsing."""

    DEFAULT_VALIDATION_STATUS = HTTPStatus.BAD_REQUEST

    def load_json(self, req: Any, schema: Any) -> Any:
        # A body that is not JSON is a 415, malformed JSON a 400 (app/core/http.py).
        return req.get_json()


class OperationIds(BasePlugin):
    """Give each operation its endpoint's name (`auth_login`): generated clients name methods so.

    Also lists, on the routes that take them, the credentials capabilities add (Api.credential).
    """

    def __init__(self, api: "Api") -> None:
        self.api = api

    def operation_helper(self, path: Any = None, operations: Any = None, **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        for operation in (operations or {}).values():
            if rule is not None:
                operation.setdefault("operationId", rule.endpoint.replace(".", "_"))
            if operation.pop(ANY_CREDENTIAL, False):
                operation["security"] += [{c.scheme: []} for c in self.api.credentials]
            for amendment in self.api.amendments.get(rule.endpoint if rule else "", []):
                amend(operation, amendment)


def amend(operation: dict[str, Any], amendment: Amendment) -> None:
    """Apply `amendment` to an operation of the document."""
    if amendment.note:
        operation["description"] = f"{operation.get('description', '')}\n\n{amendment.note}"
    # Keyed by status numbers here; the error responses are still names of flask-smorest's.
    responses = {int(status): response for status, response in operation["responses"].items()}
    for status, (name, _schema) in amendment.alternatives.items():
        content = responses[status]["content"]["application/json"]
        other = {"$ref": f"#/components/schemas/{name}"}
        content["schema"] = {"oneOf": [content["schema"], other]}
    for status in amendment.errors:
        responses.setdefault(status, HTTPStatus(status).name)
    operation["responses"] = dict(sorted(responses.items()))


class Api(flask_smorest.Api):
    """flask-smorest's Api, answering HTTP errors in the app's one JSON shape."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, app: Flask) -> None:
        self.admin_checks: list[Callable[[int], None]] = []
        self.credentials: list[Credential] = []
        self.amendments: dict[str, list[Amendment]] = {}
        self.access_token_loader: Callable[[str], Any] | None = None
        super().__init__(spec_kwargs={"extra_plugins": [OperationIds(self)]})
        self.init_app(app)
        # One Api per app (its document names the app's own cookie); /openapi.json finds it here.
        app.extensions["api"] = self

    def init_app(self, app: Flask, **kwargs: Any) -> None:
        super().init_app(app, **kwargs)
        schemes = self.spec.components.security_scheme
        schemes("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
        cookie = app.config["JWT_REFRESH_COOKIE_NAME"]
        schemes("refreshCookie", {"type": "apiKey", "in": "cookie", "name": cookie})
        csrf = app.config["JWT_REFRESH_CSRF_HEADER_NAME"]
        schemes("csrfHeader", {"type": "apiKey", "in": "header", "name": csrf})

    def handle_http_exception(self, error: Any) -> Any:
        return http_error(error)

    def credential(self, credential: Credential) -> None:
        """Accept `credential` besides the access token (a capability adds it; core imports
        none), and document its security scheme."""
        self.credentials.append(credential)
        self.spec.components.security_scheme(credential.scheme, credential.doc)

    def amend(self, endpoint: str, amendment: Amendment) -> None:
        """Add `amendment` to the document of route `endpoint` (a capability takes part in it)."""
        self.amendments.setdefault(endpoint, []).append(amendment)
        for name, schema in amendment.alternatives.values():
            self.spec.components.schema(name, schema=schema)

    def access_token_user_loader(self, loader: Callable[[str], Any]) -> None:
        """Set how an access token (the JWT of an Authorization header) becomes its user:
        `loader(token)` verifies the token and returns the user, or raises to refuse it."""
        self.access_token_loader = loader

    def admin_check(self, check: Callable[[int], None]) -> None:
        """Run `check` with the user's id on every admin route, after the role; it raises a
        DomainError to refuse. Feature packages add their rules so (core imports none)."""
        self.admin_checks.append(check)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, with the app's declarations of limits, errors and tokens."""

    ARGUMENTS_PARSER = Parser()

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Callable[[F], F]:
        """Parse and validate `location` with `schema`; a JSON body may also be 413 or 415."""
        parse = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return parse
        return lambda view: self.errors(413, 415)(parse(view))

    def errors(self, *statuses: int) -> Callable[[F], F]:
        """Document the error responses a route can give besides those its other decorators add."""

        def decorator(view: F) -> F:
            for status in statuses:
                view = self.alt_response(status, response=HTTPStatus(status).name)(view)
            return view

        return decorator

    def limit(self, name: str, **options: Any) -> Callable[[F], F]:
        """Apply the rate limit `name` (RATE_LIMITS in app/config.py; RATELIMIT_<NAME> sets it).

        `options` go to Flask-Limiter's `limit` (`key_func`, `deduct_when`).
        """
        setting = f"RATELIMIT_{name.upper()}"

        def decorator(view: F) -> F:
            view = limiter.limit(lambda: current_app.config["RATE_LIMITS"][name], **options)(view)
            view = self.alt_response(
                429,
                schema=ErrorSchema,
                description="Rate limit exceeded: retry after Retry-After seconds",
                headers={"Retry-After": RETRY_AFTER},
            )(view)
            return self.doc(**{"x-rate-limits": {setting: RATE_LIMITS[name]}})(view)

        return decorator

    def login_required(self, view: F) -> F:
        """Require an access token in the Authorization header, or another credential."""

        @wraps(view)
        def authenticated(*args: Any, **kwargs: Any) -> Any:
            authenticate()
            return view(*args, **kwargs)

        documented = self.doc(**{ANY_CREDENTIAL: True})(authenticated)  # type: ignore[arg-type]
        return self.secured(BEARER)(documented)

    def session_required(self, view: F) -> F:
        """Require an access token of a login session: managing the account (its password and
        credentials) is never done with another credential (403)."""

        @wraps(view)
        def authenticated(*args: Any, **kwargs: Any) -> Any:
            authenticate(any_credential=False)
            return view(*args, **kwargs)

        return self.errors(403)(self.secured(BEARER)(authenticated))  # type: ignore[arg-type]

    def admin_required(self, view: F) -> F:
        """Require an access token or another credential whose user (read fresh from the
        database) is an admin."""

        @wraps(view)
        def check_role(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_admin:
                # The refusal is the whole use case: its event commits before the 403.
                events.record(
                    events.ACCESS_DENIED,
                    actor_id=current_user.id,
                    details={"endpoint": request.endpoint, "method": request.method},
                )
                db.session.commit()
                raise PermissionDenied()
            for check in current_app.extensions["api"].admin_checks:
                check(current_user.id)
            return view(*args, **kwargs)

        return self.errors(403)(self.login_required(check_role))  # type: ignore[arg-type]

    def secured(self, *schemes: dict[str, list[str]]) -> Callable[[F], F]:
        """Document the credentials a route takes, and the 401 their absence gets."""

        def decorator(view: F) -> F:
            return self.doc(security=list(schemes))(self.errors(401)(view))

        return decorator
