#!/bin/sh
# Build the image and prove it on this machine (`make image-test`), with Docker or podman:
# a numeric non-root USER and a HEALTHCHECK in the image, no secret of .env in it, then the API
# started read-only on the host network with .env's settings in production mode: /ready, the
# smoke script, `id -u`, writes to /app refused, its healthcheck, SIGTERM ending it cleanly.
#   docker/image_test.sh
# Settings:
#   CONTAINER_ENGINE      docker or podman (default: docker if its daemon answers, else podman)
#   IMAGE_TEST_PORT       the port the API listens on (default 8765)
#   IMAGE_TEST_IMAGE      the tag it builds (default localhost/<project>:image-test)
#   IMAGE_TEST_DATABASE_URL  the database the container migrates and uses (default: .env's;
#                         SQLite: a file on a volume of its own). The host network makes
#                         localhost this machine, so a Linux host is assumed.
#   IMAGE_BUILD_ARGS      further `build` options, e.g. "--build-arg PYTHON_VERSION=3.11"
# Needs curl and python3 on the host (for scripts/ci/*.sh).
set -eu

cd "$(dirname -- "$0")/.."
if [ -z "${CONTAINER_ENGINE:-}" ]; then
    if docker info >/dev/null 2>&1; then CONTAINER_ENGINE=docker; else CONTAINER_ENGINE=podman; fi
fi
export CONTAINER_ENGINE
engine=$CONTAINER_ENGINE
port="${IMAGE_TEST_PORT:-8765}"
image="${IMAGE_TEST_IMAGE:-localhost/$(basename "$PWD" | tr '[:upper:]_' '[:lower:]-'):image-test}"
name="image-test-$$"
volume="image-test-data-$$"
base_url="http://127.0.0.1:$port"

fail() {
    echo "image_test: $*" >&2
    exit 1
}
cleanup() {
    "$engine" rm --force "$name" >/dev/null 2>&1 || true
    "$engine" volume rm --force "$volume" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# podman keeps HEALTHCHECK only in Docker's image format.
format=""
[ "$engine" = podman ] && format="--format docker"
# shellcheck disable=SC2086 # options, one per word
"$engine" build $format ${IMAGE_BUILD_ARGS:-} --tag "$image" .

# podman puts Healthcheck beside Config, Docker inside it.
"$engine" image inspect "$image" | python3 -c '
import json, sys
image = json.load(sys.stdin)[0]
user = image["Config"].get("User") or ""
if not user.replace(":", "").isdigit() or user.split(":")[0] == "0":
    sys.exit(f"image_test: USER is {user!r}, not a numeric non-root user")
if not (image["Config"].get("Healthcheck") or image.get("Healthcheck") or {}).get("Test"):
    sys.exit("image_test: the image has no HEALTHCHECK")
'
scripts/ci/image_has_no_secrets.sh "$image" .env

database_url="${IMAGE_TEST_DATABASE_URL:-$(grep '^DATABASE_URL=' .env | cut -d= -f2-)}"
case "$database_url" in
    sqlite*) database_url="sqlite:////app/data/app.db" ;;
esac
set -- --env "DATABASE_URL=$database_url"
{%- if cookiecutter.use_account_emails %}
# Production needs a mail server while password reset is on; nothing listens on port 9.
grep -q '^MAIL_SERVER=.' .env || set -- "$@" --env MAIL_SERVER=127.0.0.1 --env MAIL_PORT=9
{%- endif %}
"$engine" run --detach --name "$name" --network host --read-only --tmpfs /tmp \
    --volume "$volume:/app/data" --env-file .env --env FLASK_ENV=production \
    --env "PORT=$port" "$@" "$image" >/dev/null

if ! scripts/ci/wait_ready.sh "$base_url" 120; then
    "$engine" logs "$name" >&2
    fail "/ready never answered 200"
fi
scripts/ci/smoke.sh "$base_url"
uid=$("$engine" exec "$name" id -u)
[ "$uid" -ne 0 ] || fail "the API runs as root"
if "$engine" exec "$name" touch /app/written 2>/dev/null; then
    fail "the root filesystem is writable"
fi
"$engine" exec "$name" python /app/docker/healthcheck.py || fail "the healthcheck failed"

started=$(date +%s)
"$engine" kill --signal TERM "$name" >/dev/null
status=$("$engine" wait "$name")
seconds=$(($(date +%s) - started))
[ "$status" = 0 ] || fail "SIGTERM ended the API with status $status"
[ "$seconds" -le 10 ] || fail "SIGTERM took $seconds s to stop the API"
echo "image_test: $image passed with $engine (uid $uid, stopped in $seconds s)"
