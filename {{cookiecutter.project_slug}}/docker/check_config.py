"""Check the settings before the entrypoint waits or migrates: a missing or weak secret stops the
container with the app's own one-line message, not a traceback from `flask db upgrade`.

Exit status: 0 when the settings for FLASK_ENV are usable, 2 when not.
"""

import sys
from pathlib import Path

from dotenv import load_dotenv

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))  # run as a script, Python puts docker/ on the path, not the app


def main() -> int:
    load_dotenv(PROJECT / ".env")  # outside a container; variables already set win
    from app.config import ConfigurationError, config_for  # after .env, as wsgi.py does

    try:
        config_for().validate()
    except ConfigurationError as exc:
        print(f"check_config: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
