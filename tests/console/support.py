"""A browser-like client of the console over falcon's WSGI test client: it keeps the session
cookie and reads the CSRF token from the last page, as a browser submitting a form would."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

import bcrypt
import falcon.testing
from sqlalchemy import insert

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.server.app import ScimApp

FORM = "application/x-www-form-urlencoded"
SESSION_COOKIE = "glpiscim_console"
SELF_SERVICE_PROFILE = 1  # GLPI's fresh install: Self-Service, no config right
TECHNICIAN_PROFILE = 6
SIGNIN_COOKIE = "glpiscim_console_signin"
_SIGNIN_TOKEN = re.compile(r'name="signin_token" value="([^"]+)"')
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def errors_of(page: str) -> list[str]:
    found = re.findall(r'class="error"[^>]*>([^<]+)<', page)
    return [html.unescape(text).strip() for text in found]


@dataclass
class ConsoleClient:
    app: ScimApp
    cookie: str | None = None
    csrf: str = ""
    last: falcon.testing.Result | None = field(default=None, repr=False)

    @property
    def client(self) -> falcon.testing.TestClient:
        return falcon.testing.TestClient(self.app)

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.cookie is not None:
            headers["Cookie"] = f"{SESSION_COOKIE}={self.cookie}"
        return headers

    def _remember(self, result: falcon.testing.Result) -> falcon.testing.Result:
        self.last = result
        found = _CSRF.search(result.text or "")
        if found:
            self.csrf = found.group(1)
        return result

    def get(self, path: str, **params: str) -> falcon.testing.Result:
        return self._remember(
            self.client.simulate_get(path, params=params or None, headers=self._headers())
        )

    def post(
        self, path: str, form: dict[str, str] | None = None, *, csrf: str | None = None
    ) -> falcon.testing.Result:
        fields = dict(form or {})
        token = self.csrf if csrf is None else csrf
        if token:
            fields.setdefault("csrf_token", token)
        return self._remember(
            self.client.simulate_post(
                path, body=urlencode(fields), headers=self._headers({"Content-Type": FORM})
            )
        )

    def sign_in(
        self, login: str = "glpi", password: str = "glpi", *, next_url: str = "/console/servers"
    ) -> falcon.testing.Result:
        """Open the sign-in page (its cookie and token), then send the form, as a browser."""
        form = self.client.simulate_get("/console/signin")
        nonce = form.cookies[SIGNIN_COOKIE].value
        token = _SIGNIN_TOKEN.search(form.text).group(1)  # type: ignore[union-attr]
        fields = {"login": login, "password": password, "next": next_url, "signin_token": token}
        result = self.client.simulate_post(
            "/console/signin",
            body=urlencode(fields),
            headers={"Content-Type": FORM, "Cookie": f"{SIGNIN_COOKIE}={nonce}"},
        )
        if SESSION_COOKIE in result.cookies:
            self.cookie = result.cookies[SESSION_COOKIE].value
            self.get("/console/servers")
        return result


def add_glpi_user(
    database: Database, login: str, password: str, profile_id: int = SELF_SERVICE_PROFILE
) -> int:
    """A GLPI account with a GLPI password (as GLPI writes it: bcrypt, `$2y$`) and a profile."""
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()
    with database.begin() as connection:
        result = connection.execute(
            insert(tables.users).values(
                name=login, password="$2y$" + hashed[4:], authtype=1, is_active=1, is_deleted=0
            )
        )
        user_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        connection.execute(
            insert(tables.profiles_users).values(
                users_id=user_id, profiles_id=profile_id, entities_id=0, is_recursive=1
            )
        )
    return user_id
