#!/bin/sh
# A first user's path through a running API: register, log in, read one's own user.
# Exits non-zero, saying which step, unless each answers as the README says.
#   scripts/ci/smoke.sh http://127.0.0.1:8000
# Needs curl and python3 (for JSON). A fresh address per run, so it can run again on one database.
set -eu

base_url="${1:?usage: smoke.sh BASE_URL}"
email="smoke-$(date +%s)-$$@example.com"
password="smoke-test-password-$$"
body=$(mktemp)
trap 'rm -f "$body"' EXIT

# request METHOD PATH EXPECTED_STATUS [JSON] [TOKEN]: the body lands in $body.
request() {
    set -- "$@" "" ""
    status=$(curl --silent --max-time 10 --output "$body" --write-out '%{http_code}' \
        --request "$1" --header 'Content-Type: application/json' \
        ${5:+--header "Authorization: Bearer $5"} ${4:+--data "$4"} "$base_url$2")
    if [ "$status" != "$3" ]; then
        echo "smoke: $1 $2 answered $status, expected $3:" >&2
        cat "$body" >&2
        exit 1
    fi
}

# field NAME: the top-level field NAME of the last JSON body.
field() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$body" "$1"
}

request POST /auth/register 201 "{\"email\": \"$email\", \"password\": \"$password\", \"name\": \"Smoke\"}"
request POST /auth/login 200 "{\"email\": \"$email\", \"password\": \"$password\"}"
token=$(field access_token)
request GET /users/me 200 "" "$token"
if [ "$(field email)" != "$email" ]; then
    echo "smoke: GET /users/me answered another user:" >&2
    cat "$body" >&2
    exit 1
fi
echo "smoke: registered, logged in and read $email at $base_url"
