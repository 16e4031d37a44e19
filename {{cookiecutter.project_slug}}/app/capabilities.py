"""The capabilities this project has beyond its core API: the one list of them.

Each name is a package under app/ with `init_app(app, api)`, which the app factory calls. A
package may also hold a `settings` module (its settings and rate limits, read by app/config.py),
a `server` module (gunicorn hooks, read by gunicorn.conf.py) and a `migrations` folder (its
tables, on an Alembic branch of its own). Nothing else imports a capability, so removing one
is deleting its folder, its tests and its line here; the generator does so for each answer "no".
"""

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType

# In the order the factory installs them: the order their receivers of the same signal run in
# (one that may refuse a login before one that asks it for another step).
INSTALLED = (
    "observability",
    "audit",
    "mail",
    "twofactor",
    "apikeys",
    "jobs",
)


def packages() -> list[ModuleType]:
    """Each installed capability's package, in the order of INSTALLED."""
    return [importlib.import_module(f"{__package__}.{name}") for name in INSTALLED]


def modules(part: str) -> list[ModuleType]:
    """The `part` module (`settings`, `server`) of each installed capability that has one."""
    names = (f"{__package__}.{name}.{part}" for name in INSTALLED)
    return [importlib.import_module(name) for name in names if importlib.util.find_spec(name)]


def migration_folders() -> list[Path]:
    """The folder of each installed capability's migrations, where it has tables."""
    here = Path(__file__).parent
    return [
        here / name / "migrations" for name in INSTALLED if (here / name / "migrations").is_dir()
    ]
