"""Container health probe: exit 0 when this container's API answers GET /health with 200.

Uses the standard library, so the image needs no curl. PORT is the port the entrypoint binds.
"""

import os
import sys
import urllib.request
from http import HTTPStatus

TIMEOUT_SECONDS = 3


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            healthy = response.status == HTTPStatus.OK
    except OSError as exc:  # refused, timed out, or an HTTP error status
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
        return 1
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
