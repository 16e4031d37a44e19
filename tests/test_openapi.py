"""The rendered API against its own OpenAPI document: Schemathesis fuzzes a running server."""

import json
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import (
    PRODUCTION_MAIL,
    PRODUCTION_TOTP_KEY,
    free_port,
    migrate_with_admin,
    project_venv,
    run,
    running,
    wait_for_http,
)

ADMIN = {"email": "fuzz-admin@example.com", "password": "password-for-fuzzing"}
MAX_EXAMPLES = 50  # per operation and phase
WALL_CLOCK = 600  # seconds for the whole Schemathesis run
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def prepare(project: Path, venv: Path, tmp_path: Path) -> dict[str, str]:
    """Migrate a fresh SQLite database, create the admin; return the server's environment."""
    env = {
        "FLASK_ENV": "production",
        "OPENAPI_ENABLED": "true",
        "SECRET_KEY": "k" * 48,
        "JWT_SECRET_KEY": "j" * 48,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fuzz.db'}",
        **PRODUCTION_MAIL,
        **PRODUCTION_TOTP_KEY,
        # The fuzzer logs in again after every logout; keep each login cheap.
        "PASSWORD_HASH_ITERATIONS": "1000",
        # Fuzzing the rate limiter is not the point: with limits on, most cases would be 429s.
        "RATELIMIT_ENABLED": "false",
    }
    migrate_with_admin(project, env, ADMIN["email"], ADMIN["password"], name="Fuzz")
    return env


def gunicorn(venv: Path, port: int) -> list[str]:
    # Gunicorn answers over-long request lines and headers itself, with an HTML 414 or 400;
    # lift its limits so that every response the fuzzer sees is the app's.
    return [
        str(venv / "bin" / "gunicorn"),
        "-w",
        "2",
        "-b",
        f"127.0.0.1:{port}",
        "--limit-request-line",
        "0",
        "--limit-request-field_size",
        "0",
        "wsgi:app",
    ]


def refresh_credentials(base: str) -> tuple[str, str]:
    """Log in once and return the refresh cookie's value and its CSRF token."""
    request = urllib.request.Request(
        f"{base}/auth/login",
        data=json.dumps(ADMIN).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        cookies = dict(
            cookie.split(";", 1)[0].split("=", 1)
            for cookie in response.headers.get_all("Set-Cookie")
        )
        return cookies["__Secure-refresh_token"], response.headers["X-CSRF-Token"]


def schemathesis_config(path: Path, refresh: str, csrf: str) -> Path:
    """Bearer tokens from /auth/login, fetched again after a 401 (a fuzzed logout revokes them);
    one real refresh cookie, so that /auth/refresh answers 200 at least once."""
    path.write_text(
        f"""
[auth.dynamic.openapi.bearerAuth]
path = "/auth/login"
payload = {{ email = "{ADMIN["email"]}", password = "{ADMIN["password"]}" }}
extract_selector = "/access_token"

[auth.openapi.refreshCookie]
api_key = "{refresh}"

[auth.openapi.csrfHeader]
api_key = "{csrf}"
"""
    )
    return path


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_undocumented_response(bake, tmp_path):
    project = bake()
    venv = project_venv(project)
    env = prepare(project, venv, tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    report = tmp_path / "schemathesis.json"

    with running(gunicorn(venv, port), project, env, tmp_path / "server.log"):
        wait_for_http(f"{base}/health")
        with urllib.request.urlopen(f"{base}/openapi.json", timeout=30) as response:
            document = json.load(response)
        config = schemathesis_config(tmp_path / "schemathesis.toml", *refresh_credentials(base))
        result = run(
            [
                str(SCHEMATHESIS),
                "--config-file",
                str(config),
                "run",
                f"{base}/openapi.json",
                "--checks",
                ",".join(CHECKS),
                "--max-examples",
                str(MAX_EXAMPLES),
                "--generation-database",
                "none",
                "--report",
                "json",
                "--report-json-path",
                str(report),
                "--no-color",
            ],
            cwd=tmp_path,
            timeout=WALL_CLOCK,
        )

    operations = sum(method in METHODS for item in document["paths"].values() for method in item)
    summary = json.loads(report.read_text()) if report.exists() else {}
    print(
        json.dumps(
            {
                "operations_in_document": operations,
                "operations_tested": summary.get("operations", {}).get("tested"),
                "test_cases": summary.get("test_cases"),
                "failures": summary.get("failures"),
                "seed": summary.get("seed"),
                "seconds": round(summary.get("running_time", 0), 1),
            }
        )
    )
    assert result.returncode == 0, result.stdout[-20_000:] + result.stderr[-5_000:]
    assert summary["operations"]["tested"] == operations
    assert summary["test_cases"]["generated"] > 10 * operations
