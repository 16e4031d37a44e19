#!/bin/sh
# Start the API: check the settings, wait for the database, apply migrations, then replace this
# shell with gunicorn (so gunicorn itself receives SIGTERM and stops gracefully).
# With arguments, check the settings, wait for the database and run them instead, e.g.
#   docker compose run --rm api flask users create-admin --email you@example.com --name You
#
# The image's ENTRYPOINT. It runs outside a container too, from any directory, with the
# project's virtualenv first on PATH. Optional settings:
#   DB_WAIT_TIMEOUT (60)                  seconds to wait for the database
#   PORT, BIND, WEB_CONCURRENCY, ...      read by gunicorn.conf.py, which lists them all
#   GUNICORN_CMD_ARGS                     further gunicorn options
set -eu

cd "$(dirname -- "$0")/.."
export FLASK_APP="${FLASK_APP:-wsgi}"

python docker/check_config.py
python docker/wait_for_db.py
if [ "$#" -gt 0 ]; then
    exec "$@"
fi
flask db upgrade

exec gunicorn -c gunicorn.conf.py wsgi:app
