"""A container engine for the image tests: Docker where a daemon answers, else podman.

Where the real `python:<version>-slim` base cannot be pulled (only package registries are
reachable), a stand-in is built once from Debian's own packages and kept between runs: a
`debootstrap --variant=minbase bookworm` root with Debian's python3.11, python3-venv,
python3-pip, ca-certificates, netbase and tzdata, /usr/local/bin/python linked to
/usr/bin/python3, trusting the certificate authorities this machine trusts. It is not the real
base: Debian's Python 3.11.2 lives in /usr/bin and the image is larger. `ensure_base` says
which one a run used.
"""

import contextlib
import fcntl
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

from tests.conftest import CACHE, ROOT, free_port, http, project_venv, run, running

BASE_PYTHON = "3.11"  # the one Python Debian bookworm packages, so the stand-in's
BASE_IMAGE = f"python:{BASE_PYTHON}-slim"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
STANDIN_LABEL = "org.cookiecutter-flask-api.standin"
STANDIN_PACKAGES = "python3.11,python3-venv,python3-pip,ca-certificates,netbase,tzdata"
# podman's settings for this kind of machine (containers.conf(5)); CONTAINERS_CONF points here so
# the machine's own configuration stays untouched. crun refuses the hybrid cgroup layout, and
# podman's default ulimits fail with "setrlimit RLIMIT_NOFILE: Operation not permitted".
PODMAN_CONF = """\
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


@dataclass
class Engine:
    """One container engine's command line."""

    name: str
    env: dict[str, str] = field(default_factory=dict)

    def __call__(self, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
        return run([self.name, *args], cwd=ROOT, env=self.env, timeout=timeout)

    def build_options(self) -> list[str]:
        """On BASE_IMAGE as ensure_base left it (podman must not try to pull it)."""
        options = ["--network", "host", "--build-arg", f"PYTHON_VERSION={BASE_PYTHON}"]
        return ["--pull=never", *options] if self.name == "podman" else options

    def build(self, context: Path, tag: str) -> subprocess.CompletedProcess[str]:
        """Build `context` as `tag`; podman keeps HEALTHCHECK only in the docker format."""
        docker_format = ["--format", "docker"] if self.name == "podman" else []
        options = [*docker_format, *self.build_options(), "--tag", tag, str(context)]
        return self("build", *options, timeout=900)

    @contextlib.contextmanager
    def running(self, *args: str) -> Iterator[str]:
        """`run --detach` with `args` (options, image, command) for the block; yield its name."""
        name = f"tpl-{uuid.uuid4().hex[:10]}"
        started = self("run", "--detach", "--name", name, *args)
        try:
            assert started.returncode == 0, started.stderr
            yield name
        finally:
            # podman would first wait 10 s for a stop; Docker's --force kills at once.
            timeout = ["--time", "2"] if self.name == "podman" else []
            self("rm", "--force", *timeout, name)

    def logs(self, name: str) -> str:
        result = self("logs", name)
        return result.stdout + result.stderr


def find_engine() -> tuple[Engine | None, str]:
    """The engine that can run containers here, or None and the reason in one line."""
    if shutil.which("docker") and run(["docker", "info"], cwd=ROOT, timeout=30).returncode == 0:
        return Engine("docker"), ""
    if not shutil.which("podman"):
        return None, "no Docker daemon answers and podman is not installed (.ci/run installs it)"
    conf = CACHE / "podman" / "containers.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(PODMAN_CONF)
    engine = Engine("podman", {"CONTAINERS_CONF": str(conf)})
    probe = engine("info", timeout=60)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"podman cannot run containers here: {last}"
    return engine, ""


def debian_mirror() -> str:
    """The machine's own Debian mirror, as apt knows it (never a hard-coded host)."""
    for source in [*sorted(Path("/etc/apt").rglob("*.sources")), Path("/etc/apt/sources.list")]:
        if source.is_file():
            match = re.search(r"^(?:URIs:|deb)\s+(\S+/debian)/?\s", source.read_text(), re.M)
            if match:
                return match.group(1)
    raise AssertionError("no Debian mirror in /etc/apt: the stand-in base needs one")


def ensure_base(engine: Engine) -> str:
    """Make BASE_IMAGE available: pulled if possible, else the stand-in. Say which."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "base-image.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        label = f'{{{{index .Config.Labels "{STANDIN_LABEL}"}}}}'
        present = engine("image", "inspect", "--format", label, BASE_IMAGE)
        if present.returncode == 0:
            if present.stdout.strip() in ("", "<no value>"):
                return f"the real {BASE_IMAGE}, cached"
            return standin_description("cached")
        if engine("pull", f"docker.io/library/{BASE_IMAGE}", timeout=120).returncode == 0:
            return f"the real {BASE_IMAGE}, pulled"
        import_standin(engine)
        return standin_description("built now")


def standin_description(how: str) -> str:
    return (
        f"a STAND-IN for {BASE_IMAGE} ({how}; debootstrap bookworm with Debian's Python 3.11.2"
        " in /usr/bin, larger than the real base), since the real one cannot be pulled"
    )


def import_standin(engine: Engine) -> None:
    """debootstrap the stand-in root (kept as a tarball in .cache/) and import it."""
    tarball = CACHE / "standin" / f"python-{BASE_PYTHON}-slim.tar"
    if not tarball.exists():
        write_standin_tarball(tarball)
    changes = [
        "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
        "ENV LANG=C.UTF-8",
        'CMD ["python3"]',
        f"LABEL {STANDIN_LABEL}=debootstrap-bookworm",
    ]
    options = [arg for change in changes for arg in ("--change", change)]
    with tarball.open("rb") as stream:
        result = subprocess.run(
            [engine.name, "import", *options, "-", BASE_IMAGE],
            stdin=stream,
            capture_output=True,
            text=True,
            env={**os.environ, **engine.env},
            timeout=600,
            check=False,
        )
    assert result.returncode == 0, result.stderr


def write_standin_tarball(tarball: Path) -> None:
    assert shutil.which("debootstrap"), "debootstrap is missing (.ci/run installs it)"
    rootfs = tarball.parent / "rootfs"
    shutil.rmtree(rootfs, ignore_errors=True)
    rootfs.parent.mkdir(parents=True, exist_ok=True)
    result = run(
        [
            "debootstrap",
            "--variant=minbase",
            f"--include={STANDIN_PACKAGES}",
            "bookworm",
            str(rootfs),
            debian_mirror(),
        ],
        cwd=ROOT,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (rootfs / "usr/local/bin/python").symlink_to("/usr/bin/python3")
    # The machine's own trust store, so pip in the build reaches the index the way the machine
    # does (its network may present a certificate authority of its own).
    shutil.copyfile(HOST_CA_BUNDLE, rootfs / HOST_CA_BUNDLE.relative_to("/"))
    shutil.rmtree(rootfs / "var/cache/apt/archives", ignore_errors=True)
    partial = tarball.with_suffix(".partial")
    result = run(["tar", "-C", str(rootfs), "-cf", str(partial), "."], cwd=ROOT)
    assert result.returncode == 0, result.stderr
    partial.rename(tarball)
    shutil.rmtree(rootfs)


# Around the containers: readiness, and a mail server for the mail worker


def wait_until_ready(engine: Engine, name: str, base_url: str, deadline: float = 60) -> float:
    """Poll /ready until 200 (return the moment) or fail with the container's logs."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        with contextlib.suppress(OSError):
            if http("GET", f"{base_url}/ready")[0] == HTTPStatus.OK:
                return time.monotonic()
        time.sleep(0.2)
    raise AssertionError(f"/ready never answered 200:\n{engine.logs(name)[-3000:]}")


@contextlib.contextmanager
def mail_sink(project: Path, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """aiosmtpd (the render's dev requirement) on a free port, writing each mail to a maildir."""
    port, maildir = free_port(), tmp_path / "maildir"
    python = project_venv(project) / "bin" / "python"
    command = [str(python), "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
               "-c", "aiosmtpd.handlers.Mailbox", str(maildir)]  # fmt: skip
    with running(command, tmp_path, {}, tmp_path / "smtp.log"):
        end = time.monotonic() + 20
        while time.monotonic() < end:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"aiosmtpd did not listen on {port}")
        yield port, maildir


def wait_for_mail(maildir: Path, deadline: float = 30) -> list[str]:
    """The mails in `maildir` once there is one, or fail after `deadline` seconds."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        mails = sorted((maildir / "new").glob("*")) if (maildir / "new").exists() else []
        if mails:
            return [mail.read_text() for mail in mails]
        time.sleep(0.2)
    raise AssertionError(f"no mail reached the SMTP server within {deadline:g} s")
