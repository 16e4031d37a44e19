"""Check the answers before anything is written; exit 1 with a one-line message on a bad one."""

import re
import sys

SLUG = re.compile(r"^[a-z][a-z0-9_-]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
VERSION = re.compile(r"^\d+\.\d+\.\d+([.-]?(a|b|rc|dev|post)\d*)?$")
MIN_COOKIECUTTER = (2, 7)


def problems(slug: str, email: str, version: str) -> list[str]:
    """Return one message per invalid answer, naming the value."""
    found = []
    if not SLUG.match(slug):
        found.append(
            f"project_slug {slug!r} is invalid: use lowercase letters, digits, '-' and '_', "
            "starting with a letter"
        )
    if not EMAIL.match(email):
        found.append(f"author_email {email!r} is not an e-mail address")
    if not VERSION.match(version):
        found.append(f"version {version!r} is not a version such as 0.1.0")
    return found


def cookiecutter_too_old(version: str) -> bool:
    """True if `version` predates the boolean-answer fixes this template relies on."""
    numbers = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    return numbers < MIN_COOKIECUTTER


def main() -> int:
    import cookiecutter

    if cookiecutter_too_old(cookiecutter.__version__):
        print(f"ERROR: cookiecutter {cookiecutter.__version__} is too old; 2.7 or newer is needed")
        return 1
    found = problems(
        slug=r"""{{ cookiecutter.project_slug }}""",
        email=r"""{{ cookiecutter.author_email }}""",
        version=r"""{{ cookiecutter.version }}""",
    )
    for message in found:
        print(f"ERROR: {message}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
