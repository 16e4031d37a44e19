"""GitHub Actions: the template's own CI matrix, and the supply chain of every workflow we ship.

The template's workflows (.github/) and each render's are checked offline: the GitHub workflow
schema, zizmor's security audit, actions pinned to commits, least-privilege permissions, and the
jobs whose verdict depends on the package index (run weekly on GitHub, never by `make test`).
"""

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from tests.conftest import (
    COMBINATIONS,
    COMMON,
    DATABASES,
    PRODUCTION_MAIL,
    ROOT,
    STORAGES,
    free_port,
    matrix_cell,
    project_venv,
    run,
    running,
)

TOOLS = Path(sys.executable).parent
TEMPLATE_WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
RENDER_WORKFLOW = Path(".github/workflows/ci.yml")
# `uses: owner/repo@<commit> # vX.Y.Z`: a full commit, and the release it is, for Dependabot.
PINNED_USES = re.compile(
    r"uses: (?P<action>[\w.-]+/[\w./-]+)@(?P<commit>[0-9a-f]{40}) # v\d+(\.\d+)*"
)
USES = re.compile(r"^\s*(?:- )?uses: .*$", re.M)
READ_ONLY = {"contents": "read"}
PIP_AUDIT = (
    "pip-audit --strict --disable-pip --no-deps --progress-spinner off"
    " --requirement requirements.txt --requirement requirements-dev.txt"
)

renders = pytest.mark.parametrize(
    ("database", "storage", "docker"),
    [
        pytest.param(database, storage, docker, id=f"{database}-{storage}-{label}")
        for database in DATABASES
        for storage in STORAGES
        for docker, label in ((False, "nodocker"), (True, "docker"))
    ],
)
# Docker renders on a database server also deploy to Kubernetes: every job the rendered CI has.
FULL = {"use_docker": True, "deploy_target": "kubernetes"}
# The template CI's image and kubernetes jobs render this, and then run the rendered jobs' steps.
TEMPLATE_CI_RENDER = {"database": "postgresql", "rate_limit_storage": "redis", **FULL}
IMAGE_STEPS = [
    "Write .env with fresh secrets",
    "Build the image (no push)",
    "Start it with compose, with its services",
    "Wait for /ready",
    "Register, log in and read one's own user",
    "The API runs as a non-root user",
    "No secret baked into the image",
    "The stack's logs, on failure",
]
KUBERNETES_STEPS = [
    "Start a throwaway kind cluster",
    "Load the image into the cluster, under the name the overlay gives it",
    "A database in the cluster, and the Secret",
    "Run the migration Job to completion",
    "Roll out the Deployment",
    "Register, log in and read one's own user through the Service",
    "A rolling restart under a request loop loses no request",
    "The cluster's state, on failure",
]
# With background_jobs=celery: the worker and beat, checked after the API (a step of each job).
CELERY_IMAGE_STEP = "The worker and beat pass their health checks"
CELERY_KUBERNETES_STEP = "The worker answers Celery's ping and beat keeps its schedule"
background_jobs = pytest.mark.parametrize("jobs", ["none", "celery"])


def with_celery_step(steps: list[str], after: str, step: str, jobs: str) -> list[str]:
    """`steps`, and with celery `step` right after `after`."""
    if jobs != "celery":
        return steps
    at = steps.index(after) + 1
    return [*steps[:at], step, *steps[at:]]


def full_answers(database: str, docker: bool) -> dict[str, object]:
    if docker and database != "sqlite":
        return FULL
    return {"use_docker": docker}


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def template_workflow(name: str) -> dict:
    return load(ROOT / ".github" / "workflows" / name)


def triggers(workflow: dict) -> dict:
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    return workflow[True]


def runs(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def zizmor(path: Path):
    """zizmor at its default persona, offline, with inline ignore comments not honoured."""
    return run([str(TOOLS / "zizmor"), "--offline", "--no-ignores", str(path)], path)


def check_schema(schema: str, path: Path):
    return run([str(TOOLS / "check-jsonschema"), "--builtin-schema", schema, str(path)], ROOT)


# The template's CI matrix


def test_template_workflows_exist():
    assert [path.name for path in TEMPLATE_WORKFLOWS] == ["ci.yml", "weekly.yml"]


@pytest.mark.parametrize(("workflow", "job"), [("ci.yml", "combination"), ("weekly.yml", "newest")])
def test_matrix_covers_exactly_the_answer_choices(workflow, job):
    answers = json.loads((ROOT / "cookiecutter.json").read_text())
    matrix = template_workflow(workflow)["jobs"][job]["strategy"]["matrix"]

    assert matrix["database"] == answers["database"]
    assert matrix["rate_limit_storage"] == answers["rate_limit_storage"]
    assert set(matrix) <= {"database", "rate_limit_storage", "include"}


def test_ci_runs_make_test_once_per_combination_and_once_for_the_rest():
    found = template_workflow("ci.yml")["jobs"]
    combination, common = found["combination"], found["common"]

    assert combination["env"] == {
        "TEMPLATE_MATRIX": "${{ matrix.database }}-${{ matrix.rate_limit_storage }}"
    }
    assert common["env"] == {"TEMPLATE_MATRIX": COMMON}
    assert runs(combination)[-1] == runs(common)[-1] == "make test"
    assert "make lint" in runs(found["lint"])
    assert "make manifests" in runs(found["lint"])


def test_ci_test_jobs_get_every_server_with_a_health_check():
    found = template_workflow("ci.yml")["jobs"]

    for name in ("combination", "common"):
        services = found[name]["services"]
        assert set(services) == {"postgres", "mariadb", "redis"}
        assert all("--health-cmd" in service["options"] for service in services.values())


def collected(selection: str | None) -> list[str]:
    env = {key: value for key, value in os.environ.items() if key != "TEMPLATE_MATRIX"}
    if selection is not None:
        env["TEMPLATE_MATRIX"] = selection
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    result = run(command, ROOT, env)
    assert result.returncode == 0, result.stdout + result.stderr
    return [line for line in result.stdout.splitlines() if "::" in line]


def test_ci_jobs_together_run_the_whole_suite_each_test_once():
    everything = collected(None)
    per_job = {selection: collected(selection) for selection in (*COMBINATIONS, COMMON)}

    chosen = [test for tests in per_job.values() for test in tests]
    assert sorted(chosen) == sorted(everything)
    assert all(per_job.values()), [name for name, tests in per_job.items() if not tests]


@pytest.mark.parametrize(
    ("params", "cell"),
    [
        ({}, COMMON),
        ({"python_version": "3.13"}, COMMON),
        ({"database": "mysql", "storage": "redis", "docker": True}, "mysql-redis"),
        ({"database": "postgresql"}, "postgresql-memory"),
        ({"storage": "redis"}, "sqlite-redis"),
        ({"answers": {"database": "mysql"}}, "mysql-memory"),
        ({"answers": {"rate_limit_storage": "redis", "use_docker": True}}, "sqlite-redis"),
        ({"answers": {"project_slug": "billing-svc"}}, COMMON),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_test_runs_in_the_job_of_the_combination_it_renders(params, cell):
    assert matrix_cell(params) == cell


def test_an_unknown_template_matrix_value_is_refused():
    result = run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        ROOT,
        {"TEMPLATE_MATRIX": "oracle-memory"},
    )

    assert result.returncode != 0
    assert "TEMPLATE_MATRIX='oracle-memory' is none of: sqlite-memory" in result.stderr


def test_weekly_workflow_checks_the_locks_and_runs_each_render_on_the_newest_releases():
    weekly = template_workflow("weekly.yml")
    newest = weekly["jobs"]["newest"]

    assert set(triggers(weekly)) == {"schedule", "workflow_dispatch"}
    assert runs(weekly["jobs"]["lock-check"]) == ["make lock-check"]
    assert [step.get("working-directory") for step in newest["steps"] if "run" in step] == [
        None,
        "build/my_flask_api",
    ]
    assert runs(newest)[-1] == "make test-newest"
    assert "--output-dir build . setup_environment=no" in runs(newest)[0]
    assert set(newest["services"]) == {"postgres", "mariadb", "redis"}


def test_pull_request_ci_never_asks_the_package_index_for_new_releases():
    ci = template_workflow("ci.yml")

    assert set(triggers(ci)) == {"push", "pull_request"}
    text = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert "lock-check" not in text
    assert "test-newest" not in text


def working_directory(job: dict, step: dict) -> str:
    """Where a step runs: its own working-directory, else the job's default, else the root."""
    default = job.get("defaults", {}).get("run", {}).get("working-directory", ".")
    return step.get("working-directory", default)


def make_targets(makefile: Path) -> set[str]:
    return set(re.findall(r"(?m)^([a-z][a-z-]*):", makefile.read_text()))


@pytest.mark.parametrize("workflow", ["ci.yml", "weekly.yml"])
def test_template_workflows_run_only_make_targets_that_exist(workflow):
    used = {
        target
        for job in template_workflow(workflow)["jobs"].values()
        for step in job["steps"]
        if "run" in step and working_directory(job, step) == "."  # not inside a render
        for target in re.findall(r"\bmake ([a-z][a-z-]*)", step["run"])
    }

    assert used
    assert used <= make_targets(ROOT / "Makefile")


def test_template_workflow_shell_steps_pass_shellcheck(tmp_path):
    scripts = [
        step["run"]
        for path in TEMPLATE_WORKFLOWS
        for job in load(path)["jobs"].values()
        for step in job["steps"]
        if "run" in step
    ]
    for number, script in enumerate(scripts):
        path = tmp_path / f"step{number}.sh"
        path.write_text(f"#!/bin/bash\nset -e\n{script}\n")
        result = run([str(TOOLS / "shellcheck"), str(path)], tmp_path)
        assert result.returncode == 0, result.stdout


# Every workflow we ship: schema, zizmor, pins and permissions


def all_workflow_files(bake) -> list[Path]:
    """The template's workflows, and the rendered workflow of every database x storage, and
    of the Docker renders (with Kubernetes on a database server); the full renders with
    background_jobs=celery too."""
    rendered = [
        bake(database=database, rate_limit_storage=storage, **full_answers(database, docker))
        / RENDER_WORKFLOW
        for database in DATABASES
        for storage in STORAGES
        for docker in (False, True)
    ]
    celery = [
        bake(database=database, background_jobs="celery", **full_answers(database, True))
        / RENDER_WORKFLOW
        for database in DATABASES
    ]
    return [*TEMPLATE_WORKFLOWS, *rendered, *celery]


@pytest.mark.parametrize("path", TEMPLATE_WORKFLOWS, ids=lambda path: path.name)
def test_template_workflow_follows_the_github_workflow_schema(path):
    result = check_schema("vendor.github-workflows", path)

    assert result.returncode == 0, result.stdout + result.stderr


def test_template_dependabot_config_follows_its_schema_and_watches_the_actions():
    path = ROOT / ".github" / "dependabot.yml"

    result = check_schema("vendor.dependabot", path)

    assert result.returncode == 0, result.stdout + result.stderr
    updates = {update["package-ecosystem"]: update for update in load(path)["updates"]}
    assert updates["github-actions"]["directory"] == "/"


def test_zizmor_finds_nothing_in_the_template_workflows():
    result = zizmor(ROOT / ".github")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


@renders
def test_zizmor_finds_nothing_in_the_rendered_workflow_and_dependabot(
    bake, database, storage, docker
):
    project = bake(database=database, rate_limit_storage=storage, **full_answers(database, docker))

    result = zizmor(project / ".github")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


@pytest.mark.parametrize("database", DATABASES)
def test_zizmor_finds_nothing_in_the_workflow_of_a_celery_render(bake, database):
    project = bake(database=database, background_jobs="celery", **full_answers(database, True))

    result = zizmor(project / ".github")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_zizmor_reports_an_action_pinned_to_a_tag(bake):
    project = bake()
    workflow = project / RENDER_WORKFLOW
    text = workflow.read_text()
    workflow.write_text(
        re.sub(r"actions/checkout@[0-9a-f]{40} # v[\d.]+", "actions/checkout@v7", text)
    )

    result = zizmor(project / ".github")

    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout


def test_every_action_is_pinned_to_a_commit_with_its_release(bake):
    lines = [
        (path.name, line.strip())
        for path in all_workflow_files(bake)
        for line in USES.findall(path.read_text())
    ]

    assert lines
    assert [(name, line) for name, line in lines if not PINNED_USES.search(line)] == []


def test_template_and_renders_pin_each_action_to_the_same_commit(bake):
    """Dependabot moves the template's own pins; a render that lags behind fails here."""
    pins: dict[str, set[str]] = {}
    for path in all_workflow_files(bake):
        for match in PINNED_USES.finditer(path.read_text()):
            pins.setdefault(match["action"], set()).add(match[0])
    template_text = "".join(path.read_text() for path in TEMPLATE_WORKFLOWS)

    assert {action: uses for action, uses in pins.items() if len(uses) > 1} == {}
    assert [action for action in pins if f"uses: {action}@" not in template_text] == []


def test_every_job_reads_the_repository_and_nothing_more(bake):
    for path in all_workflow_files(bake):
        workflow = load(path)
        assert workflow["permissions"] == {}, path
        for name, job in workflow["jobs"].items():
            assert job["permissions"] == READ_ONLY, f"{path}: {name}"


def test_checkout_never_leaves_the_token_in_the_clone(bake):
    for path in all_workflow_files(bake):
        for job in load(path)["jobs"].values():
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, path


# The rendered project's audit and newest-releases jobs


def rendered_jobs(project: Path) -> dict[str, dict]:
    return load(project / RENDER_WORKFLOW)["jobs"]


def test_rendered_workflow_also_runs_weekly_and_on_demand(bake):
    workflow = load(bake() / RENDER_WORKFLOW)

    assert set(triggers(workflow)) == {"push", "pull_request", "schedule", "workflow_dispatch"}
    assert [entry["cron"] for entry in triggers(workflow)["schedule"]] == ["23 5 * * 1"]


def test_locked_pins_are_tested_on_pushes_and_pull_requests_not_on_the_schedule(bake):
    found = rendered_jobs(bake())

    for name in ("lint", "migrations", "test"):
        assert found[name]["if"] == "github.event_name != 'schedule'"


def test_audit_job_runs_pip_audit_on_both_locks_on_every_event(bake):
    audit = rendered_jobs(bake())["audit"]
    pins = dict(
        line.split("==", 1)
        for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
        if "==" in line
    )

    assert "if" not in audit
    assert runs(audit) == [f"python -m pip install pip-audit=={pins['pip-audit']}", PIP_AUDIT]


@pytest.mark.parametrize(
    ("database", "storage"),
    [("sqlite", "memory"), ("postgresql", "redis"), ("mysql", "redis")],
    ids=["sqlite-memory", "postgresql-redis", "mysql-redis"],
)
def test_audit_command_reads_every_pin_of_the_locks(bake, database, storage):
    # --dry-run collects what would be audited and stops before asking the vulnerability service.
    project = bake(database=database, rate_limit_storage=storage)
    command = PIP_AUDIT.replace("pip-audit", str(TOOLS / "pip-audit"), 1).split()

    result = run([*command, "--dry-run"], project)

    assert result.returncode == 0, result.stdout + result.stderr
    audited = re.search(r"would have audited (\d+) packages", result.stderr)
    assert audited, result.stderr
    # One package per pin whose environment marker holds here, as pip would install them.
    pins = [
        Requirement(line)
        for name in ("requirements.txt", "requirements-dev.txt")
        for line in (project / name).read_text().splitlines()
        if line and not line.lstrip().startswith("#")
    ]
    installed = {pin.name for pin in pins if pin.marker is None or pin.marker.evaluate()}
    assert int(audited[1]) == len(installed)


def test_newest_job_runs_on_the_schedule_and_on_demand_against_the_test_services(bake):
    found = rendered_jobs(bake(database="postgresql", rate_limit_storage="redis"))
    newest = found["newest"]

    assert newest["if"] == (
        "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'"
    )
    assert newest["services"] == found["test"]["services"]
    assert newest["env"] == found["test"]["env"]
    assert runs(newest) == ["make test-newest"]
    assert any(step.get("uses", "").startswith("astral-sh/setup-uv@") for step in newest["steps"])


@pytest.mark.parametrize("database", DATABASES)
def test_test_jobs_of_a_celery_render_get_redis_on_its_default_port(bake, database):
    found = rendered_jobs(bake(database=database, background_jobs="celery"))
    test, newest = found["test"], found["newest"]
    redis = test["services"]["redis"]

    # The suite's worker tests name a Redis database of their own at redis://localhost:6379.
    assert (redis["image"], redis["ports"]) == ("redis:8-alpine", ["6379:6379"])
    assert "--health-cmd" in redis["options"]
    assert test["name"].endswith(" and Redis")
    assert newest["services"] == test["services"]
    # The rate limiter stays where rate_limit_storage=memory puts it.
    assert "TEST_RATELIMIT_STORAGE_URI" not in test.get("env", {})


def test_test_jobs_without_redis_storage_or_celery_start_no_redis(bake):
    found = rendered_jobs(bake(database="postgresql"))

    assert set(found["test"]["services"]) == {"postgres"}
    assert not found["test"]["name"].endswith(" and Redis")


def make_recipe(makefile: Path, target: str) -> list[str]:
    text = makefile.read_text()
    body = re.search(rf"(?m)^{re.escape(target)}:.*\n((?:\t.*\n)+)", text)
    assert body, target
    return [line.strip() for line in body[1].splitlines()]


def test_test_newest_installs_the_declared_ranges_and_not_the_locks(bake):
    makefile = bake() / "Makefile"

    recipe = make_recipe(makefile, "test-newest")

    [install] = [line for line in recipe if line.startswith("uv pip install")]
    assert "--resolution highest -r pyproject.toml --group dev" in install
    assert "requirements" not in " ".join(recipe)
    assert recipe[-1] == "$(MAKE) test VENV=.venv-newest"
    assert "newest" not in " ".join(make_recipe(makefile, "test"))


# ruff's flake8-bandit rules on the generated code


def test_rendered_lint_runs_the_security_rules_on_the_app(bake):
    config = tomllib.loads((bake() / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]

    assert "S" in config["select"]
    assert [rule for rule in config.get("ignore", []) if rule.startswith("S")] == []
    assert {
        pattern: [rule for rule in rules if rule.startswith("S")]
        for pattern, rules in config["per-file-ignores"].items()
        if any(rule.startswith("S") for rule in rules)
    } == {"tests/**": ["S101", "S105", "S106"]}


def test_every_security_exception_in_the_app_says_why(bake):
    project = bake(database="postgresql", rate_limit_storage="redis", use_docker=True)
    exceptions = [
        (str(path.relative_to(project)), line.strip())
        for path in project.rglob("*.py")
        if "tests" not in path.relative_to(project).parts
        for line in path.read_text().splitlines()
        if re.search(r"noqa: [^#]*\bS\d+", line)
    ]

    assert exceptions  # the check below looks at something
    assert [
        (name, line) for name, line in exceptions if not re.search(r"noqa: S\d+ - \w", line)
    ] == []


# What only a hosted runner can run: the Python axis, the image, the cluster. Checked here for
# shape; the jobs themselves run on GitHub.


def steps_by_name(job: dict) -> list[str]:
    return [step["name"] for step in job["steps"] if "name" in step]


def uses(job: dict) -> list[str]:
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


def rendered_run_steps(job: dict) -> list[tuple[str, str]]:
    """(name, script) of each `run:` step, as a rendered job runs them."""
    return [(step["name"], step["run"]) for step in job["steps"] if "run" in step]


def test_python_axis_is_every_python_version_answer():
    answers = json.loads((ROOT / "cookiecutter.json").read_text())
    python = template_workflow("ci.yml")["jobs"]["python"]

    assert python["strategy"]["matrix"] == {"python_version": answers["python_version"]}
    (setup,) = [step for step in python["steps"] if "setup-python" in step.get("uses", "")]
    assert setup["with"]["python-version"] == "${{ matrix.python_version }}"
    assert python["env"] == {"PYTHON_VERSION": "${{ matrix.python_version }}"}


def test_python_job_renders_for_its_python_and_installs_lints_migrates_and_tests_there():
    python = template_workflow("ci.yml")["jobs"]["python"]
    render, *in_render = python["steps"][2:]

    assert render["working-directory"] == "."
    assert 'setup_environment=no \\\n  python_version="$PYTHON_VERSION"' in render["run"]
    assert python["defaults"]["run"]["working-directory"] == "build/my_flask_api"
    assert [step["run"].strip() for step in in_render] == [
        "make install\n.venv/bin/python -m pip check\n.venv/bin/python --version",
        "make lint",
        "make migrate check",
        "make test",
    ]
    assert "working-directory" not in str(in_render)
    makefile = ROOT / "{{cookiecutter.project_slug}}" / "Makefile"
    assert {"install", "lint", "migrate", "check", "test"} <= make_targets(makefile)


@background_jobs
@pytest.mark.parametrize(
    ("database", "storage"),
    [("sqlite", "memory"), ("postgresql", "redis"), ("mysql", "memory")],
    ids=["sqlite-memory", "postgresql-redis", "mysql-memory"],
)
def test_rendered_image_job_builds_starts_smoke_tests_and_inspects_the_image(
    bake, database, storage, jobs
):
    project = bake(
        database=database,
        rate_limit_storage=storage,
        background_jobs=jobs,
        **full_answers(database, True),
    )
    image = rendered_jobs(project)["image"]
    compose = load(project / "docker-compose.yml")["services"]
    smoke = "Register, log in and read one's own user"
    steps = with_celery_step(IMAGE_STEPS, smoke, CELERY_IMAGE_STEP, jobs)

    assert steps_by_name(image)[: len(steps)] == steps
    assert image["env"]["COMPOSE_FILE"] == "docker-compose.yml:.github/compose-ci.yml"
    assert image["if"] == "github.event_name != 'schedule'"
    assert "services" not in image  # compose starts them, as on a laptop
    expected = {
        "none": {"api", "mail-worker", "mailpit", "audit-sealer"},
        "celery": {"api", "worker", "beat", "mailpit", "redis"},
    }[jobs]
    expected |= {"db"} if database != "sqlite" else set()
    assert set(compose) == expected | ({"redis"} if storage == "redis" else set())
    run_lines = dict(rendered_run_steps(image))
    if jobs == "celery":  # compose waits for their healthchecks of docker-compose.yml
        assert run_lines[CELERY_IMAGE_STEP] == (
            "docker compose up --detach --no-build --wait --wait-timeout 300 worker beat"
        )
    assert run_lines["Build the image (no push)"] == "docker compose build api"
    assert "push" not in " ".join(run_lines.values()).replace("(no push)", "")
    assert "docker compose exec -T api id -u" in run_lines["The API runs as a non-root user"]


@background_jobs
def test_compose_override_of_the_image_job_only_names_the_image_of_each_app_service(bake, jobs):
    project = bake(use_docker=True, background_jobs=jobs)
    override = project / ".github" / "compose-ci.yml"
    compose = load(project / "docker-compose.yml")["services"]
    # Those compose would otherwise build: `docker compose build api` builds the image once,
    # and `up --no-build` refuses a service whose image is missing.
    built = [name for name, service in compose.items() if "build" in service]

    result = check_schema("vendor.compose-spec", override)

    assert result.returncode == 0, result.stdout + result.stderr
    assert built == {"none": ["api", "mail-worker", "audit-sealer"],
                     "celery": ["api", "worker", "beat"]}[jobs]  # fmt: skip
    image = "${IMAGE:?set IMAGE to the name the image gets}"
    assert load(override) == {"services": {name: {"image": image} for name in built}}


@background_jobs
@pytest.mark.parametrize("database", ["postgresql", "mysql"])
def test_rendered_kubernetes_job_deploys_the_image_job_s_image_to_kind(bake, database, jobs):
    project = bake(database=database, rate_limit_storage="redis", background_jobs=jobs, **FULL)
    found = rendered_jobs(project)
    image, kubernetes = found["image"], found["kubernetes"]
    example = (project / "deploy" / "kubernetes" / "base" / "secret.example").read_text()
    secret_keys = set(re.findall(r"(?m)^([A-Z_]+)=", example))
    rollout = "Roll out the Deployment"

    assert kubernetes["needs"] == "image"
    assert steps_by_name(kubernetes) == with_celery_step(
        KUBERNETES_STEPS, rollout, CELERY_KUBERNETES_STEP, jobs
    )
    assert uses(kubernetes) == [
        "actions/checkout",
        "actions/download-artifact",
        "helm/kind-action",
    ]
    assert uses(image)[-1] == "actions/upload-artifact"
    assert steps_by_name(image)[-1] == "Save the image for the Kubernetes job"
    assert kubernetes["env"]["IMAGE"] == image["env"]["IMAGE"]
    # scripts/ci/secret_env.sh fills the four keys it generates, the job's env the rest.
    generated = {"SECRET_KEY", "JWT_SECRET_KEY", "TOTP_ENCRYPTION_KEYS", "AUDIT_SEAL_KEY"}
    assert secret_keys - generated <= set(kubernetes["env"])
    assert (
        kubernetes["env"]["DATABASE_URL"].split("://")[0]
        == {
            "postgresql": "postgresql+psycopg",
            "mysql": "mysql+pymysql",
        }[database]
    )
    script = "\n".join(run for _, run in rendered_run_steps(kubernetes))
    for command in (
        "kind load docker-image",
        'kubectl apply -k "$OVERLAY" -l rollout-phase=before',
        '--for=condition=complete "job/$NAME-migrate"',
        'rollout status "deployment/$NAME"',
        'port-forward "service/$NAME"',
        "scripts/ci/smoke.sh",
        "scripts/ci/restart_under_load.sh",
    ):
        assert command in script
    restart = (project / "scripts" / "ci" / "restart_under_load.sh").read_text()
    assert 'rollout restart "deployment/$NAME"' in restart
    if jobs == "celery":
        run_lines = dict(rendered_run_steps(kubernetes))
        # Database 1 of the cluster's Redis (.github/kind/services.yaml), as in compose.
        assert kubernetes["env"]["CELERY_BROKER_URL"] == "redis://redis:6379/1"
        for deployment in ("celery-worker", "celery-beat"):
            assert f'rollout status "deployment/$NAME-{deployment}"' in run_lines[rollout]
        probes = run_lines[CELERY_KUBERNETES_STEP]
        assert 'exec "deployment/$NAME-celery-$check" --' in probes
        assert 'python -m app.jobs.probe "$check"' in probes


def test_docker_without_kubernetes_has_no_kubernetes_job(bake):
    jobs = rendered_jobs(bake(database="postgresql", use_docker=True))

    assert "image" in jobs
    assert "kubernetes" not in jobs
    assert "actions/upload-artifact" not in uses(jobs["image"])


def test_no_docker_renders_neither_job(bake):
    assert {"image", "kubernetes"} & set(rendered_jobs(bake())) == set()


@pytest.mark.parametrize("job", ["image", "kubernetes"])
def test_template_ci_runs_the_rendered_jobs_steps_on_a_full_render(bake, job):
    rendered = rendered_jobs(bake(**TEMPLATE_CI_RENDER))[job]
    template = template_workflow("ci.yml")["jobs"][job]
    (render,) = [step for step in template["steps"] if step.get("working-directory") == "."]
    answers = " ".join(
        f"{key}={'yes' if value is True else value}" for key, value in TEMPLATE_CI_RENDER.items()
    )

    assert answers in " ".join(render["run"].replace("\\\n", " ").split())
    assert template["defaults"]["run"]["working-directory"] == "build/my_flask_api"
    assert rendered_run_steps(template)[1:] == rendered_run_steps(rendered)
    assert uses(template) == [*uses(rendered)[:1], "actions/setup-python", *uses(rendered)[1:]]
    assert template["env"] == rendered["env"]
    assert template.get("needs") == rendered.get("needs")


def shellcheck(script: str, path: Path):
    path.write_text(f"#!/bin/bash\nset -e\n{script}\n")
    return run([str(TOOLS / "shellcheck"), str(path)], path.parent)


def test_rendered_workflow_shell_steps_and_ci_scripts_pass_shellcheck(bake, tmp_path):
    project = bake(**TEMPLATE_CI_RENDER)
    celery = bake(**TEMPLATE_CI_RENDER, background_jobs="celery")
    steps = [
        step["run"]
        for render in (project, celery)
        for job in rendered_jobs(render).values()
        for step in job["steps"]
        if "run" in step
    ]
    scripts = sorted((project / "scripts").rglob("*.sh"))

    for number, script in enumerate(steps):
        result = shellcheck(script, tmp_path / f"step{number}.sh")
        assert result.returncode == 0, result.stdout
    assert [path.name for path in scripts] == [
        "image_has_no_secrets.sh",
        "restart_under_load.sh",
        "secret_env.sh",
        "smoke.sh",
        "wait_ready.sh",
        "write_env.sh",
        "stop.sh",
    ]
    result = run([str(TOOLS / "shellcheck"), *map(str, scripts)], project)
    assert result.returncode == 0, result.stdout


# The CI scripts, run here where they can be: against a render served by gunicorn on SQLite in
# production mode, and the image check against a stand-in for the docker client.


@pytest.mark.slow
def test_ci_scripts_smoke_test_a_running_render_and_fail_on_a_wrong_one(bake, tmp_path):
    project = bake(use_docker=True)
    venv = project_venv(project)
    port = free_port()
    env = {
        **PRODUCTION_MAIL,
        "FLASK_ENV": "production",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'smoke.db'}",
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
    }
    ci = project / "scripts" / "ci"
    request_loop = bake(**TEMPLATE_CI_RENDER) / "scripts" / "ci" / "request_loop.py"
    assert run([str(venv / "bin" / "flask"), "db", "upgrade"], project, env).returncode == 0
    server = [str(venv / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}"]

    with running([*server, "wsgi:app"], project, env, tmp_path / "server.log"):
        url = f"http://127.0.0.1:{port}"
        ready = run(["sh", str(ci / "wait_ready.sh"), url, "60"], project)
        smoke = run(["sh", str(ci / "smoke.sh"), url], project)
        wrong = run(["sh", str(ci / "smoke.sh"), f"{url}/nowhere"], project)
        loop = run(
            [str(venv / "bin" / "python"), str(request_loop), f"{url}/health", "1"],
            project,
        )

    assert ready.returncode == 0, ready.stderr
    assert smoke.returncode == 0, smoke.stderr
    assert re.fullmatch(rf"smoke: registered, logged in and read \S+ at {url}\n", smoke.stdout)
    assert wrong.returncode == 1
    assert "smoke: POST /auth/register answered 404, expected 201" in wrong.stderr
    assert loop.returncode == 0, loop.stdout
    assert re.search(r"request_loop: [1-9]\d* requests to \S+, 0 failed", loop.stdout)


def test_request_loop_fails_when_nothing_answers(bake):
    script = bake(**TEMPLATE_CI_RENDER) / "scripts" / "ci" / "request_loop.py"

    result = run(
        [sys.executable, str(script), f"http://127.0.0.1:{free_port()}/health", "0.3"], ROOT
    )

    assert result.returncode == 1
    assert re.search(r"request_loop: [1-9]\d* requests to \S+, [1-9]\d* failed", result.stdout)


FAKE_DOCKER = """#!/bin/sh
# Stands in for the docker client: `history` prints $HISTORY, `image inspect` prints $CONFIG.
case "$1 $2" in
    "history "*) printf '%s\\n' "$HISTORY" ;;
    "image inspect") printf '%s\\n' "$CONFIG" ;;
esac
"""


def check_image_secrets(
    project: Path, tmp_path: Path, history: str, env_lines: list[str]
) -> subprocess.CompletedProcess[str]:
    """Run the image secret check against a fake docker that shows `history` and `env_lines`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    docker = bin_dir / "docker"
    docker.write_text(FAKE_DOCKER)
    docker.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HISTORY": history,
        "CONFIG": json.dumps([{"Config": {"User": "10001:10001", "Env": env_lines}}]),
    }
    return run(["sh", "scripts/ci/image_has_no_secrets.sh", "api:ci", ".env"], project, env)


@pytest.mark.parametrize(
    ("history", "env_lines", "problem"),
    [
        ("COPY . .", ["PATH=/opt/venv/bin", "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8"], None),
        ("ENV SECRET_KEY=leaked-from-env", ["PATH=/opt/venv/bin"], "a secret value of .env"),
        ("COPY . .", ["SECRET_KEY=placeholder"], "sets the settings above"),
        ("COPY . .", ["DATABASE_URL=postgresql://x"], "sets the settings above"),
    ],
    ids=["clean", "value-in-history", "secret-in-env", "database-url-in-env"],
)
def test_image_secret_check_finds_env_values_and_secret_settings(
    bake, tmp_path, history, env_lines, problem
):
    project = bake(use_docker=True)
    (project / ".env").write_text(
        "SECRET_KEY=leaked-from-env\nJWT_SECRET_KEY=other\nMAIL_PASSWORD=\n"
    )
    result = check_image_secrets(project, tmp_path, history, env_lines)

    if problem is None:
        assert result.returncode == 0, result.stderr
        assert "holds none of .env's secrets" in result.stdout
    else:
        assert result.returncode == 1
        assert problem in result.stderr


def test_image_secret_check_of_a_celery_render_refuses_the_broker_url_in_the_image(bake, tmp_path):
    project = bake(use_docker=True, background_jobs="celery")
    (project / ".env").write_text("SECRET_KEY=leaked-from-env\n")

    # The broker's URL may hold its password, as the rate limiter's may.
    result = check_image_secrets(project, tmp_path, "COPY . .", ["CELERY_BROKER_URL=redis://x"])

    assert result.returncode == 1
    assert "sets the settings above" in result.stderr


def test_image_secret_check_catches_every_secret_the_generator_wrote(bake, tmp_path):
    project = bake(use_docker=True)
    pairs = (line.split("=", 1) for line in (project / ".env").read_text().splitlines())
    written = {
        name: value
        for name, value in (pair for pair in pairs if len(pair) == 2)
        if re.search("(KEYS?|SECRET|PASSWORD|TOKEN)$", name) and value
    }
    assert "TOTP_ENCRYPTION_KEYS" in written  # the one a fixed list of names once missed

    missed = [
        name
        for name, value in written.items()
        if check_image_secrets(project, tmp_path, f"LABEL planted={value}", []).returncode != 1
    ]

    assert missed == []
