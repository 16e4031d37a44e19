"""The OpenAPI document at /openapi.json and Swagger UI at /docs."""

import re
from http import HTTPStatus

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from app import create_app
from app.config import TestingConfig
from app.users.models import MAX_ID

API_CSP = "default-src 'none'; frame-ancestors 'none'"
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}
ASSET = re.compile(r'(?:src|href|data-url)="([^"]+)"')


@pytest.fixture
def document(client):
    response = client.get("/openapi.json")
    assert response.status_code == HTTPStatus.OK
    return response.json


def response_schema(document, path, method, status):
    """The documented body schema of one response, with the document's components to resolve."""
    response = document["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    schema = response["content"]["application/json"]["schema"]
    return {**schema, "components": document["components"]}


def test_document_is_valid_openapi(document):
    validate(document)

    assert document["openapi"].startswith("3.")


def test_document_is_titled_with_the_project_name(document):
    assert document["info"]["title"] == TestingConfig.API_TITLE


def test_document_lists_every_route_of_the_app(app, document):
    routes = {
        (re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.startswith("docs.")
        for method in rule.methods - IMPLICIT_METHODS
    }
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }

    assert documented == routes


def test_a_route_added_without_declarations_is_missing_from_the_document():
    app = create_app(TestingConfig())
    app.add_url_rule("/extra", "extra", lambda: "")
    paths = app.test_client().get("/openapi.json").json["paths"]

    assert "/extra" not in paths  # and so test_document_lists_every_route_of_the_app fails


def test_request_bodies_are_the_marshmallow_schemas(document):
    schemas = document["components"]["schemas"]
    register = document["paths"]["/auth/register"]["post"]["requestBody"]

    assert register["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Register"
    }
    assert set(schemas["Register"]["properties"]) == {"email", "name", "password", "age"}
    assert schemas["Register"]["additionalProperties"] is False
    assert schemas["Register"]["properties"]["password"]["minLength"] == 8


def test_security_schemes_name_the_real_cookie_and_headers(app, document):
    schemes = document["components"]["securitySchemes"]

    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["refreshCookie"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": app.config["JWT_REFRESH_COOKIE_NAME"],
    }
    assert schemes["csrfHeader"]["name"] == "X-CSRF-TOKEN"
    assert document["paths"]["/auth/logout"]["post"]["security"] == [
        {"bearerAuth": []},
        {"refreshCookie": [], "csrfHeader": []},
    ]


def test_limited_routes_document_429_with_retry_after_and_their_limits(document):
    login = document["paths"]["/auth/login"]["post"]

    assert set(login["responses"]["429"]["headers"]) == {"Retry-After"}
    assert login["x-rate-limits"] == {
        "RATELIMIT_LOGIN": "10 per minute",
        "RATELIMIT_LOGIN_ACCOUNT": "10 per 15 minutes",
    }
    assert "429" not in document["paths"]["/health"]["get"]["responses"]


def test_every_api_route_documents_a_limit(document):
    unlimited = [
        (path, method)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
        and "429" not in operation["responses"]
        and path not in ("/health", "/ready")
    ]

    assert unlimited == []


def test_user_list_documents_pagination(document):
    operation = document["paths"]["/users"]["get"]

    assert [parameter["name"] for parameter in operation["parameters"]] == ["page", "per_page"]
    assert set(operation["responses"]["200"]["headers"]) == {"X-Total-Count", "Link"}


def test_validation_error_matches_the_document(client, document):
    response = client.post("/auth/register", json={"email": "nope"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    OAS31Validator(response_schema(document, "/auth/register", "post", 400)).validate(response.json)
    assert "details" in response.json


def test_user_list_matches_the_document(client, document, admin_headers, make_user):
    make_user()

    response = client.get("/users?per_page=1", headers=admin_headers)

    assert response.status_code == HTTPStatus.OK
    OAS31Validator(response_schema(document, "/users", "get", 200)).validate(response.json)
    assert response.headers["X-Total-Count"] == "2"


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_user_id_no_column_can_hold_is_404_for_every_method(
    client, document, admin_headers, method
):
    response = client.open(
        f"/users/{MAX_ID + 1}", method=method, headers=admin_headers, json={"name": "New"}
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    OAS31Validator(response_schema(document, "/users/{user_id}", method, 404)).validate(
        response.json
    )


def test_docs_page_loads_only_its_own_assets(client):
    response = client.get("/docs")

    assert response.status_code == HTTPStatus.OK
    assert response.mimetype == "text/html"
    urls = ASSET.findall(response.text)
    assert len(urls) == 5
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        assert client.get(url).status_code == HTTPStatus.OK, url


def test_only_the_docs_page_relaxes_the_csp(client):
    docs = client.get("/docs").headers["Content-Security-Policy"]

    assert "script-src 'self'" in docs
    assert "default-src 'none'" in docs
    assert "unsafe" not in docs
    for url in ("/openapi.json", "/docs/swagger-ui/swagger-ui-bundle.js", "/health"):
        assert client.get(url).headers["Content-Security-Policy"] == API_CSP, url


def test_docs_assets_cannot_reach_outside_the_package(client):
    response = client.get("/docs/swagger-ui/../__init__.py")

    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("url", ["/openapi.json", "/docs"])
def test_docs_are_a_json_404_in_production_by_default(production_env, url):
    client = create_app("production").test_client()

    response = client.get(url)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json == {"error": "Not Found", "status_code": 404}


@pytest.mark.parametrize("url", ["/openapi.json", "/docs"])
def test_docs_can_be_turned_on_in_production(production_env, url):
    production_env.setenv("OPENAPI_ENABLED", "true")
    client = create_app("production").test_client()

    assert client.get(url).status_code == HTTPStatus.OK


def test_production_document_names_the_secure_cookie(production_env):
    production_env.setenv("OPENAPI_ENABLED", "true")
    document = create_app("production").test_client().get("/openapi.json").json

    assert document["components"]["securitySchemes"]["refreshCookie"]["name"] == (
        "__Secure-refresh_token"
    )
