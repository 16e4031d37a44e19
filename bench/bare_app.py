"""The baseline: a bare Flask app answering a small JSON object, nothing else installed."""

from flask import Flask

app = Flask(__name__)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
