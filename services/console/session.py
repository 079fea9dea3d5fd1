"""The session: an encrypted, authenticated cookie (Fernet) holding the signed-in user's API key
and the CSRF token, so any replica can serve any request and the key never reaches page script.

Usage::

    codec = SessionCodec("a long random secret", max_age_s=12 * 3600)
    token = codec.dumps(Session.anonymous())
    session = codec.loads(token)  # None when forged, tampered with or expired
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass

from cryptography.fernet import Fernet, InvalidToken

COOKIE = "docroute_console"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class Session:
    """Who is signed in (None: nobody) and the token every unsafe request must carry."""

    csrf: str
    api_key: str | None = None
    name: str | None = None
    admin: bool = False

    @classmethod
    def anonymous(cls) -> Session:
        return cls(csrf=secrets.token_urlsafe(24))

    def signed_in(self, api_key: str, name: str, admin: bool) -> Session:
        """A new CSRF token with the new identity (no token survives a sign-in)."""
        return Session(csrf=secrets.token_urlsafe(24), api_key=api_key, name=name, admin=admin)

    def csrf_matches(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token.encode(), self.csrf.encode())


class SessionCodec:
    """Session <-> cookie value; `secret` is any string (a Fernet key is derived from it)."""

    def __init__(self, secret: str, max_age_s: int) -> None:
        key = base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())
        self._fernet = Fernet(key)
        self._max_age_s = max_age_s

    def dumps(self, session: Session) -> str:
        return self._fernet.encrypt(json.dumps(asdict(session)).encode()).decode()

    def loads(self, token: str | None, now: int | None = None) -> Session | None:
        """The session, or None when the token is missing, forged, tampered with or older than
        max_age_s at `now` (default: the clock)."""
        if not token:
            return None
        try:
            if now is None:
                plain = self._fernet.decrypt(token.encode(), ttl=self._max_age_s)
            else:
                plain = self._fernet.decrypt_at_time(token.encode(), self._max_age_s, now)
            data = json.loads(plain)
            return Session(**data)
        except (InvalidToken, ValueError, TypeError):
            return None
