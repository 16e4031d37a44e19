"""deploy_target=kubernetes: the kustomize manifests, validated offline.

Every manifest of every render that has them follows the schemas of Kubernetes KUBERNETES (the
ones kubernetes-validate ships, strict: no unknown fields). No kustomize runs here (none is
packaged for PyPI or Debian), so the production overlay is checked by what kustomize would do
with it: each patch names a resource of the base, and the base with the patch merged in (a
strategic merge: maps merged, lists of named items merged by name) still follows the schemas.
"""

import copy
import re
import shlex
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
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY|DATABASE_URL|REDIS_URL")


def render(bake, database: str, storage: str) -> Path:
    return bake(
        database=database, rate_limit_storage=storage, use_docker=True, deploy_target="kubernetes"
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


def merged(base: object, patch: object) -> object:
    """`patch` merged into `base` as a strategic merge patch does for these manifests."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            out[key] = merged(base[key], value) if key in base else value
        return out
    if isinstance(base, list) and isinstance(patch, list) and all("name" in i for i in patch):
        by_name = {item["name"]: item for item in patch}
        out = [
            merged(item, by_name.pop(item["name"])) if item["name"] in by_name else item
            for item in base
        ]
        return out + list(by_name.values())
    return copy.deepcopy(patch)


def env_of(container: dict) -> dict[str, str]:
    return {item["name"]: item.get("value") for item in container.get("env", [])}


@renders
def test_every_base_manifest_follows_the_kubernetes_schemas(bake, database, storage):
    resources = base_resources(render(bake, database, storage))

    for resource in resources.values():
        kubernetes_validate.validate(resource, KUBERNETES, strict=True)
    assert sorted(kind for kind, _ in resources) == [
        "ConfigMap",
        "CronJob",
        "CronJob",
        "Deployment",
        "HorizontalPodAutoscaler",
        "Job",
        "PodDisruptionBudget",
        "Service",
    ]


@renders
def test_base_kustomization_lists_every_manifest_of_its_folder(bake, database, storage):
    base = render(bake, database, storage) / "deploy" / "kubernetes" / "base"
    manifests = sorted(p.name for p in base.glob("*.yaml") if p.name != "kustomization.yaml")

    assert sorted(kustomization(base)["resources"]) == manifests


@renders
def test_production_overlay_patches_existing_resources_and_stays_valid(bake, database, storage):
    project = render(bake, database, storage)
    overlay = project / "deploy" / "kubernetes" / "overlays" / "production"
    resources = base_resources(project)
    config = kustomization(overlay)

    assert config["resources"] == ["../../base"]
    assert [image["name"] for image in config["images"]] == [
        containers(resources["Deployment", project.name.replace("_", "-")])[0]["image"]
    ]
    for entry in config["patches"]:
        (patch,) = load_all(overlay / entry["path"])
        key = (patch["kind"], patch["metadata"]["name"])
        assert key in resources, f"{entry['path']} patches no resource of the base"
        names = {c["name"] for c in containers(resources[key])}
        assert {c["name"] for c in containers(patch)} <= names
        kubernetes_validate.validate(merged(resources[key], patch), KUBERNETES, strict=True)


@renders
def test_manifests_hold_no_secret_values(bake, database, storage):
    project = render(bake, database, storage)
    resources = base_resources(project)
    deploy = project / "deploy" / "kubernetes"
    env_file = (project / ".env").read_text()
    generated = re.findall(r"^(?:SECRET_KEY|JWT_SECRET_KEY|DB_PASSWORD)=(.+)$", env_file, re.M)

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
    expected = {"SECRET_KEY", "JWT_SECRET_KEY", "TOTP_ENCRYPTION_KEYS", "DATABASE_URL"} | (
        {"REDIS_URL"} if storage == "redis" else set()
    )
    assert settings == dict.fromkeys(expected, "")


@renders
def test_containers_run_the_images_entrypoint_as_its_user(bake, database, storage):
    project = render(bake, database, storage)
    resources = base_resources(project)
    name = project.name.replace("_", "-")
    entrypoint = (project / "docker" / "entrypoint.sh").read_text()
    (server,) = re.findall(r"^exec (gunicorn .*)$", entrypoint, re.M)
    (user,) = re.findall(r"^USER (\d+):(\d+)$", (project / "Dockerfile").read_text(), re.M)

    args = {key[1]: containers(r)[0]["args"] for key, r in resources.items() if containers(r)}
    assert args == {
        name: shlex.split(server),
        f"{name}-migrate": ["flask", "db", "upgrade"],
        f"{name}-purge-sessions": ["flask", "sessions", "purge"],
        f"{name}-purge-audit": ["flask", "audit", "purge"],
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
