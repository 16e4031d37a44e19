"""The production overlay's Deployments and migration Job run as pods under `podman kube play`:
the API's, and with background_jobs=celery the Celery worker's and beat's.

This is no cluster test. podman 4.3 ignores, and so this test does not prove: the probes (their
paths are requested by hand inside the pod instead), preStop, terminationGracePeriodSeconds,
runAsNonRoot, resource requests, the Service, HorizontalPodAutoscaler, PodDisruptionBudget and
CronJobs; emptyDir volumes become named volumes shared between pods; a Job is ignored, so its pod
template runs wrapped in a `kind: Pod`. A `kind: Secret` document fails in podman 4.3 ("not valid
JSON"), so the Secret is a `podman secret` holding only its `data` map. The pod reaches this
machine's PostgreSQL and a private Redis at 10.0.2.2 (slirp4netns with allow_host_loopback; the
host network refuses the manifest's ports), and its ports are published on free host ports.
What podman does apply is checked: the image, envFrom the ConfigMap and Secret, args,
runAsUser, readOnlyRootFilesystem, dropped capabilities and allowPrivilegeEscalation. The worker's
and beat's liveness probes (exec) are run by hand inside their pods, and the worker's log shows
the outbox sweep that beat queued (Celery's queue: database 1 of the private Redis).
"""

import base64
import json
import re
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from http import HTTPStatus

import psycopg
import pytest
import yaml

from tests.conftest import (
    PrivateRedis,
    free_port,
    fresh_database,
    http,
    run,
    stored_heads,
)
from tests.containers import ensure_base, find_engine
from tests.test_kubernetes import kustomize

ENGINE, WHY_NOT = find_engine()
if ENGINE is not None and ENGINE.name != "podman":
    ENGINE, WHY_NOT = None, "runs pods with `podman kube play`; podman is not the engine here"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(ENGINE is None, reason=WHY_NOT)]

HOST = "10.0.2.2"  # slirp4netns's address for the machine's loopback
NETWORK = "slirp4netns:allow_host_loopback=true"
IGNORED = (
    "podman ignores probes, preStop, terminationGracePeriodSeconds, runAsNonRoot, requests, "
    "Service, HPA, PDB, CronJob; emptyDirs are named volumes shared between pods"
)
# With celery, the Deployments beside the API's: their exec probes run by hand, polled this long.
BACKGROUND = {"none": (), "celery": ("celery-worker", "celery-beat")}
PROBE_DEADLINE_SECONDS = 180
SWEPT = re.compile(r"Task mail\.sweep\[[0-9a-f-]+\] succeeded")


def as_pod(name: str, spec: dict) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def kube(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return ENGINE("kube", *args, timeout=timeout)


def exec_in(container: str, *command: str) -> subprocess.CompletedProcess[str]:
    return ENGINE("exec", container, *command)


def http_status_inside(container: str, port: int, path: str) -> str:
    """GET a path from inside the pod, with the image's Python (it has no curl)."""
    code = (
        "import sys, urllib.request, urllib.error\n"
        "try:\n    print(urllib.request.urlopen(sys.argv[1], timeout=5).status)\n"
        "except urllib.error.HTTPError as e:\n    print(e.code)"
    )
    return exec_in(container, "python", "-c", code, f"http://127.0.0.1:{port}{path}").stdout.strip()


@pytest.mark.parametrize("jobs", list(BACKGROUND))
def test_production_overlay_runs_as_pods_under_podman_kube_play(
    bake, tmp_path, record_property, jobs
):
    started_at = time.monotonic()
    project = bake(
        database="postgresql", rate_limit_storage="redis", use_docker=True,
        deploy_target="kubernetes", background_jobs=jobs,
    )  # fmt: skip
    objects = kustomize(project / "deploy" / "kubernetes" / "overlays" / "production")
    name = project.name.replace("_", "-")
    deployment, job = objects[("Deployment", name)], objects[("Job", f"{name}-migrate")]
    background = [objects[("Deployment", f"{name}-{suffix}")] for suffix in BACKGROUND[jobs]]
    configmap = objects[("ConfigMap", f"{name}-config")]
    api_spec = deployment["spec"]["template"]["spec"]
    [api] = api_spec["containers"]
    image = api["image"]
    secret_name = api["envFrom"][1]["secretRef"]["name"]

    ensure_base(ENGINE)
    built = ENGINE.build(project, image)
    assert built.returncode == 0, built.stderr[-3000:]
    ports = {port["name"]: port for port in api["ports"]}
    for port in ports.values():
        port["hostPort"] = free_port()
    http_port, metrics_port = ports["http"]["hostPort"], ports["metrics"]["hostPort"]
    base_url = f"http://127.0.0.1:{http_port}"
    deployment_file, job_file = tmp_path / "deployment.yaml", tmp_path / "migrate.yaml"
    configmap["metadata"].pop("namespace", None)
    deployment_file.write_text(yaml.safe_dump_all([configmap, deployment, *background]))
    job_pod = f"{job['metadata']['name']}-{uuid.uuid4().hex[:6]}"
    job_file.write_text(
        yaml.safe_dump_all([configmap, as_pod(job_pod, job["spec"]["template"]["spec"])])
    )

    redis = PrivateRedis()
    redis.start()
    try:
        with fresh_database("postgresql") as url:
            secret = {
                "SECRET_KEY": "k" * 48, "JWT_SECRET_KEY": "j" * 48,
                "TOTP_ENCRYPTION_KEYS": base64.urlsafe_b64encode(b"t" * 32).decode(),
                "DATABASE_URL": url.replace("127.0.0.1", HOST),
                "RATELIMIT_STORAGE_URI": redis.url.replace("127.0.0.1", HOST),
                "MAIL_USERNAME": "", "MAIL_PASSWORD": "",
            }  # fmt: skip
            if jobs == "celery":
                broker = redis.url.removesuffix("/0") + "/1"
                secret["CELERY_BROKER_URL"] = broker.replace("127.0.0.1", HOST)
            data = {
                name: base64.b64encode(value.encode()).decode() for name, value in secret.items()
            }
            (tmp_path / "data.json").write_text(json.dumps(data))
            created = ENGINE("secret", "create", secret_name, str(tmp_path / "data.json"))
            assert created.returncode == 0, created.stderr
            try:
                facts = run_pods(
                    project,
                    # podman names a Deployment's pods <name>-pod-<n>, containers <pod>-<container>.
                    (deployment_file, f"{deployment['metadata']['name']}-pod-0-{api['name']}"),
                    (
                        job_file,
                        f"{job_pod}-{job['spec']['template']['spec']['containers'][0]['name']}",
                    ),
                    base_url,
                    metrics_port,
                    api,
                )
                facts["background"] = run_background_probes(background)
                if jobs == "celery":
                    facts["worker_log"] = worker_log_once_swept(background[0])
                with psycopg.connect(url.replace("+psycopg", "")) as connection:
                    rows = connection.execute("SELECT version_num FROM alembic_version")
                    facts["versions"] = sorted(row[0] for row in rows)
            finally:
                kube("down", str(deployment_file))
                kube("down", str(job_file))
                ENGINE("secret", "rm", secret_name)
            pods_left = ENGINE("pod", "ps", "--format", "{{.Name}}").stdout.split()
    finally:
        redis.stop()
        ENGINE("rmi", "--force", image)

    seconds = time.monotonic() - started_at
    ready = facts["ready_seconds"]
    record_property(
        "note", f"kube play: {IGNORED}; ready {ready:.1f} s after the Job; {seconds:.0f} s"
    )
    assert facts["before_job"] == HTTPStatus.SERVICE_UNAVAILABLE  # ready only once migrated
    assert facts["job_exit"] == "0", facts["job_logs"]
    assert facts["versions"] == sorted(stored_heads(project))
    assert facts["ready"] == HTTPStatus.OK
    assert facts["smoke"] == 0, facts["smoke_output"]
    assert facts["metrics"] == (HTTPStatus.OK, HTTPStatus.NOT_FOUND)  # on 9100 only
    assert facts["uid"] == str(api_spec["securityContext"]["runAsUser"]), facts["containers"]
    assert facts["write"] != 0 and "Read-only file system" in facts["write_error"]
    assert facts["cap_eff"] == "0000000000000000"
    assert facts["no_new_privs"] == "1"
    assert set(facts["probes"].values()) == {"200"}, facts["probes"]
    assert [
        pod for pod in pods_left if pod.startswith((deployment["metadata"]["name"], job_pod))
    ] == []
    # The worker and beat: their liveness probes pass, beat's sweep ran on the worker, and they
    # run as confined as the API.
    assert {dep: facts["background"][dep]["probe"] for dep in facts["background"]} == {
        resource["metadata"]["name"]: 0 for resource in background
    }, facts["background"]
    for dep, found in facts["background"].items():
        assert found["uid"] == str(api_spec["securityContext"]["runAsUser"]), dep
        assert found["write"] != 0 and "Read-only file system" in found["write_error"], dep
        assert (found["cap_eff"], found["no_new_privs"]) == ("0000000000000000", "1"), dep
    if jobs == "celery":
        assert SWEPT.search(facts["worker_log"]), facts["worker_log"][-3000:]


def run_pods(project, deployment, job, base_url, metrics_port, api) -> dict:
    """Start the Deployment's pod, then the Job's; gather what the test asserts."""
    (deployment_file, container), (job_file, job_container) = deployment, job
    facts: dict = {}
    played = kube("play", "--network", NETWORK, str(deployment_file))
    assert played.returncode == 0, played.stdout + played.stderr
    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            facts["before_job"] = http("GET", f"{base_url}/ready")[0]
            break
        except OSError:
            time.sleep(0.3)
    played = kube("play", "--network", NETWORK, str(job_file))
    assert played.returncode == 0, played.stdout + played.stderr
    facts["job_exit"] = ENGINE("wait", job_container, timeout=300).stdout.strip()
    facts["job_logs"] = ENGINE("logs", job_container).stderr[-3000:]
    migrated = time.monotonic()
    end = time.monotonic() + 60
    while (
        status := http("GET", f"{base_url}/ready")[0]
    ) != HTTPStatus.OK and time.monotonic() < end:
        time.sleep(0.2)
    facts["ready"], facts["ready_seconds"] = status, time.monotonic() - migrated
    smoke = run(["sh", "scripts/ci/smoke.sh", base_url], project)
    facts["smoke"], facts["smoke_output"] = smoke.returncode, smoke.stderr
    facts["metrics"] = (
        http_status_code(f"http://127.0.0.1:{metrics_port}/metrics"),
        http_status_code(f"{base_url}/metrics"),
    )
    facts.update(confinement(container))
    facts["containers"] = ENGINE("ps", "--format", "{{.Names}}").stdout
    port_numbers = {port["name"]: port["containerPort"] for port in api["ports"]}
    facts["probes"] = {
        kind: http_status_inside(
            container, port_numbers[api[kind]["httpGet"]["port"]], api[kind]["httpGet"]["path"]
        )
        for kind in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    return facts


def confinement(container: str) -> dict:
    """Who the container runs as, and what it may write and do."""
    facts: dict = {}
    uid = exec_in(container, "id", "-u")
    facts["uid"] = uid.stdout.strip() or uid.stderr
    write = exec_in(container, "touch", "/app/written")
    facts["write"], facts["write_error"] = write.returncode, write.stderr
    # The first process's, as the runtime set it up (the kernel's view, not the image's).
    status_file = exec_in(container, "cat", "/proc/1/status")
    fields = dict(re.findall(r"^(\w+):\s*(\S+)", status_file.stdout, re.M))
    facts["cap_eff"] = fields.get("CapEff", status_file.stdout + status_file.stderr)
    facts["no_new_privs"] = fields.get("NoNewPrivs", status_file.stdout + status_file.stderr)
    return facts


def running_container(deployment: dict) -> tuple[str, dict]:
    """The container podman runs for a Deployment's one container, and that container's spec."""
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return f"{deployment['metadata']['name']}-pod-0-{container['name']}", container


def run_background_probes(deployments: list[dict]) -> dict[str, dict]:
    """For each Deployment beside the API's: its exec liveness probe, run inside its pod until
    it passes or the deadline (exit status and output), and its confinement."""
    found: dict[str, dict] = {}
    for deployment in deployments:
        running, container = running_container(deployment)
        end = time.monotonic() + PROBE_DEADLINE_SECONDS
        while True:
            probe = exec_in(running, *container["livenessProbe"]["exec"]["command"])
            if probe.returncode == 0 or time.monotonic() > end:
                break
            time.sleep(2)
        found[deployment["metadata"]["name"]] = {
            "probe": probe.returncode,
            "probe_output": (probe.stdout + probe.stderr)[-2000:],
            **confinement(running),
        }
    return found


def worker_log_once_swept(worker: dict) -> str:
    """The worker's log once it holds a finished outbox sweep (queued by beat on its schedule),
    or as it is at the deadline."""
    running, _ = running_container(worker)
    end = time.monotonic() + PROBE_DEADLINE_SECONDS
    while True:
        logs = ENGINE("logs", running)
        output = logs.stdout + logs.stderr
        if SWEPT.search(output) or time.monotonic() > end:
            return output
        time.sleep(2)


def http_status_code(url: str) -> int:
    """The status of GET `url`, whatever its body."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
