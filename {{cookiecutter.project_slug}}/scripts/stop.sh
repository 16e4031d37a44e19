#!/bin/sh
# Stop this instance without losing a request: leave the load balancer's rotation, then stop.
#   1. create DRAIN_FILE: /ready answers 503, the balancer's health check takes the instance out
#      while it keeps serving what it is sent;
#   2. wait DRAIN_SECONDS (5), longer than the balancer needs (HAProxy: fall x inter);
#   3. SIGTERM to the gunicorn master in GUNICORN_PIDFILE: gunicorn's graceful stop finishes the
#      requests in flight (up to GUNICORN_GRACEFUL_TIMEOUT) and exits.
# Run it with the instance's environment (DRAIN_FILE and GUNICORN_PIDFILE as gunicorn has them).
set -eu

: "${DRAIN_FILE:?DRAIN_FILE is not set: /ready cannot turn 503 before the stop}"
: "${GUNICORN_PIDFILE:?GUNICORN_PIDFILE is not set: no gunicorn master to signal}"

touch "$DRAIN_FILE"
sleep "${DRAIN_SECONDS:-5}"
kill -TERM "$(cat "$GUNICORN_PIDFILE")"
