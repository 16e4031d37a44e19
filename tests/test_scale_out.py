"""Two instances of a postgresql + redis render behind HAProxy, under a steady load.

Each instance is gunicorn started as the rendered README says for production (gunicorn.conf.py
reads the environment), on a shared PostgreSQL database and a shared Redis. HAProxy checks
`/ready` on each and retries refused connections on the other instance. A rolling restart stops
each instance as the README says, with the render's scripts/stop.sh (drain file, wait, SIGTERM to
the master in gunicorn's pidfile). Every request of the
load comes from an address of its own on 127/8, so per-client limits never refuse it; the load
itself only reads and logs in, and every answer but a 200 counts as a failure.
"""

import contextlib
import csv
import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

import pytest

from tests.conftest import (
    PRODUCTION_MAIL,
    PrivateRedis,
    free_port,
    fresh_database,
    migrate_with_admin,
    project_venv,
    wait_for_http,
)

HAPROXY = shutil.which("haproxy")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        HAPROXY is None, reason="haproxy is not installed (apt-get install haproxy)"
    ),
]

EMAIL, PASSWORD = "scale@example.com", "password-for-scale-out"
CREDENTIALS = {"email": EMAIL, "password": PASSWORD}
# Health checks every 250 ms, two failures to leave the rotation, two successes to come back.
CHECK_INTER_MS, CHECK_FALL, CHECK_RISE = 250, 2, 2
# scripts/stop.sh's wait: longer than the balancer needs to take an instance out (fall x inter),
# with room for a loaded machine; the instance keeps serving meanwhile, so a longer wait costs
# time, never requests.
DRAIN_SECONDS = 5
LOAD_THREADS = 4

HAPROXY_CONFIG = """\
global
    stats socket {socket} level admin
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout check 2s
    # A refused connection was never seen by the app: retry it on the other instance.
    retries 3
    option redispatch 1
    option forwardfor
frontend api
    bind 127.0.0.1:{port}
    default_backend app
backend app
    balance roundrobin
    option httpchk GET /ready
    http-check expect status 200
    default-server inter {inter}ms fall {fall} rise {rise}
    http-response set-header X-Server %[srv_name]
{servers}
"""

addresses = (f"127.1.{n // 250}.{n % 250 + 1}" for n in itertools.count())
address_lock = threading.Lock()


def next_address() -> str:
    """A client address used by no other request of this module, so limits never refuse it."""
    with address_lock:
        return next(addresses)


def call(
    port: int,
    method: str,
    path: str,
    body: dict | None = None,
    token: str | None = None,
    source: str = "127.0.0.1",
) -> tuple[int, dict, dict[str, str]]:
    """One JSON request to 127.0.0.1:`port` from `source`; status, body, lower-cased headers."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=30, source_address=(source, 0)
    )
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, None if body is None else json.dumps(body), headers)
        response = connection.getresponse()
        raw = response.read()
        try:
            decoded = json.loads(raw or b"null")
        except ValueError:
            decoded = {"raw": raw.decode(errors="replace")}
        return response.status, decoded, {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


@dataclass
class Instance:
    """One gunicorn of the render: the README's production command, its own ports and dirs."""

    name: str
    project: Path
    command: list[str]
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    stop_env: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        directory = self.log.parent / self.name
        directory.mkdir(exist_ok=True)
        env = {
            **self.env,
            "BIND": f"127.0.0.1:{self.port}",
            "METRICS_BIND": f"127.0.0.1:{free_port()}",
            "PROMETHEUS_MULTIPROC_DIR": str(directory / "metrics"),
            "TMPDIR": str(directory),
            "DRAIN_FILE": str(directory / "draining"),
            "GUNICORN_PIDFILE": str(directory / "gunicorn.pid"),
        }
        self.stop_env = {**os.environ, **env, "DRAIN_SECONDS": str(DRAIN_SECONDS)}
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.project,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_http(f"http://127.0.0.1:{self.port}/health")

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.signal_group(signal.SIGQUIT)  # gunicorn's quick shutdown
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
            self.process.wait()

    def refuses_connections(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return True
        return False


class Balancer:
    """HAProxy in the foreground, with its runtime API on a unix socket."""

    def __init__(self, directory: Path, instances: list[Instance]) -> None:
        self.port = free_port()
        self.socket = directory / "haproxy.sock"
        servers = "\n".join(
            f"    server {each.name} 127.0.0.1:{each.port} check" for each in instances
        )
        config = directory / "haproxy.cfg"
        config.write_text(
            HAPROXY_CONFIG.format(
                socket=self.socket,
                port=self.port,
                inter=CHECK_INTER_MS,
                fall=CHECK_FALL,
                rise=CHECK_RISE,
                servers=servers,
            )
        )
        self.log = directory / "haproxy.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [HAPROXY, "-db", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT
            )

    def states(self) -> dict[str, str]:
        """Each server's status as HAProxy's `show stat` reports it (UP, DOWN, "UP 1/2", ...)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.socket))
            sock.sendall(b"show stat\n")
            data = b"".join(iter(lambda: sock.recv(65536), b""))
        rows = csv.DictReader(data.decode().lstrip("# ").splitlines())
        return {row["svname"]: row["status"] for row in rows if row["pxname"] == "app"}

    def wait_for(self, server: str, wanted: str, deadline: float = 60) -> float:
        """Poll until `server` is UP (or DOWN); return the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < deadline:
            with contextlib.suppress(OSError):
                state = self.states().get(server, "")
                if state == wanted or (wanted == "DOWN" and state.startswith("DOWN")):
                    return time.monotonic() - started
            time.sleep(0.05)
        raise AssertionError(f"HAProxy did not report {server} {wanted} in {deadline} s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@dataclass
class Outcome:
    kind: str
    started: float
    finished: float
    status: int | str


class Load:
    """LOAD_THREADS clients reading a user and logging in through the balancer, back to back."""

    def __init__(self, port: int, token: str, user_id: int) -> None:
        self.port, self.token, self.user_id = port, token, user_id
        self.outcomes: list[Outcome] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self.client, args=(n,)) for n in range(LOAD_THREADS)
        ]

    def client(self, number: int) -> None:
        for n in itertools.count(number):
            if self.stopping.is_set():
                return
            kind = "login" if n % 4 == 0 else "read"
            started = time.monotonic()
            try:
                if kind == "login":
                    body = CREDENTIALS
                    status = call(self.port, "POST", "/auth/login", body, source=next_address())[0]
                else:
                    path = f"/users/{self.user_id}"
                    status = call(self.port, "GET", path, token=self.token, source=next_address())[
                        0
                    ]
            except OSError as error:
                status = type(error).__name__
            with self.lock:
                self.outcomes.append(Outcome(kind, started, time.monotonic(), status))

    def __enter__(self) -> "Load":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def failures(self) -> list[Outcome]:
        with self.lock:
            return [each for each in self.outcomes if each.status != HTTPStatus.OK]

    def summary(self) -> dict[str, int]:
        with self.lock:
            done = list(self.outcomes)
        return {
            "requests": len(done),
            "reads": sum(each.kind == "read" for each in done),
            "logins": sum(each.kind == "login" for each in done),
            "failed": sum(each.status != HTTPStatus.OK for each in done),
        }

    def wait_for_requests(self, count: int, deadline: float = 60) -> None:
        """Let at least `count` more requests finish (the load is steady, not timed)."""
        with self.lock:
            target = len(self.outcomes) + count
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            with self.lock:
                if len(self.outcomes) >= target:
                    return
            time.sleep(0.05)
        raise AssertionError(f"the load did not finish {count} requests in {deadline} s")


def login(port: int) -> dict:
    """Log the admin in through `port` from an address of its own; the response body."""
    status, body, _ = call(port, "POST", "/auth/login", CREDENTIALS, source=next_address())
    assert status == HTTPStatus.OK, body
    return body


@dataclass
class Deployment:
    instances: dict[str, Instance]
    balancer: Balancer
    admin_id: int

    def restart(self, name: str) -> None:
        """Start `name` again (after it stopped) and wait until the balancer routes to it."""
        self.instances[name].start()
        self.balancer.wait_for(name, "UP")


@pytest.fixture(scope="module")
def deployment(cookies_session, tmp_path_factory):
    directory = tmp_path_factory.mktemp("scale-out")
    result = cookies_session.bake(
        extra_context={
            "setup_environment": False,
            "database": "postgresql",
            "rate_limit_storage": "redis",
        }
    )
    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)
    venv = project_venv(project)
    redis = PrivateRedis()
    redis.start()
    with fresh_database("postgresql") as url:
        env = {
            "FLASK_ENV": "production",
            "SECRET_KEY": "s" * 48,
            "JWT_SECRET_KEY": "j" * 48,
            "DATABASE_URL": url,
            **PRODUCTION_MAIL,
            "RATELIMIT_STORAGE_URI": redis.url,
            # Enough hashing that a login keeps a worker busy while others accept.
            "PASSWORD_HASH_ITERATIONS": "100000",
            "TRUSTED_PROXY_HOPS": "1",
            "WEB_CONCURRENCY": "2",
        }
        migrate_with_admin(project, env, EMAIL, PASSWORD)
        command = [str(venv / "bin" / "gunicorn"), "wsgi:app"]
        instances = {
            name: Instance(name, project, command, env, directory / f"{name}.log") for name in "ab"
        }
        balancer = None
        try:
            for instance in instances.values():
                instance.start()
            balancer = Balancer(directory, list(instances.values()))
            for name in instances:
                balancer.wait_for(name, "UP")
            admin = login(balancer.port)
            yield Deployment(instances, balancer, admin["user"]["id"])
        finally:
            if balancer is not None:
                balancer.stop()
            for instance in instances.values():
                instance.stop()
            redis.stop()


def test_logout_through_one_instance_revokes_the_token_on_the_other(deployment):
    a, b = deployment.instances["a"].port, deployment.instances["b"].port
    token = login(a)["access_token"]
    path = f"/users/{deployment.admin_id}"
    assert call(b, "GET", path, token=token, source=next_address())[0] == HTTPStatus.OK

    logout = call(a, "POST", "/auth/logout", token=token, source=next_address())
    on_b = call(b, "GET", path, token=token, source=next_address())
    on_a = call(a, "GET", path, token=token, source=next_address())

    assert logout[0] == HTTPStatus.OK
    assert on_b[0] == on_a[0] == HTTPStatus.UNAUTHORIZED
    assert on_b[1]["status_code"] == HTTPStatus.UNAUTHORIZED


def test_login_limit_counts_across_both_instances(deployment):
    source = next_address()  # one client, 20 logins at once against 10 per minute
    barrier = threading.Barrier(20)
    results: list[tuple[int, dict, dict]] = []
    lock = threading.Lock()

    def one() -> None:
        barrier.wait()
        outcome = call(deployment.balancer.port, "POST", "/auth/login", CREDENTIALS, source=source)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    statuses = sorted(status for status, _, _ in results)
    served_by = {headers.get("x-server") for _, _, headers in results}
    print(
        json.dumps(
            {
                "ok": statuses.count(200),
                "limited": statuses.count(429),
                "served_by": sorted(served_by),
            }
        )
    )
    assert statuses == [HTTPStatus.OK] * 10 + [HTTPStatus.TOO_MANY_REQUESTS] * 10
    assert served_by == {"a", "b"}  # both instances answered, and counted together


def test_rolling_restart_loses_no_request(deployment):
    token = login(deployment.balancer.port)["access_token"]
    timings = {}
    with Load(deployment.balancer.port, token, deployment.admin_id) as load:
        load.wait_for_requests(20)
        for name, instance in deployment.instances.items():
            begun = time.monotonic()
            stop = subprocess.Popen(
                [str(instance.project / "scripts" / "stop.sh")], env=instance.stop_env
            )
            out_of_rotation = deployment.balancer.wait_for(name, "DOWN")
            assert stop.wait(timeout=DRAIN_SECONDS + 60) == 0
            signalled = time.monotonic() - begun
            instance.process.wait(timeout=60)
            stopped = time.monotonic() - begun
            # The balancer let go before the SIGTERM: nothing was sent to a closing socket.
            assert out_of_rotation < signalled
            deployment.restart(name)  # back UP: a new start is not left draining
            timings[name] = {
                "out_of_rotation_s": round(out_of_rotation, 2),
                "sigterm_s": round(signalled, 2),
                "exited_s": round(stopped, 2),
            }
            load.wait_for_requests(20)

    print(json.dumps({"rolling_restart": load.summary(), "timings": timings}))
    assert load.failures() == []
    assert load.summary()["requests"] >= 60


def test_kill_9_fails_at_most_the_requests_in_flight(deployment):
    token = login(deployment.balancer.port)["access_token"]
    victim = deployment.instances["a"]
    with Load(deployment.balancer.port, token, deployment.admin_id) as load:
        load.wait_for_requests(20)
        killed = time.monotonic()
        victim.signal_group(signal.SIGKILL)  # master and workers, as when a machine dies
        while not victim.refuses_connections():
            time.sleep(0.01)
        closed = time.monotonic()
        out_of_rotation = deployment.balancer.wait_for("a", "DOWN")
        load.wait_for_requests(40)
    victim.process.wait(timeout=10)

    failures = load.failures()
    # In flight: under way at some moment between the kill and the end of the instance's socket
    # (the kernel still queues connections for the milliseconds the killed processes take to die).
    in_flight = [each for each in load.outcomes if each.started < closed and each.finished > killed]
    print(
        json.dumps(
            {
                "kill_9": load.summary(),
                "in_flight_at_kill": len(in_flight),
                "failed_statuses": sorted(str(each.status) for each in failures),
                "out_of_rotation_s": round(out_of_rotation, 2),
                "socket_gone_after_s": round(closed - killed, 3),
            }
        )
    )
    # Nothing sent after the instance died failed: the balancer retried refused connections on
    # the other instance until its health check took the dead one out.
    assert all(each in in_flight for each in failures)
    deployment.restart("a")
