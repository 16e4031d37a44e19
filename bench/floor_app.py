"""The floor: the least an authenticated GET /users/<id> can do, written by hand.

It verifies the render's own access token with PyJWT (same secret, HS256, claims `sub` and
`sid`), asks the render's database one indexed query for the live session joined to its user and
role, and answers the JSON body of the render's GET /users/<id>. Run under gunicorn from
bench/, with the render's environment: JWT_SECRET_KEY and DATABASE_URL (SQLite or PostgreSQL).
"""

import os
import sqlite3
from datetime import UTC, datetime

import jwt
from flask import Flask, abort, request

SECRET = os.environ["JWT_SECRET_KEY"]
DATABASE_URL = os.environ["DATABASE_URL"]
# The session must be live and the user active, as the render's token check demands.
LIVE_SESSION_USER = """
SELECT users.id, users.email, users.name, users.age, roles.name
FROM auth_sessions
JOIN users ON users.id = auth_sessions.user_id
JOIN roles ON roles.id = users.role_id
WHERE auth_sessions.id = {0} AND users.id = {0}
  AND auth_sessions.revoked_at IS NULL AND auth_sessions.expires_at > {0}
  AND users.is_active
"""

app = Flask(__name__)
_connection = None


def connection():
    """One connection per worker process, opened on its first request (after the fork)."""
    global _connection
    if _connection is None:
        if DATABASE_URL.startswith("sqlite:///"):
            _connection = sqlite3.connect(DATABASE_URL.removeprefix("sqlite:///"))
        else:
            import psycopg  # only PostgreSQL renders install it

            url = DATABASE_URL.replace("postgresql+psycopg://", "postgresql://")
            _connection = psycopg.connect(url, autocommit=True)
    return _connection


def query() -> str:
    marker = "?" if isinstance(connection(), sqlite3.Connection) else "%s"
    return LIVE_SESSION_USER.format(marker)


@app.get("/users/<int:user_id>")
def get_user(user_id: int) -> dict:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer":
        abort(401)
    try:
        claims = jwt.decode(
            token, SECRET, algorithms=["HS256"], options={"require": ["exp", "sub", "sid"]}
        )
    except jwt.InvalidTokenError:
        abort(401)
    if claims.get("type") != "access":
        abort(401)
    if claims["sub"] != str(user_id):
        abort(404)  # as the render answers a non-admin asking for someone else
    # Stored as naive UTC, as the render stores it.
    now = datetime.now(UTC).replace(tzinfo=None)
    if isinstance(connection(), sqlite3.Connection):
        now = now.isoformat(
            sep=" ", timespec="microseconds"
        )  # the text form SQLAlchemy writes to SQLite
    row = connection().execute(query(), (claims["sid"], user_id, now)).fetchone()
    if row is None:
        abort(401)
    return {"id": row[0], "email": row[1], "name": row[2], "age": row[3]}
