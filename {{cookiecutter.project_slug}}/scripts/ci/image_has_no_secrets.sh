#!/bin/sh
# Fail if the image IMAGE carries a secret: a value of ENV_FILE's secrets (SECRET_KEY,
# JWT_SECRET_KEY{% if cookiecutter.use_audit_log %}, AUDIT_SEAL_KEY{% endif %}, DB_PASSWORD{% if cookiecutter.use_account_emails %}, MAIL_PASSWORD{% endif %}) anywhere in its build history or configuration, or
# any of those settings (or DATABASE_URL, RATELIMIT_STORAGE_URI) set in the image's environment. Settings
# come from the environment at run time (the Dockerfile's header), never from the image.
#   scripts/ci/image_has_no_secrets.sh IMAGE .env
set -eu

image="${1:?usage: image_has_no_secrets.sh IMAGE ENV_FILE}"
env_file="${2:?usage: image_has_no_secrets.sh IMAGE ENV_FILE}"
names='SECRET_KEY|JWT_SECRET_KEY{% if cookiecutter.use_two_factor %}|TOTP_ENCRYPTION_KEYS{% endif %}{% if cookiecutter.use_audit_log %}|AUDIT_SEAL_KEY{% endif %}|DB_PASSWORD{% if cookiecutter.use_account_emails %}|MAIL_PASSWORD{% endif %}|DATABASE_URL|RATELIMIT_STORAGE_URI'
found=0

metadata=$(mktemp)
trap 'rm -f "$metadata"' EXIT
docker history --no-trunc "$image" > "$metadata"
docker image inspect "$image" >> "$metadata"

values=$(grep -E '^(SECRET_KEY|JWT_SECRET_KEY{% if cookiecutter.use_audit_log %}|AUDIT_SEAL_KEY{% endif %}|DB_PASSWORD{% if cookiecutter.use_account_emails %}|MAIL_PASSWORD{% endif %})=.' "$env_file" | cut -d= -f2-)
for value in $values; do
    if grep -qF -- "$value" "$metadata"; then
        echo "image_has_no_secrets: a secret value of $env_file is in $image" >&2
        found=1
    fi
done
if docker image inspect "$image" |
    python3 -c 'import json, sys; print(*json.load(sys.stdin)[0]["Config"]["Env"], sep="\n")' |
    grep -E "^($names)="; then
    echo "image_has_no_secrets: $image sets the settings above in its environment" >&2
    found=1
fi
[ "$found" -eq 0 ] && echo "image_has_no_secrets: $image holds none of $env_file's secrets"
exit "$found"
