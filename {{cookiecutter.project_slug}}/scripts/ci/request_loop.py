"""Send GET requests to URL, one at a time, for SECONDS; exit 1 if any failed.

CI runs it in a pod of the cluster (the image holds it) against the Service while the
Deployment restarts: every answer must be a 200, and no connection may be refused or dropped.
    python scripts/ci/request_loop.py http://my-flask-api/health 120
Standard library only, so it runs from the image or any Python.
"""

import sys
import time
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 5
PAUSE_SECONDS = 0.05


def request_once(url: str) -> str | None:
    """GET `url`; None on a 200, else what went wrong in one line."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - the URL is the operator's argument
            return None if response.status == 200 else f"status {response.status}"
    except urllib.error.HTTPError as exc:
        return f"status {exc.code}"
    except OSError as exc:  # refused, reset or timed out
        return str(exc)


def main(url: str, seconds: float) -> int:
    sent = 0
    failures: list[str] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sent += 1
        if (failure := request_once(url)) is not None:
            failures.append(failure)
            print(f"request_loop: request {sent} failed: {failure}", flush=True)
        time.sleep(PAUSE_SECONDS)
    print(f"request_loop: {sent} requests to {url}, {len(failures)} failed", flush=True)
    return 1 if failures or not sent else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
