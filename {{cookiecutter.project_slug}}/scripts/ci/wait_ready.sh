#!/bin/sh
# Wait until BASE_URL/ready answers 200, for at most SECONDS (default 120); exit 1 after that.
# CI runs it against the compose stack and the Kubernetes Service; it works on any running API.
#   scripts/ci/wait_ready.sh http://127.0.0.1:8000 [SECONDS]
set -eu

base_url="${1:?usage: wait_ready.sh BASE_URL [SECONDS]}"
seconds="${2:-120}"

end=$(($(date +%s) + seconds))
until curl --silent --fail --max-time 5 --output /dev/null "$base_url/ready"; do
    if [ "$(date +%s)" -ge "$end" ]; then
        echo "wait_ready: $base_url/ready did not answer 200 within $seconds s" >&2
        curl --silent --show-error --max-time 5 "$base_url/ready" >&2 || true
        exit 1
    fi
    sleep 2
done
echo "wait_ready: $base_url is ready"
