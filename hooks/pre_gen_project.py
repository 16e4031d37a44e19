"""Check the answers before anything is written; exit 1 with a one-line message on a bad one."""

import re
import sys
from importlib import metadata

SLUG = re.compile(r"[a-z][a-z0-9_-]*")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# MAJOR.MINOR.PATCH with an optional a/b/rc/dev/post suffix, as in 1.2.3rc1 or 1.2.3.dev0.
VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+([.-]?(a|b|rc|dev|post)[0-9]*)?")
# The first release with the boolean-answer fixes this template relies on.
MIN_COOKIECUTTER = (2, 7)


def problems(slug: str, email: str, version: str) -> list[str]:
    """Return one message per invalid answer, naming the value."""
    found = []
    if not SLUG.fullmatch(slug):
        found.append(
            f"project_slug {slug!r} is invalid: use lowercase letters, digits, '-' and '_', "
            "starting with a letter"
        )
    if not EMAIL.fullmatch(email):
        found.append(f"author_email {email!r} is not an e-mail address")
    if not VERSION.fullmatch(version):
        found.append(f"version {version!r} is not a version such as 0.1.0")
    return found


def deploy_target_problems(deploy_target: str, use_docker: bool, database: str) -> list[str]:
    """Return one message per answer the deploy target cannot run with."""
    if deploy_target != "kubernetes":
        return []
    found = []
    if not use_docker:
        found.append("deploy_target=kubernetes deploys the Docker image: answer use_docker=yes")
    if database == "sqlite":
        found.append(
            "deploy_target=kubernetes runs several pods on one database: "
            "answer database=postgresql or mysql"
        )
    return found


def cookiecutter_too_old(running: str) -> bool:
    """True if the cookiecutter `running` (a version string) predates MIN_COOKIECUTTER."""
    numbers = re.match(r"(\d+)(?:\.(\d+))?", running)
    if numbers is None:
        return False  # a version we cannot read is given the benefit of the doubt
    return (int(numbers[1]), int(numbers[2] or 0)) < MIN_COOKIECUTTER


def main() -> int:
    running = metadata.version("cookiecutter")
    if cookiecutter_too_old(running):
        print(f"ERROR: cookiecutter {running} is too old; 2.7 or newer is needed")
        return 1
    found = problems(
        slug=r"""{{ cookiecutter.project_slug }}""",
        email=r"""{{ cookiecutter.author_email }}""",
        version=r"""{{ cookiecutter.version }}""",
    )
    found += deploy_target_problems(
        deploy_target=r"""{{ cookiecutter.deploy_target }}""",
        use_docker=r"""{{ cookiecutter.use_docker }}""" == "True",
        database=r"""{{ cookiecutter.database }}""",
    )
    for message in found:
        print(f"ERROR: {message}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
