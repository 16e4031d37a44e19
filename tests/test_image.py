"""A render's image, built and run: podman where no Docker daemon answers, Docker where one does.

The app reaches this machine's PostgreSQL and a private Redis over the host network. The base
image may be a stand-in (tests/containers.py); the report's summary names the one used.
"""

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

import pytest

from tests.conftest import (
    PrivateRedis,
    free_port,
    fresh_database,
    http,
    run,
)
from tests.containers import (
    Engine,
    ensure_base,
    find_engine,
    mail_sink,
    wait_for_mail,
    wait_until_ready,
)

ENGINE, WHY_NOT = find_engine()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(ENGINE is None, reason=WHY_NOT),
]

RENDERS = {
    "postgresql-redis-docker": {
        "database": "postgresql",
        "rate_limit_storage": "redis",
        "use_docker": True,
    },
    "defaults-docker": {"use_docker": True},
}
# As scripts/ci/image_has_no_secrets.sh reads .env: no list of names, which the answers vary.
SECRET_SETTING = re.compile(r"(KEYS?|SECRET|PASSWORD|TOKEN)$")
READY_DEADLINE_SECONDS = 60
STOP_DEADLINE_SECONDS = 10
APP_UID = "10001"


@dataclass
class Image:
    """A render's built image and what a run of it needs."""

    render: str
    engine: Engine
    project: Path
    tag: str
    build_log: str
    note: str

    def env_options(self, **settings: str) -> list[str]:
        """.env's settings (the generated secrets), production, and `settings` on top."""
        options = ["--env-file", str(self.project / ".env"), "--env", "FLASK_ENV=production"]
        for name, value in settings.items():
            options += ["--env", f"{name}={value}"]
        return options

    def run_once(self, *options: str, timeout: int = 60) -> tuple[int, str, float]:
        """Run the image to its end; return exit status, output and seconds taken."""
        started = time.monotonic()
        # No healthcheck: podman would add its timer's complaints (no systemd here) to the output.
        result = self.engine("run", "--rm", "--no-healthcheck", "--network", "host", *options,
                             self.tag, timeout=timeout)  # fmt: skip
        return result.returncode, result.stdout + result.stderr, time.monotonic() - started


@pytest.fixture(scope="module")
def images() -> Iterator[dict[str, Image]]:
    """The images this module built, by render; removed when it ends. Tests bound to one render
    (indirect parametrization) come back to its image instead of building it again."""
    built: dict[str, Image] = {}
    yield built
    for image in built.values():
        ENGINE("rmi", "--force", image.tag)


# Each worker that runs a render's tests builds its image once (from the layers cached by the
# first build). xdist_group does not keep a group on one worker here (pytest 9.2, xdist 3.8).
@pytest.fixture(scope="module", params=list(RENDERS))
def image(request, images, cookies_session) -> Image:
    """The render's image, built on first use."""
    if request.param not in images:
        images[request.param] = build_image(request.param, cookies_session)
    return images[request.param]


def build_image(render: str, cookies_session) -> Image:
    result = cookies_session.bake(extra_context={"setup_environment": False, **RENDERS[render]})
    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)
    base = ensure_base(ENGINE)
    tag = f"localhost/tpl-image-{uuid.uuid4().hex[:10]}"
    started = time.monotonic()
    built = ENGINE.build(project, tag)
    seconds = time.monotonic() - started
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    size = ENGINE("image", "inspect", "--format", "{{.Size}}", tag).stdout.strip()
    note = (
        f"{render}: {ENGINE.name} built it on {base} in {seconds:.0f} s, {int(size) / 1e6:.0f} MB"
    )
    return Image(render, ENGINE, project, tag, built.stdout + built.stderr, note)


def inspect(image: Image) -> dict:
    return json.loads(image.engine("image", "inspect", image.tag).stdout)[0]


def env_secrets(project: Path) -> dict[str, str]:
    """Every non-empty value of a .env setting named like a secret, whatever the answers made."""
    pairs = (line.split("=", 1) for line in (project / ".env").read_text().splitlines())
    return {
        name: value
        for name, value in (pair for pair in pairs if len(pair) == 2)
        if SECRET_SETTING.search(name) and value
    }


# The image itself


def test_image_builds_without_warnings_from_useradd(image, record_property):
    record_property("note", image.note)
    assert "useradd warning" not in image.build_log
    assert "SYS_UID_MAX" not in image.build_log


def test_image_runs_as_a_numeric_non_root_user_and_keeps_its_healthcheck(image):
    data = inspect(image)
    healthcheck = data["Config"].get("Healthcheck") or data.get("Healthcheck")  # podman: top level
    assert data["Config"]["User"] == f"{APP_UID}:{APP_UID}"
    assert healthcheck["Test"] == ["CMD", "python", "/app/docker/healthcheck.py"]


def test_image_holds_no_secret_of_env(image):
    result = check_secrets(image, image.tag)
    assert result.returncode == 0, result.stderr
    assert "holds none of" in result.stdout


def test_secret_check_catches_each_secret_planted_in_a_control_image(image, tmp_path):
    planted = env_secrets(image.project)
    assert {"SECRET_KEY", "JWT_SECRET_KEY", "TOTP_ENCRYPTION_KEYS"} <= set(planted)
    missed = []
    for name, value in planted.items():
        (tmp_path / "Containerfile").write_text(f"FROM {image.tag}\nLABEL planted={value}\n")
        control = f"{image.tag}-control"
        built = image.engine.build(tmp_path, control)
        assert built.returncode == 0, built.stderr
        if check_secrets(image, control).returncode != 1:
            missed.append(name)
        image.engine("rmi", control)
    assert missed == []


def check_secrets(image: Image, tag: str):
    return run(
        ["sh", "scripts/ci/image_has_no_secrets.sh", tag, ".env"],
        image.project,
        env={"CONTAINER_ENGINE": image.engine.name, **image.engine.env},
    )


# A running container


@dataclass
class Served:
    image: Image
    name: str
    base_url: str
    ready_seconds: float
    database_url: str


@pytest.fixture(scope="module")
def served(image) -> Iterator[Served]:
    """The image serving on a fresh database, a private Redis, read-only, until the module ends."""
    kind = RENDERS[image.render].get("database", "sqlite")
    redis = PrivateRedis()
    redis.start()
    with fresh_database(str(kind)) as url:
        port = free_port()
        settings = {"PORT": str(port), "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": "9"}
        settings["RATELIMIT_STORAGE_URI"] = redis.url
        volume = []
        if kind == "sqlite":  # the one writable folder, as compose's named volume gives it
            url = "sqlite:////app/data/app.db"
            volume = ["--volume", f"tpl-data-{port}:/app/data"]
            settings["RATELIMIT_STORAGE_URI"] = "memory://"
        options = ["--network", "host", "--read-only", "--tmpfs", "/tmp", *volume]
        options += image.env_options(DATABASE_URL=url, **settings)
        started = time.monotonic()
        with image.engine.running(*options, image.tag) as name:
            base_url = f"http://127.0.0.1:{port}"
            ready = wait_until_ready(image.engine, name, base_url)
            yield Served(image, name, base_url, ready - started, url)
        if volume:
            image.engine("volume", "rm", "--force", f"tpl-data-{port}")
    redis.stop()


def test_container_answers_ready_after_migrating(served, record_property):
    record_property(
        "note", f"{served.image.render}: /ready 200 {served.ready_seconds:.1f} s after run"
    )
    status, body, _ = http("GET", f"{served.base_url}/ready")
    assert status == HTTPStatus.OK
    assert body["status"] == "ready"
    assert "Running upgrade" in served.image.engine.logs(served.name)  # the entrypoint migrated


def test_container_passes_the_smoke_script(served):
    smoke = served.image.project / "scripts" / "ci" / "smoke.sh"
    result = run(["sh", str(smoke), served.base_url], served.image.project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("smoke: registered, logged in and read ")


def test_container_runs_gunicorn_as_pid_1_under_the_image_uid(served):
    uid = served.image.engine("exec", served.name, "id", "-u")
    pid1 = served.image.engine("exec", served.name, "cat", "/proc/1/cmdline")
    assert uid.stdout.strip() == APP_UID
    args = pid1.stdout.split("\0")  # python running the gunicorn script: exec left no shell
    assert Path(args[1]).name == "gunicorn", args


def test_container_cannot_write_its_root_filesystem(served):
    result = served.image.engine("exec", served.name, "touch", "/app/written")
    assert result.returncode != 0
    assert "Read-only file system" in result.stderr


def test_container_passes_its_own_healthcheck(served):
    engine = served.image.engine
    if engine.name == "podman":
        result = engine("healthcheck", "run", served.name)
    else:  # Docker runs it on its own schedule only: run the inspected command instead
        result = engine("exec", served.name, "python", "/app/docker/healthcheck.py")
    assert result.returncode == 0, result.stdout + result.stderr


# PostgreSQL only: what a server database makes possible or fails with.
def bound_to(render: str) -> pytest.MarkDecorator:
    """Run a test on one render's image only."""
    return pytest.mark.parametrize("image", [render], indirect=True)


on_postgresql = bound_to("postgresql-redis-docker")


@on_postgresql
def test_second_container_on_the_migrated_database_is_ready(served):
    image = served.image
    port = free_port()
    options = ["--network", "host", "--read-only", "--tmpfs", "/tmp"]
    options += image.env_options(
        DATABASE_URL=served.database_url, PORT=str(port), MAIL_SERVER="127.0.0.1", MAIL_PORT="9",
        RATELIMIT_STORAGE_URI="memory://",
    )  # fmt: skip
    with image.engine.running(*options, image.tag) as name:
        wait_until_ready(image.engine, name, f"http://127.0.0.1:{port}")
        logs = image.engine.logs(name)
    assert "Running upgrade" not in logs  # nothing left to migrate


@on_postgresql
def test_unreachable_database_fails_within_seconds_with_one_line(image):
    url = f"postgresql+psycopg://app:not-to-be-printed@127.0.0.1:{free_port()}/app"
    status, output, seconds = image.run_once(
        *image.env_options(DATABASE_URL=url, DB_WAIT_TIMEOUT="3", MAIL_SERVER="127.0.0.1")
    )
    assert status == 1
    assert output.strip().splitlines()[-1].startswith("wait_for_db: gave up after 3 s: ")
    assert "Traceback" not in output
    assert "not-to-be-printed" not in output
    assert seconds < 20


@on_postgresql
def test_missing_database_fails_at_once_with_one_line(image):
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/tpl_never_created"
    status, output, seconds = image.run_once(
        *image.env_options(DATABASE_URL=url, MAIL_SERVER="127.0.0.1")
    )
    assert status == 1
    [line] = output.strip().splitlines()
    assert line.startswith(f"wait_for_db: the database at {url} refused: ")
    assert seconds < 20  # DB_WAIT_TIMEOUT's 60 s not waited


@on_postgresql
def test_missing_secret_fails_with_the_apps_one_line_message(image):
    status, output, _ = image.run_once(*image.env_options(SECRET_KEY="", MAIL_SERVER="127.0.0.1"))
    assert (status, output) == (2, "check_config: SECRET_KEY must be set in production\n")


def stop_seconds(engine: Engine, name: str) -> tuple[float, str]:
    """Send SIGTERM; return the seconds until the container ended and its exit status."""
    started = time.monotonic()
    engine("kill", "--signal", "TERM", name)
    waited = engine("wait", name, timeout=STOP_DEADLINE_SECONDS + 20)
    return time.monotonic() - started, waited.stdout.strip()


def test_sigterm_stops_the_api_cleanly_within_10_s(served):
    seconds, status = stop_seconds(served.image.engine, served.name)
    assert status == "0", served.image.engine.logs(served.name)[-3000:]
    assert seconds < STOP_DEADLINE_SECONDS


# The mail worker, on the default answers' SQLite database beside the API
on_defaults = bound_to("defaults-docker")


@pytest.fixture
def smtp_sink(image, tmp_path) -> Iterator[tuple[int, Path]]:
    with mail_sink(image.project, tmp_path) as sink:
        yield sink


@on_defaults
def test_mail_worker_delivers_a_reset_mail_then_stops_on_sigterm(image, smtp_sink):
    smtp_port, maildir = smtp_sink
    port, volume = free_port(), f"tpl-mail-{uuid.uuid4().hex[:8]}"
    settings = {"DATABASE_URL": "sqlite:////app/data/app.db", "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": str(smtp_port), "MAIL_SENDER": "worker", "MAIL_POLL_SECONDS": "1",
                "RATELIMIT_STORAGE_URI": "memory://", "PORT": str(port)}  # fmt: skip
    options = ["--network", "host", "--read-only", "--tmpfs", "/tmp",
               "--volume", f"{volume}:/app/data", *image.env_options(**settings)]  # fmt: skip
    base_url, email = f"http://127.0.0.1:{port}", "reset-me@example.com"
    try:
        with image.engine.running(*options, image.tag) as api:
            wait_until_ready(image.engine, api, base_url)
            with image.engine.running(*options, image.tag, "flask", "mail", "worker") as worker:
                credentials = {"email": email, "password": "a-long-password-1", "name": "R"}
                assert http("POST", f"{base_url}/auth/register", credentials)[0] == 201
                assert http("POST", f"{base_url}/auth/password-reset", {"email": email})[0] == 202
                mails = wait_for_mail(maildir)
                seconds, status = stop_seconds(image.engine, worker)
                logs = image.engine.logs(worker)
    finally:
        image.engine("volume", "rm", "--force", volume)
    assert [mail for mail in mails if f"To: {email}" in mail] == mails
    assert len(mails) == 1
    assert (status, seconds < STOP_DEADLINE_SECONDS) == ("0", True), logs[-3000:]
    assert "Mail worker stopped." in logs


# The rendered project's own `make image-test`


def make_image_test(project: Path, database_url: str, *build_args: str):
    """`make image-test` in `project` with this engine, on the base ensure_base provides."""
    ensure_base(ENGINE)
    tag = f"localhost/tpl-image-test-{uuid.uuid4().hex[:10]}"  # tests may run side by side
    result = run(
        ["make", "image-test"],
        project,
        env={
            **ENGINE.env,
            "CONTAINER_ENGINE": ENGINE.name,
            "IMAGE_BUILD_ARGS": " ".join([*ENGINE.build_options(), *build_args]),
            "IMAGE_TEST_DATABASE_URL": database_url,
            "IMAGE_TEST_PORT": str(free_port()),
            "IMAGE_TEST_IMAGE": tag,
        },
        timeout=900,
    )
    ENGINE("rmi", "--force", tag)
    return result


def test_rendered_make_image_test_passes_with_this_engine(bake, private_redis):
    project = bake(**RENDERS["postgresql-redis-docker"])
    env_file = project / ".env"
    env_file.write_text(
        re.sub(r"(?m)^RATELIMIT_STORAGE_URI=.*$", f"RATELIMIT_STORAGE_URI={private_redis.url}",
               env_file.read_text())
    )  # fmt: skip
    with fresh_database("postgresql") as url:
        result = make_image_test(project, url)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(
        rf"image_test: \S+ passed with {ENGINE.name} \(uid 10001, stopped in \d+ s\)",
        result.stdout,
    )


def test_rendered_make_image_test_fails_on_an_image_holding_a_secret(bake):
    project = bake(**RENDERS["postgresql-redis-docker"])
    planted = env_secrets(project)["JWT_SECRET_KEY"]
    result = make_image_test(project, "postgresql+psycopg://unused@127.0.0.1:1/unused",
                             "--label", f"planted={planted}")  # fmt: skip
    assert result.returncode != 0
    assert "image_has_no_secrets: a secret value of .env is in" in result.stderr
    assert "passed with" not in result.stdout  # it stopped before running the container
