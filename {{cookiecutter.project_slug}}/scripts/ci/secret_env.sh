#!/bin/sh
# Print the Secret's env file for a throwaway cluster: every key of
# deploy/kubernetes/base/secret.example, SECRET_KEY{% if cookiecutter.use_two_factor %}, JWT_SECRET_KEY and TOTP_ENCRYPTION_KEYS (a
# Fernet key){% else %} and JWT_SECRET_KEY{% endif %} fresh and random, each
# {% if cookiecutter.use_audit_log %}AUDIT_SEAL_KEY random too, {% endif %}other key from this script's environment (the CI job's env names the in-cluster services).
# Fails on a key the environment does not set, so the example and CI cannot drift apart.
#   DATABASE_URL=... scripts/ci/secret_env.sh > "$RUNNER_TEMP/secret.env"
set -eu

cd "$(dirname -- "$0")/../.."
sed -n 's/^\([A-Z_][A-Z0-9_]*\)=.*/\1/p' deploy/kubernetes/base/secret.example |
while read -r key; do
    case "$key" in
        SECRET_KEY | JWT_SECRET_KEY{% if cookiecutter.use_audit_log %} | AUDIT_SEAL_KEY{% endif %})
            value=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))') ;;
{%- if cookiecutter.use_two_factor %}
        TOTP_ENCRYPTION_KEYS)
            value=$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())') ;;
{%- endif %}
        *)
            value=$(printenv "$key") || {
                echo "secret_env: secret.example names $key; set it in the job's env" >&2
                exit 1
            } ;;
    esac
    echo "$key=$value"
done
