"""Check the answers before anything is written; exit 1 with a one-line message on a bad one."""

import os
import sys

# Plain string checks: this script runs in a fresh interpreter on every render, and importing
# `re` there costs more than the checks themselves.
DIGITS = frozenset("0123456789")
LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
SLUG_CHARS = LOWER | DIGITS | {"_", "-"}
PRE_RELEASE = ("a", "b", "rc", "dev", "post")
MIN_COOKIECUTTER = (2, 7)


def leading_number(text: str) -> tuple[str, str]:
    """Split `text` into its leading ASCII digits and the rest."""
    digits = text[: len(text) - len(text.lstrip("0123456789"))]
    return digits, text[len(digits) :]


def is_number(text: str) -> bool:
    return bool(text) and set(text) <= DIGITS


def valid_slug(slug: str) -> bool:
    """Lowercase letters, digits, '-' and '_', starting with a letter."""
    return bool(slug) and slug[0] in LOWER and set(slug) <= SLUG_CHARS


def valid_email(email: str) -> bool:
    """One '@', no spaces, and a dot inside the domain (local@host.tld)."""
    local, at, domain = email.partition("@")
    return (
        bool(local and at)
        and "@" not in domain
        and not any(char.isspace() for char in email)
        and "." in domain[1:-1]
    )


def valid_version(version: str) -> bool:
    """MAJOR.MINOR.PATCH with an optional a/b/rc/dev/post suffix, as in 1.2.3rc1 or 1.2.3.dev0."""
    major, _, rest = version.partition(".")
    minor, _, rest = rest.partition(".")
    patch, suffix = leading_number(rest)
    if not (is_number(major) and is_number(minor) and patch):
        return False
    if not suffix:
        return True
    if suffix[0] in ".-":
        suffix = suffix[1:]
    return suffix.rstrip("0123456789") in PRE_RELEASE


def problems(slug: str, email: str, version: str) -> list[str]:
    """Return one message per invalid answer, naming the value."""
    found = []
    if not valid_slug(slug):
        found.append(
            f"project_slug {slug!r} is invalid: use lowercase letters, digits, '-' and '_', "
            "starting with a letter"
        )
    if not valid_email(email):
        found.append(f"author_email {email!r} is not an e-mail address")
    if not valid_version(version):
        found.append(f"version {version!r} is not a version such as 0.1.0")
    return found


def cookiecutter_too_old(version: str) -> bool:
    """True if `version` predates the boolean-answer fixes this template relies on."""
    numbers = tuple(int(leading_number(part)[0] or 0) for part in version.split(".")[:2])
    return numbers < MIN_COOKIECUTTER


def cookiecutter_version() -> str:
    """The running cookiecutter's version, from its dist-info folder's name.

    Importing cookiecutter (or importlib.metadata) would cost this hook more than the rest of
    the render; the folder is where either would look first.
    """
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            lowered = name.lower()
            if lowered.startswith("cookiecutter-") and lowered.endswith(".dist-info"):
                return name[len("cookiecutter-") : -len(".dist-info")]
    from importlib.metadata import version

    return version("cookiecutter")


def main() -> int:
    running = cookiecutter_version()
    if cookiecutter_too_old(running):
        print(f"ERROR: cookiecutter {running} is too old; 2.7 or newer is needed")
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
