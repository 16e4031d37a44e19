"""WSGI entry point: `gunicorn wsgi:app` in production, `python wsgi.py` for development."""

from dotenv import load_dotenv

load_dotenv()

from app import create_app  # noqa: E402 - the environment must be loaded first

app = create_app()

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
