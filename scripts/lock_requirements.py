"""Rewrite the rendered project's requirements files as uv locks: `make lock`.

The rendered `pyproject.toml` declares the dependencies; `requirements.txt` and
`requirements-dev.txt` lock them: every package, transitive ones too, pinned to one version, with
uv's "via" comments, for Python 3.11 and newer on every platform (`--universal`). What a project
needs depends on its answers (database, rate-limit storage), so this script renders each
combination, compiles its `pyproject.toml` with uv and writes each template file back as the
entries every combination shares plus one `{%- if %}` block per group of entries that only some
combinations need. Then it renders every combination again and fails unless each file holds
exactly that combination's lock.

Resolution only sees releases published before EXCLUDE_NEWER; move it forward (and run
`make lock`) to take newer releases. `make lock-check` (`--check`) compiles again and writes
nothing: it fails when today's index resolves the same date to other pins (a release published,
yanked or backfilled since), which is a reason to re-lock, never a verdict of `make test`.
"""

import argparse
import itertools
import json
import shlex
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from uv import find_uv_bin

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "{{cookiecutter.project_slug}}"
EXCLUDE_NEWER = "2026-11-30T00:00:00Z"
PYTHON_FLOOR = "3.11"
# Each lock file and what it adds to the [project] dependencies.
LOCKS = {"requirements.txt": [], "requirements-dev.txt": ["--group", "dev"]}

ANSWERS = json.loads((ROOT / "cookiecutter.json").read_text())
DATABASES: tuple[str, ...] = tuple(ANSWERS["database"])
STORAGES: tuple[str, ...] = tuple(ANSWERS["rate_limit_storage"])
COMBINATIONS = list(itertools.product(DATABASES, STORAGES))
Combination = tuple[str, str]

# Rendered under this slug, uv names the project `probe-project` in its "via" comments; the
# template says the generated project's own name there instead, computed once at the top
# (Jinja compiles a repeated filter expression at every use, which slows every render).
PROBE_SLUG = "probe_project"
PROBE_NAME = "probe-project (pyproject.toml"
PROJECT_NAME = "{{ project }} (pyproject.toml"
NOTICE = [
    "{#- Written by `make lock` (scripts/lock_requirements.py); edit pyproject.toml. -#}",
    "{%- set project = cookiecutter.project_slug | replace('_', '-') -%}",
]


def compile_options(name: str) -> list[str]:
    """`uv pip compile`'s arguments for the lock `name`, short of the output file."""
    return ["pyproject.toml", *LOCKS[name], "--universal", "--python-version", PYTHON_FLOOR]


def refresh_command(name: str) -> str:
    """The command a generated project runs to refresh `name`; the file's header shows it."""
    return shlex.join(["uv", "pip", "compile", *compile_options(name), "-o", name])


def compile_lock(project: Path, name: str) -> str:
    """Lock `project`'s declared dependencies as `name`, as of EXCLUDE_NEWER; return the text.

    The output goes to a fresh file, so the project's current lock is no preference to uv.
    """
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / name
        command = [
            find_uv_bin(),
            "pip",
            "compile",
            *compile_options(name),
            "--exclude-newer",
            EXCLUDE_NEWER,
            "--custom-compile-command",
            refresh_command(name),
            "--quiet",
            "-o",
            str(output),
        ]
        result = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(f"uv pip compile failed in {project}:\n{result.stderr}")
        return output.read_text()


def split_lock(text: str) -> tuple[list[str], list[str]]:
    """Split a lock into its header lines and its entries (a pin and its indented comments)."""
    header: list[str] = []
    entries: list[str] = []
    for line in text.splitlines():
        if line.startswith(" "):
            entries[-1] += "\n" + line
        elif line.startswith("#") and not entries:
            header.append(line)
        elif line:
            entries.append(line)
    return header, entries


def package_name(entry: str) -> str:
    """The package an entry pins (uv sorts the entries by it)."""
    return entry.split("==", 1)[0]


def pins(text: str) -> set[str]:
    """The `name==version` lines of a lock, with their environment markers."""
    return {entry.split("\n", 1)[0] for entry in split_lock(text)[1]}


def versions(text: str) -> dict[str, set[str]]:
    """Each package in a lock, and the versions pinned for it (two if markers split it)."""
    found: dict[str, set[str]] = defaultdict(set)
    for pin in pins(text):
        name, version = pin.split(";", 1)[0].strip().split("==")
        found[name].add(version)
    return found


def render(combination: Combination, output_dir: Path) -> Path:
    """Render the template with `combination`'s database and storage; return the project."""
    database, storage = combination
    output_dir = output_dir / f"{database}-{storage}"
    answers = {
        "project_name": PROBE_SLUG,
        "database": database,
        "rate_limit_storage": storage,
        # Every capability in: the locks hold all of them, the generator prunes what is off.
        "background_jobs": "celery",
        "setup_environment": "no",
    }
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(output_dir)]
    command += [str(ROOT), *(f"{key}={value}" for key, value in answers.items())]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"cookiecutter failed for {database}-{storage}:\n{result.stderr}")
    return output_dir / PROBE_SLUG


def render_all(output_dir: Path) -> dict[Combination, Path]:
    """Render every combination (side by side: each render is mostly waiting on a process)."""
    with ThreadPoolExecutor() as pool:
        projects = pool.map(lambda combination: render(combination, output_dir), COMBINATIONS)
        return dict(zip(COMBINATIONS, projects, strict=True))


def compile_all(output_dir: Path) -> dict[Combination, dict[str, str]]:
    """Render each combination and compile both of its locks."""
    return {
        combination: {name: compile_lock(project, name) for name in LOCKS}
        for combination, project in render_all(output_dir).items()
    }


def condition(combinations: set[Combination]) -> str:
    """The Jinja test that holds for exactly `combinations` (database and storage alone)."""
    databases = {database for database, _ in combinations}
    storages = {storage for _, storage in combinations}
    if combinations != set(itertools.product(databases, storages)):
        raise SystemExit(f"no database-and-storage condition selects exactly {combinations}")
    tests = [
        choice_test("cookiecutter.database", databases, DATABASES),
        choice_test("cookiecutter.rate_limit_storage", storages, STORAGES),
    ]
    return " and ".join(test for test in tests if test)


def choice_test(variable: str, chosen: set[str], options: tuple[str, ...]) -> str:
    """`variable == "x"`, `variable != "y"` or `variable in [...]`; empty if all are chosen."""
    others = [option for option in options if option not in chosen]
    if not others:
        return ""
    if len(chosen) == 1:
        return f'{variable} == "{next(iter(chosen))}"'
    if len(others) == 1:
        return f'{variable} != "{others[0]}"'
    return f"{variable} in {json.dumps([o for o in options if o in chosen])}"


def block_order(combinations: frozenset[Combination]) -> tuple[int, int, int]:
    """Blocks by database first, then by storage, then by both; each in the answers' order."""
    databases = {database for database, _ in combinations}
    storages = {storage for _, storage in combinations}
    narrowed = (len(databases) < len(DATABASES), len(storages) < len(STORAGES))
    kind = {(True, False): 0, (False, True): 1}.get(narrowed, 2)
    first_database = min(DATABASES.index(database) for database in databases)
    first_storage = min(STORAGES.index(storage) for storage in storages)
    return kind, first_database, first_storage


def template_text(locks: dict[Combination, str]) -> str:
    """One Jinja template rendering to each combination's lock: shared entries, then blocks."""
    headers = {tuple(split_lock(text)[0]) for text in locks.values()}
    if len(headers) != 1:
        raise SystemExit(f"the combinations' lock headers differ: {headers}")
    needed_by: dict[str, set[Combination]] = defaultdict(set)
    for combination, text in locks.items():
        for entry in split_lock(text)[1]:
            needed_by[entry].add(combination)

    everywhere = set(COMBINATIONS)
    lines = [*NOTICE, *headers.pop()]
    # Sorted by name alone, the stable sort keeps uv's order where markers split a package.
    lines += sorted(
        (entry for entry, where in needed_by.items() if where == everywhere), key=package_name
    )
    blocks: dict[frozenset[Combination], list[str]] = defaultdict(list)
    for entry, where in needed_by.items():
        if where != everywhere:
            blocks[frozenset(where)].append(entry)
    for where in sorted(blocks, key=block_order):
        lines += [
            f"{{%- if {condition(set(where))} %}}",
            *sorted(blocks[where], key=package_name),
            "{%- endif %}",
        ]
    return "\n".join(lines).replace(PROBE_NAME, PROJECT_NAME) + "\n"


def check_rendered_locks(locks: dict[Combination, dict[str, str]], output_dir: Path) -> None:
    """Render each combination from the new templates; fail unless it holds exactly its lock."""
    problems = []
    for combination, project in render_all(output_dir).items():
        label = "-".join(combination)
        for name, expected in locks[combination].items():
            if mismatch := lock_mismatch(expected, (project / name).read_text()):
                problems.append(f"{label} {name}: {mismatch}")
        if drift := version_drift(*(locks[combination][name] for name in LOCKS)):
            problems.append(f"{label}: the dev lock pins other versions than the runtime: {drift}")
    if problems:
        raise SystemExit("the rendered locks are wrong:\n" + "\n".join(problems))


def lock_mismatch(expected: str, rendered: str) -> str:
    """How `rendered` differs from the lock `expected` (header, entries); empty if it does not.

    Entries compare with their "via" comments, so equal entries mean equal pins.
    """
    expected_header, expected_entries = split_lock(expected)
    rendered_header, rendered_entries = split_lock(rendered)
    if rendered_header != expected_header:
        return f"header {rendered_header} instead of {expected_header}"
    missing = Counter(expected_entries) - Counter(rendered_entries)
    extra = Counter(rendered_entries) - Counter(expected_entries)
    if missing or extra:
        return f"missing {sorted(missing.elements())}, extra {sorted(extra.elements())}"
    return ""


def version_drift(runtime: str, dev: str) -> dict[str, tuple[set[str], set[str]]]:
    """Packages of the runtime lock that the dev lock lacks or pins to other versions."""
    dev_versions = versions(dev)
    return {
        name: (found, dev_versions.get(name, set()))
        for name, found in versions(runtime).items()
        if dev_versions.get(name) != found
    }


def main() -> None:
    """Compile every combination, write both templates, and check every rendering of them.

    The files are written before the check, so when it fails `git diff` shows what went wrong.
    With `--check`, nothing is written: the committed templates are checked against today's
    resolution.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    check_only = parser.parse_args().check
    with tempfile.TemporaryDirectory() as scratch:
        locks = compile_all(Path(scratch) / "compiled")
        if check_only:
            check_rendered_locks(locks, Path(scratch) / "rendered")
            print("the committed locks are what the index resolves today", file=sys.stderr)
            return
        for name in LOCKS:
            text = template_text({combination: locks[combination][name] for combination in locks})
            (TEMPLATE / name).write_text(text)
        check_rendered_locks(locks, Path(scratch) / "rendered")
    for name in LOCKS:
        counts = {"-".join(c): len(pins(locks[c][name])) for c in COMBINATIONS}
        print(f"{name}: {counts} pins", file=sys.stderr)


if __name__ == "__main__":
    main()
