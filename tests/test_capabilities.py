"""Each capability beyond the reference API is an answer: leaving it out leaves no trace of it,
taking it in leaves no trace of what it replaces, and every valid combination of answers renders
a project that holds together.

What each answer owns (paths, its line in app/capabilities.py, secrets, dependencies, names) is
the post-generation hook's table, CAPABILITIES: these tests read it, never a copy. The renders'
own suites, ruff, mypy and `flask db check` run in tests/test_render_matrix.py,
tests/test_project_tooling.py and tests/test_bake.py (all on and all off on each database x
storage) and, for the pairwise covering set below, in the template CI's job `capabilities`.
"""

import ast
import itertools
import re
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from allpairspy import AllPairs

from tests.conftest import ALL_OFF, ALL_ON, ANSWERS, ROOT, load_hook, run

pre = load_hook("pre_gen_project")
post = load_hook("post_gen_project")
TOOLS = Path(sys.executable).parent
KUBERNETES = "1.37.0"  # the schemas of tests/test_kubernetes.py
# The answers that put every other file in a render: compose, manifests, the CI jobs for both.
EVERYTHING = {
    "database": "postgresql",
    "rate_limit_storage": "redis",
    "use_docker": True,
    "deploy_target": "kubernetes",
}


# The covering set: every pair of answers the pre-generation hook accepts, in some render.


def choices(name: str) -> list:
    """The choices of answer `name` in cookiecutter.json, its default first."""
    value = ANSWERS[name]
    return value if isinstance(value, list) else [value, not value]


# allpairspy fills rows left to right, with the answers the hook constrains last; where its rows
# miss an accepted pair (the filter makes it greedy), `completed` adds one row for it.
PAIRWISE = (*post.CAPABILITIES, "database", "rate_limit_storage", "use_docker", "deploy_target")


def accepted(row: Sequence) -> bool:
    """Whether the pre-generation hook accepts a render whose first answers (in PAIRWISE's order)
    are `row`: an answer not given yet is one that refuses nothing."""
    answers = dict(zip(PAIRWISE, row, strict=False))
    return not pre.deploy_target_problems(
        deploy_target=answers.get("deploy_target", "none"),
        use_docker=answers.get("use_docker", True),
        database=answers.get("database", "postgresql"),
    )


def pairs(answers: dict) -> set[tuple]:
    return {((a, answers[a]), (b, answers[b])) for a, b in itertools.combinations(PAIRWISE, 2)}


def accepted_renders() -> list[dict]:
    """Every combination of answers the pre-generation hook accepts."""
    every = (
        dict(zip(PAIRWISE, row, strict=True)) for row in itertools.product(*map(choices, PAIRWISE))
    )
    return [answers for answers in every if accepted(list(answers.values()))]


def completed(rows: list[dict]) -> list[dict]:
    """`rows`, and for each accepted pair none of them holds, the first row changed to hold it
    that the hook accepts."""
    held = set().union(*map(pairs, rows))
    for pair in sorted(set().union(*map(pairs, accepted_renders())) - held):
        if pair in held:  # a row added for an earlier pair holds it
            continue
        (first, one), (second, other) = pair
        changed = ({**row, first: one, second: other} for row in rows)
        rows.append(next(row for row in changed if accepted(list(row.values()))))
        held |= pairs(rows[-1])
    return rows


COVERING = completed(
    [
        dict(zip(PAIRWISE, row, strict=True))
        for row in AllPairs([choices(name) for name in PAIRWISE], filter_func=accepted)
    ]
)


def test_covering_set_holds_every_pair_of_accepted_answers_and_only_accepted_renders():
    valid = accepted_renders()
    wanted = set().union(*(pairs(answers) for answers in valid))

    assert all(accepted(list(answers.values())) for answers in COVERING)
    assert wanted - set().union(*(pairs(answers) for answers in COVERING)) == set()
    assert len(COVERING) < len(valid) / 10  # a covering set, not every combination


def test_kubernetes_pairs_the_hook_refuses_are_not_asked_for():
    on = list(ALL_ON.values())

    assert not accepted([*on, "sqlite", "memory", True, "kubernetes"])
    assert not accepted([*on, "postgresql", "memory", False, "kubernetes"])
    assert accepted([*on, "mysql", "redis", True, "kubernetes"])
    assert accepted([*on, "sqlite"])  # deploy_target not answered yet


def test_ci_renders_exactly_the_covering_set():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    job = workflow["jobs"]["capabilities"]

    assert job["strategy"]["matrix"] == {"include": COVERING}, yaml.safe_dump(
        {"include": COVERING}, sort_keys=False
    )
    env = job["env"]
    render = next(step["run"] for step in job["steps"] if step.get("name", "").startswith("Render"))
    for name in PAIRWISE:
        assert env[name.upper()] == f"${{{{ matrix.{name} }}}}"
        assert f'{name}="${name.upper()}"' in render


# One render per case, read by every test below: each capability off alone, all of them off, and
# the covering set, each rendered once per test process.


def left_out(answers: dict) -> list:
    return [c for name, c in post.CAPABILITIES.items() if not c.chosen(answers[name])]


def taken(answers: dict) -> list:
    return [c for name, c in post.CAPABILITIES.items() if c.chosen(answers[name])]


def case_id(answers: dict) -> str:
    off = [capability.line for capability in left_out(answers)]
    docker = "docker" if answers["use_docker"] else "nodocker"
    base = f"{answers['database']}-{answers['rate_limit_storage']}-{docker}"
    if answers["deploy_target"] == "kubernetes":
        base += "-kubernetes"
    return f"{base}-without-{'-'.join(off) or 'none'}"


CASES = [
    *({**EVERYTHING, **ALL_ON, name: off} for name, off in ALL_OFF.items()),
    {**EVERYTHING, **ALL_ON},
    {**EVERYTHING, **ALL_OFF},
    *COVERING,
]


def cases_where(wanted=lambda answers: True):
    """Parametrize over the CASES `wanted` keeps (a render without compose has none to check)."""
    chosen = [answers for answers in CASES if wanted(answers)]
    return pytest.mark.parametrize("answers", chosen, ids=[case_id(answers) for answers in chosen])


cases = cases_where()
with_docker = cases_where(lambda answers: answers["use_docker"])
with_kubernetes = cases_where(lambda answers: answers["deploy_target"] == "kubernetes")
_renders: dict[str, Path] = {}


@pytest.fixture
def rendered(cookies_session):
    """The render of `answers` with setup_environment=no, baked once per test process."""

    def render(answers: dict) -> Path:
        key = case_id(answers)
        if key not in _renders:
            result = cookies_session.bake(extra_context={**answers, "setup_environment": False})
            assert result.exit_code == 0, result.exception
            _renders[key] = Path(result.project_path)
        return _renders[key]

    return render


def text_files(project: Path) -> list[Path]:
    return [path for path in project.rglob("*") if path.is_file() and ".venv" not in path.parts]


@cases
def test_no_name_of_a_capability_answered_no_is_anywhere_in_the_render(rendered, answers):
    project = rendered(answers)
    names = {name for capability in left_out(answers) for name in capability.names}
    names |= {name for capability in taken(answers) for name in capability.replaced_names}

    found = sorted(
        f"{path.relative_to(project)}: {name}"
        for path in text_files(project)
        for name in names
        if name in path.read_text(errors="replace") or name in str(path.relative_to(project))
    )

    assert found == []


def installed(project: Path) -> list[str]:
    """The names in the tuple INSTALLED of the render's app/capabilities.py."""
    tree = ast.parse((project / post.CAPABILITIES_FILE).read_text())
    [value] = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["INSTALLED"]
    ]
    return list(ast.literal_eval(value))


def settings_of(path: Path) -> set[str]:
    return set(re.findall(r"(?m)^#? ?([A-Z][A-Z0-9_]*)=", path.read_text()))


@cases
def test_nothing_a_capability_answered_no_owns_is_left(rendered, answers):
    project = rendered(answers)
    listed = installed(project)
    pins = {
        entry.name
        for lock in post.REQUIREMENTS_FILES
        for entry in post.parse_lock((project / lock).read_text())[1]
    }
    declared = tomllib.loads((project / "pyproject.toml").read_text())
    requirements = [*declared["project"]["dependencies"], *declared["dependency-groups"]["dev"]]
    settings = settings_of(project / ".env") | settings_of(project / ".env.sample")

    for capability in taken(answers):
        assert post.owned_paths(project, capability.replaces) == ()
    for capability in left_out(answers):
        assert post.owned_paths(project, capability.paths) == ()
        assert capability.line not in listed
        gone = {post.package_name(package) for package in capability.requirements}
        assert gone & pins == set()
        assert gone & {post.package_name(text) for text in requirements} == set()
        assert set(capability.secrets) & settings == set()
    assert sorted(listed) == sorted(capability.line for capability in taken(answers))


@with_docker
def test_compose_runs_the_mail_and_job_services_only_where_chosen(rendered, answers):
    services = set(
        yaml.safe_load((rendered(answers) / "docker-compose.yml").read_text())["services"]
    )
    mail, celery = answers["use_account_emails"], answers["background_jobs"] == "celery"

    assert ("mailpit" in services) is mail
    assert ("mail-worker" in services) is (mail and not celery)
    assert ({"worker", "beat"} <= services) is celery
    assert ("redis" in services) is (celery or answers["rate_limit_storage"] == "redis")


@with_docker
def test_compose_file_follows_the_compose_specification(rendered, answers):
    result = run(
        [
            str(TOOLS / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            "docker-compose.yml",
        ],
        cwd=rendered(answers),
    )

    assert result.returncode == 0, result.stdout + result.stderr


def kustomize(folder: Path) -> list[dict]:
    result = run([str(TOOLS / "kubectl"), "kustomize", str(folder)], folder)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@with_kubernetes
def test_manifests_list_every_file_and_build_into_valid_resources(rendered, answers):
    kubernetes = rendered(answers) / "deploy" / "kubernetes"
    base = kubernetes / "base"
    listed = yaml.safe_load((base / "kustomization.yaml").read_text())["resources"]

    assert sorted(listed) == sorted(
        path.name for path in base.glob("*.yaml") if path.name != "kustomization.yaml"
    )
    for folder in (base, kubernetes / "overlays" / "production"):
        for resource in kustomize(folder):
            kubernetes_validate.validate(resource, KUBERNETES, strict=True)


@cases
def test_rendered_shell_scripts_parse(rendered, answers):
    scripts = sorted((rendered(answers) / "scripts").rglob("*.sh"))

    for script in scripts:
        result = run(["sh", "-n", str(script)], script.parent)
        assert result.returncode == 0, f"{script.name}: {result.stderr}"
