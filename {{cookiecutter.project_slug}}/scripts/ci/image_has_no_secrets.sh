#!/bin/sh
# Fail if the image IMAGE carries a secret of ENV_FILE: the value of any setting whose name ends
# in KEY, KEYS, SECRET, PASSWORD or TOKEN (each comma-separated part of a list of keys on its
# own; PASSWORD_HASH_ITERATIONS is no secret) anywhere in its build history or configuration, or
# any of those settings (or DATABASE_URL, RATELIMIT_STORAGE_URI{% if cookiecutter.background_jobs == "celery" %}, CELERY_BROKER_URL{% endif %}) set in the image's environment.
# Settings come from the environment at run time (the Dockerfile's header), never from the image.
# No list of names: which secrets .env holds depends on the project's answers.
#   scripts/ci/image_has_no_secrets.sh IMAGE .env
# CONTAINER_ENGINE=podman checks an image podman built (default: docker).
set -eu

image="${1:?usage: image_has_no_secrets.sh IMAGE ENV_FILE}"
env_file="${2:?usage: image_has_no_secrets.sh IMAGE ENV_FILE}"
engine="${CONTAINER_ENGINE:-docker}"
secret_name='^[A-Za-z0-9_]*(KEYS?|SECRET|PASSWORD|TOKEN)='
found=0

metadata=$(mktemp)
secrets=$(mktemp)
trap 'rm -f "$metadata" "$secrets"' EXIT
"$engine" history --no-trunc "$image" > "$metadata"
"$engine" image inspect "$image" >> "$metadata"

grep -E "$secret_name." "$env_file" | cut -d= -f2- | tr ',' '\n' | grep -v '^$' > "$secrets" || true
while IFS= read -r value; do
    if grep -qF -- "$value" "$metadata"; then
        echo "image_has_no_secrets: a secret value of $env_file is in $image" >&2
        found=1
    fi
done < "$secrets"
names=$(grep -E "$secret_name" "$env_file" | cut -d= -f1 | tr '\n' '|')
if "$engine" image inspect "$image" |
    python3 -c 'import json, sys; print(*json.load(sys.stdin)[0]["Config"]["Env"] or [], sep="\n")' |
    grep -E "^(${names}DATABASE_URL|RATELIMIT_STORAGE_URI{% if cookiecutter.background_jobs == "celery" %}|CELERY_BROKER_URL{% endif %})="; then
    echo "image_has_no_secrets: $image sets the settings above in its environment" >&2
    found=1
fi
[ "$found" -eq 0 ] && echo "image_has_no_secrets: $image holds none of $env_file's secrets"
exit "$found"
