"""No Flask session: this API authenticates with tokens, never with the session cookie."""

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin


class NoSessionInterface(SessionInterface):
    """Skip the signed-cookie session Flask would otherwise load and save on every request."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return None  # Flask substitutes a null session that refuses writes

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        return None
