"""The TOTP secrets' encryption at rest: Fernet (AES-128-CBC with HMAC-SHA256) under the keys of
TOTP_ENCRYPTION_KEYS. MultiFernet encrypts with the first key and decrypts with any, so a new key
goes first and the old one stays listed until `flask two-factor rotate-key` has re-encrypted
every secret (https://cryptography.io/en/latest/fernet/#cryptography.fernet.MultiFernet)."""

from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from flask import current_app


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    """The app's MultiFernet, built once per list of keys."""
    return _fernet(tuple(current_app.config["TOTP_ENCRYPTION_KEYS"]))


def encrypt(secret: str) -> str:
    return fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


def reencrypt(token: str) -> str:
    """`token` under the first key (unchanged in meaning; rotate() leaves it alone if it is)."""
    return fernet().rotate(token.encode()).decode()
