"""Bare Flask with Flask-Limiter: one route in a blueprint, one limit that never trips.

What Flask-Limiter costs a request on its own, set up as the render sets it up (the client's
address as the key, a default limit, the route's own limit as a callable); its counters live in
the storage that LIMITER_STORAGE_URI names (default memory://; sqlite:///PATH is the render's own
storage, imported from the project on PYTHONPATH).
"""

import importlib
import os

from flask import Blueprint, Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

STORAGE = os.environ.get("LIMITER_STORAGE_URI", "memory://")
if STORAGE.startswith("sqlite"):
    importlib.import_module("app.core.ratelimits")  # registers the storage with limits

NEVER = "100000000 per minute"

app = Flask(__name__)
app.config["RATELIMIT_STORAGE_URI"] = STORAGE
limiter = Limiter(key_func=get_remote_address, default_limits=[NEVER])
bp = Blueprint("probe", __name__)


@bp.get("/health")
@limiter.limit(lambda: NEVER)
def health() -> dict[str, str]:
    return {"status": "ok"}


app.register_blueprint(bp)
limiter.init_app(app)
