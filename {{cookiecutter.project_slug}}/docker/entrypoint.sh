#!/bin/sh
# Start the API: wait for the database, apply migrations, then replace this shell with gunicorn
# (so gunicorn itself receives SIGTERM and stops gracefully).
# With arguments, wait for the database and run them instead, e.g.
#   docker compose run --rm api flask users create-admin --email you@example.com --name You
#
# The image's ENTRYPOINT. It runs outside a container too, from any directory, with the
# project's virtualenv first on PATH. Optional settings:
#   PORT (8000) or BIND (0.0.0.0:$PORT)   where gunicorn listens
#   WEB_CONCURRENCY (2)                   gunicorn worker processes
#   DB_WAIT_TIMEOUT (60)                  seconds to wait for the database
#   FORWARDED_ALLOW_IPS                   peers gunicorn trusts for X-Forwarded-Proto; by
#                                         default any when TRUSTED_PROXY_HOPS > 0, else none
#   GUNICORN_CMD_ARGS                     further gunicorn options
set -eu

cd "$(dirname -- "$0")/.."
export FLASK_APP="${FLASK_APP:-wsgi}"

python docker/wait_for_db.py
if [ "$#" -gt 0 ]; then
    exec "$@"
fi
flask db upgrade

# gunicorn takes X-Forwarded-Proto as far as the app's ProxyFix does: from the proxy in front
# when TRUSTED_PROXY_HOPS > 0 (its address inside a container network is not known here), else
# from no one.
if [ "${TRUSTED_PROXY_HOPS:-0}" -gt 0 ]; then
    trusted_peers="*"
else
    trusted_peers=""
fi

exec gunicorn \
    --bind "${BIND:-0.0.0.0:${PORT:-8000}}" \
    --workers "${WEB_CONCURRENCY:-2}" \
    --forwarded-allow-ips "${FORWARDED_ALLOW_IPS-$trusted_peers}" \
    wsgi:app
