#!/bin/sh
# Write .env from .env.sample with fresh random secrets, as the generator did on the laptop
# (.env is git-ignored, so a CI checkout has none). Overwrites an existing .env.
set -eu

cd "$(dirname -- "$0")/../.."
secret() {
    python3 -c 'import secrets; print(secrets.token_urlsafe(48))'
}
{%- if cookiecutter.use_two_factor %}
# A Fernet key: 32 random bytes, URL-safe base64 (the two-factor secrets' encryption key).
fernet_key() {
    python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'
}
{%- endif %}
# URL-safe base64: no character that sed's replacement or a URL would read specially.
sed -e "s/^SECRET_KEY=.*/SECRET_KEY=$(secret)/" \
    -e "s/^JWT_SECRET_KEY=.*/JWT_SECRET_KEY=$(secret)/" \
{%- if cookiecutter.use_two_factor %}
    -e "s/^TOTP_ENCRYPTION_KEYS=.*/TOTP_ENCRYPTION_KEYS=$(fernet_key)/" \
{%- endif %}
{%- if cookiecutter.use_audit_log %}
    -e "s/^AUDIT_SEAL_KEY=.*/AUDIT_SEAL_KEY=$(secret)/" \
{%- endif %}
    -e "s/^DB_PASSWORD=.*/DB_PASSWORD=$(secret)/" \
    .env.sample > .env
chmod 600 .env
