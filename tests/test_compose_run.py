"""docker-compose.yml's app services started by compose itself: `api`, `mail-worker` and
`audit-sealer`, or with background_jobs=celery `api`, `worker` and `beat`. `docker compose` where
a Docker daemon answers, else podman-compose (from PyPI, in requirements-dev.txt: Debian's 1.0.3
adds its own network to `network_mode: host`, which podman refuses).

What could not start here, and why: the `db`, `redis` and `mailpit` services, whose images
(postgres, redis, axllent/mailpit) cannot be pulled from this machine (only package registries
answer). The app services therefore run from a copy of the file without those services and
the `depends_on` on them, on the host network (so no `ports`), with DATABASE_URL, Redis (the rate
limiter's database 0, Celery's database 1) and the mail server pointed at this machine's
PostgreSQL, a private Redis and a local aiosmtpd; the image is the one `build: .` describes, built
beforehand on the base tests/containers.py provides. Every other line of the app services
(env_file, environment, command, security_opt, restart, healthcheck) is compose's to apply.
"""

import re
import sys
import time
import uuid
from http import HTTPStatus
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.conftest import PrivateRedis, free_port, fresh_database, http, run
from tests.containers import (
    Engine,
    ensure_base,
    find_engine,
    mail_sink,
    wait_for_mail,
    wait_until_ready,
)

ENGINE, WHY_NOT = find_engine()
PODMAN_COMPOSE = Path(sys.executable).parent / "podman-compose"  # the template's dev requirement
# The services that run the project's own image, by background_jobs answer.
APP_SERVICES = {
    "none": ("api", "mail-worker", "audit-sealer"),
    "celery": ("api", "worker", "beat"),
}
NOT_STARTED = "db, redis, mailpit: their images cannot be pulled here"
DEADLINE_SECONDS = 180  # for what the services do on their own: a poll, a sweep, a healthcheck
# Celery's periodic sweep of the outbox, every few seconds here so the test sees several.
SWEEP_SECONDS = "2"
SWEEPS_AFTER_DELIVERY = 2

pytestmark = [pytest.mark.slow, pytest.mark.skipif(ENGINE is None, reason=WHY_NOT)]


def compose_command() -> list[str]:
    return ["docker", "compose"] if ENGINE.name == "docker" else [str(PODMAN_COMPOSE)]


def logs_of(engine: Engine, container: str) -> str:
    logs = engine("logs", container)
    return logs.stdout + logs.stderr


def wait_for_log(engine, container: str, text: str, deadline: float = DEADLINE_SECONDS) -> str:
    """The container's log once it holds `text` (or as it is at the deadline)."""
    end = time.monotonic() + deadline
    while True:
        output = logs_of(engine, container)
        if text in output or time.monotonic() > end:
            return output
        time.sleep(1)


def passes_its_healthcheck(engine: Engine, container: str) -> bool:
    """The healthcheck compose gave the container, run now (podman) or as last run (Docker)."""
    if engine.name == "podman":
        return engine("healthcheck", "run", container, timeout=120).returncode == 0
    state = engine("inspect", "--format", "{{.State.Health.Status}}", container)
    return state.stdout.strip() == "healthy"


def healthchecks(engine: Engine, containers: dict[str, str]) -> dict[str, bool]:
    """Each service's healthcheck verdict, polled until all pass or the deadline."""
    end = time.monotonic() + DEADLINE_SECONDS
    passed: dict[str, bool] = dict.fromkeys(containers, False)
    while not all(passed.values()) and time.monotonic() < end:
        for service, container in containers.items():
            passed[service] = passed[service] or passes_its_healthcheck(engine, container)
        time.sleep(2)
    return passed


def outbox(database_url: str) -> list[tuple[str, str, int]]:
    """(recipient, status, attempts) of every row of the mail outbox."""
    with psycopg.connect(database_url.replace("+psycopg", "")) as connection:
        rows = connection.execute("SELECT recipient, status, attempts FROM mail_outbox ORDER BY id")
        return [tuple(row) for row in rows]


def wait_until_sent(database_url: str) -> list[tuple[str, str, int]]:
    """The outbox once no row is pending any more (or as it is at the deadline)."""
    end = time.monotonic() + DEADLINE_SECONDS
    while (rows := outbox(database_url)) and any(row[1] == "pending" for row in rows):
        if time.monotonic() > end:
            break
        time.sleep(0.5)
    return rows


def sweeps_done(logs: str) -> int:
    return len(re.findall(r"Task mail\.sweep\[[0-9a-f-]+\] succeeded", logs))


def app_services_only(compose: dict, image: str, settings: dict[str, str]) -> dict:
    """The app services of `compose` on `image` and the host network, the others left out."""
    services = {}
    for name, service in compose["services"].items():
        if "build" not in service:
            continue
        service = dict(service)
        del service["build"], service["depends_on"]
        service.pop("ports", None)
        service["image"] = image
        service["network_mode"] = "host"
        service["environment"] = {**service["environment"], **settings}
        services[name] = service
    return {"services": services}


def container_names(ps_output: str, services: tuple[str, ...]) -> dict[str, str]:
    """Each service's container, named <project>_<service>_1 (podman-compose) or -1 (Docker)."""
    names = ps_output.split()
    return {
        service: next((n for n in names if re.search(rf"[_-]{service}[_-]\d+$", n)), "")
        for service in services
    }


@pytest.mark.parametrize("jobs", list(APP_SERVICES))
def test_compose_runs_the_app_services_and_a_reset_mail_goes_out_once(
    bake, tmp_path, record_property, jobs
):
    project = bake(
        database="postgresql", rate_limit_storage="redis", use_docker=True,
        use_account_emails=True, background_jobs=jobs,
    )  # fmt: skip
    compose = yaml.safe_load((project / "docker-compose.yml").read_text())
    services = APP_SERVICES[jobs]
    assert [name for name, service in compose["services"].items() if "build" in service] == [
        *services
    ]
    assert set(compose["services"]) - set(services) == {"db", "redis", "mailpit"}
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
                        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port)}  # fmt: skip
            if jobs == "celery":
                settings["CELERY_BROKER_URL"] = redis.url.removesuffix("/0") + "/1"
                settings["MAIL_SWEEP_SCHEDULE"] = SWEEP_SECONDS
            else:
                settings["MAIL_POLL_SECONDS"] = "1"
            override = project / "compose.test.yml"
            override.write_text(yaml.safe_dump(app_services_only(compose, image, settings)))
            compose_cli = [*compose_command(), "--project-name", name, "--file", str(override)]
            env = ENGINE.env
            try:
                up = run([*compose_cli, "up", "--detach", *services], project, env, timeout=300)
                assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
                label = (
                    "com.docker.compose.project"
                    if ENGINE.name == "docker"
                    else "io.podman.compose.project"
                )
                ps = ENGINE(
                    "ps", "--all", "--filter", f"label={label}={name}", "--format", "{{.Names}}"
                )
                containers = container_names(ps.stdout, services)
                assert all(containers.values()), ps.stdout + up.stdout[-3000:] + up.stderr[-3000:]
                wait_until_ready(ENGINE, containers["api"], base_url)
                smoke = run(["sh", "scripts/ci/smoke.sh", base_url], project)
                credentials = {"email": email, "password": "a-long-password-1", "name": "C"}
                registered = http("POST", f"{base_url}/auth/register", credentials)[0]
                reset = http("POST", f"{base_url}/auth/password-reset", {"email": email})[0]
                wait_for_mail(maildir, deadline=DEADLINE_SECONDS)
                rows = wait_until_sent(url)
                if jobs == "celery":
                    # Sweeps after the delivery find nothing overdue: no second send.
                    worker = containers["worker"]
                    wanted = sweeps_done(logs_of(ENGINE, worker)) + SWEEPS_AFTER_DELIVERY
                    end = time.monotonic() + DEADLINE_SECONDS
                    while sweeps_done(logs_of(ENGINE, worker)) < wanted:
                        assert time.monotonic() < end, logs_of(ENGINE, worker)[-3000:]
                        time.sleep(1)
                else:
                    sealed = wait_for_log(ENGINE, containers["audit-sealer"], "head: ")
                mails = [mail.read_text() for mail in sorted((maildir / "new").glob("*"))]
                healthy = healthchecks(ENGINE, containers)
                logs = {service: logs_of(ENGINE, c)[-2000:] for service, c in containers.items()}
            finally:
                down = run([*compose_cli, "down"], project, env, timeout=120)
    finally:
        redis.stop()
        ENGINE("rmi", "--force", image)

    assert smoke.returncode == 0, smoke.stderr
    assert (registered, reset) == (HTTPStatus.CREATED, HTTPStatus.ACCEPTED)
    assert [bool(re.search(rf"^To: {re.escape(email)}$", mail, re.M)) for mail in mails] == [True]
    assert rows == [(email, "sent", 1)]
    assert healthy == dict.fromkeys(services, True), logs
    assert down.returncode == 0, down.stderr[-2000:]
    if jobs == "none":
        assert re.search(r"^head: [0-9a-f]{64}$", sealed, re.M), sealed
