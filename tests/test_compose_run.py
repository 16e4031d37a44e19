"""docker-compose.yml's `api`, `mail-worker` and `audit-sealer` services started by compose
itself: `docker compose` where a Docker daemon answers, else podman-compose (from PyPI, in
requirements-dev.txt: Debian's 1.0.3 adds its own network to `network_mode: host`, which podman
refuses).

What could not start here, and why: the `db`, `redis` and `mailpit` services, whose images
(postgres, redis, axllent/mailpit) cannot be pulled from this machine (only package registries
answer). The app services therefore run from a copy of the file without those services and
the `depends_on` on them, on the host network (so no `ports`), with DATABASE_URL, Redis and the
mail server pointed at this machine's PostgreSQL, a private Redis and a local aiosmtpd; the image
is the one `build: .` describes, built beforehand on the base tests/containers.py provides. Every
other line of the app services (env_file, environment, command, security_opt, restart,
healthcheck) is compose's to apply.
"""

import re
import sys
import time
import uuid
from http import HTTPStatus
from pathlib import Path

import pytest
import yaml

from tests.conftest import PrivateRedis, free_port, fresh_database, http, run
from tests.containers import ensure_base, find_engine, mail_sink, wait_for_mail, wait_until_ready

ENGINE, WHY_NOT = find_engine()
PODMAN_COMPOSE = Path(sys.executable).parent / "podman-compose"  # the template's dev requirement
APP_SERVICES = ("api", "mail-worker", "audit-sealer")
NOT_STARTED = "db, redis, mailpit: their images cannot be pulled here"

pytestmark = [pytest.mark.slow, pytest.mark.skipif(ENGINE is None, reason=WHY_NOT)]


def compose_command() -> list[str]:
    return ["docker", "compose"] if ENGINE.name == "docker" else [str(PODMAN_COMPOSE)]


def wait_for_log(engine, container: str, text: str, deadline: float = 180.0) -> str:
    """The container's log once it holds `text` (or as it is at the deadline)."""
    end = time.monotonic() + deadline
    while True:
        logs = engine("logs", container)
        output = logs.stdout + logs.stderr
        if text in output or time.monotonic() > end:
            return output
        time.sleep(1)


def app_services_only(compose: dict, image: str, settings: dict[str, str]) -> dict:
    """The app services of `compose` on `image` and the host network, the others left out."""
    services = {}
    for name in APP_SERVICES:
        service = dict(compose["services"][name])
        del service["build"], service["depends_on"]
        service.pop("ports", None)
        service["image"] = image
        service["network_mode"] = "host"
        service["environment"] = {**service["environment"], **settings}
        services[name] = service
    return {"services": services}


def test_compose_runs_the_api_the_mail_worker_and_the_audit_sealer(bake, tmp_path, record_property):
    project = bake(database="postgresql", rate_limit_storage="redis", use_docker=True)
    compose = yaml.safe_load((project / "docker-compose.yml").read_text())
    assert set(compose["services"]) - set(APP_SERVICES) == {"db", "redis", "mailpit"}
    ensure_base(ENGINE)
    image = f"localhost/tpl-compose-{uuid.uuid4().hex[:10]}"
    built = ENGINE.build(project, image)
    assert built.returncode == 0, built.stderr[-3000:]
    record_property(
        "note", f"compose ({Path(compose_command()[0]).name}): not started: {NOT_STARTED}"
    )

    port, name = free_port(), f"tpl-compose-{uuid.uuid4().hex[:8]}"
    base_url, email = f"http://127.0.0.1:{port}", "compose-reset@example.com"
    redis = PrivateRedis()
    redis.start()
    try:
        with (
            mail_sink(project, tmp_path) as (smtp_port, maildir),
            fresh_database("postgresql") as url,
        ):
            settings = {"DATABASE_URL": url, "RATELIMIT_STORAGE_URI": redis.url, "PORT": str(port),
                        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port),
                        "MAIL_POLL_SECONDS": "1"}  # fmt: skip
            override = project / "compose.test.yml"
            override.write_text(yaml.safe_dump(app_services_only(compose, image, settings)))
            compose_cli = [*compose_command(), "--project-name", name, "--file", str(override)]
            env = ENGINE.env
            try:
                up = run([*compose_cli, "up", "--detach", *APP_SERVICES], project, env, timeout=300)
                assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
                label = (
                    "com.docker.compose.project"
                    if ENGINE.name == "docker"
                    else "io.podman.compose.project"
                )
                ps = ENGINE(
                    "ps", "--all", "--filter", f"label={label}={name}", "--format", "{{.Names}}"
                )
                api = next((line for line in ps.stdout.split() if "api" in line), None)
                assert api, ps.stdout + up.stdout[-3000:] + up.stderr[-3000:]
                wait_until_ready(ENGINE, api, base_url)
                smoke = run(["sh", "scripts/ci/smoke.sh", base_url], project)
                credentials = {"email": email, "password": "a-long-password-1", "name": "C"}
                registered = http("POST", f"{base_url}/auth/register", credentials)[0]
                reset = http("POST", f"{base_url}/auth/password-reset", {"email": email})[0]
                mails = wait_for_mail(maildir)
                sealer = next(line for line in ps.stdout.split() if "audit-sealer" in line)
                sealed = wait_for_log(ENGINE, sealer, "head: ")
            finally:
                down = run([*compose_cli, "down"], project, env, timeout=120)
    finally:
        redis.stop()
        ENGINE("rmi", "--force", image)

    assert smoke.returncode == 0, smoke.stderr
    assert (registered, reset) == (HTTPStatus.CREATED, HTTPStatus.ACCEPTED)
    assert [bool(re.search(rf"^To: {re.escape(email)}$", mail, re.M)) for mail in mails] == [True]
    assert down.returncode == 0, down.stderr[-2000:]
    assert re.search(r"^head: [0-9a-f]{64}$", sealed, re.M), sealed
