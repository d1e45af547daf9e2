"""Signing in to the console, its sessions and its CSRF protection, over the real falcon app."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import and_, func, select, update

from glpi_scim.console.keys import console_key
from glpi_scim.console.sessions import SessionStore
from glpi_scim.db import tables
from glpi_scim.db.clock import to_db, utcnow
from glpi_scim.db.database import Database

from .support import SESSION_COOKIE, TECHNICIAN_PROFILE, ConsoleClient, add_glpi_user, errors_of

SESSIONS = tables.console_sessions


def count(database: Database, table: object) -> int:
    with database.read() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def set_config_right(database: Database, profile_id: int, bits: int) -> None:
    rights = tables.profilerights
    with database.begin() as connection:
        connection.execute(
            update(rights)
            .where(and_(rights.c.profiles_id == profile_id, rights.c.name == "config"))
            .values(rights=bits)
        )


def test_the_console_is_off_unless_enabled(
    database: Database, make_console: Callable[..., ConsoleClient]
) -> None:
    off = make_console(console_enabled=False)
    assert off.get("/console/signin").status_code == 404
    assert off.get("/console/servers").status_code == 404


def test_pages_need_a_session_and_lead_to_the_sign_in_page(console: ConsoleClient) -> None:
    result = console.get("/console/servers/1/history", status="4xx")
    assert result.status_code == 303
    assert result.headers["Location"].startswith("/console/signin?next=")
    page = console.get(result.headers["Location"].split("?")[0])
    assert page.status_code == 200
    assert '<label for="login">GLPI login</label>' in page.text


def test_signing_in_sets_a_strict_http_only_cookie_and_stores_only_its_hash(
    database: Database, console: ConsoleClient
) -> None:
    result = console.sign_in()
    assert result.status_code == 303 and result.headers["Location"] == "/console/servers"
    cookie = result.cookies[SESSION_COOKIE]
    assert cookie.http_only and cookie.same_site == "Strict" and cookie.path == "/console/"
    assert not cookie.secure  # plain http here
    session_id = cookie.value.split(".")[0]
    with database.read() as connection:
        stored = connection.execute(select(SESSIONS)).mappings().one()
    assert stored["session_hash"] == hashlib.sha256(session_id.encode()).hexdigest()
    assert session_id not in str(dict(stored))
    assert stored["login"] == "glpi" and stored["users_id"] == 2
    page = console.get("/console/servers")
    assert page.status_code == 200 and "Signed in as <strong>glpi</strong>" in page.text


def test_the_cookie_is_secure_when_the_console_is_reached_over_https(
    make_console: Callable[..., ConsoleClient],
) -> None:
    console = make_console(public_url="https://glpi.example.com")
    assert console.sign_in().cookies[SESSION_COOKIE].secure


def test_wrong_passwords_and_accounts_without_the_config_right_are_refused(
    database: Database, console: ConsoleClient
) -> None:
    wrong = console.sign_in("glpi", "not-the-password")
    assert wrong.status_code == 200 and SESSION_COOKIE not in wrong.cookies
    assert errors_of(wrong.text) == [
        "Wrong login or password (only accounts with a GLPI password can sign in)."
    ]
    add_glpi_user(database, "selfservice", "a-long-password")
    refused = console.sign_in("selfservice", "a-long-password")
    assert refused.status_code == 403 and SESSION_COOKIE not in refused.cookies
    assert "needs a profile with GLPI's config right" in html.unescape(refused.text)
    assert count(database, SESSIONS) == 0


def test_repeated_failures_are_throttled_like_the_consent_page(console: ConsoleClient) -> None:
    statuses = [console.sign_in("glpi", f"guess-{n}").status_code for n in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    blocked = console.sign_in("glpi", "glpi")  # even the right password, while blocked
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    assert SESSION_COOKIE not in blocked.cookies


def test_forged_and_unknown_cookies_lead_to_the_sign_in_page(
    database: Database, signed_in: ConsoleClient
) -> None:
    real = signed_in.cookie
    assert real is not None
    session_id, _, signature = real.partition(".")
    store = SessionStore(
        database, console_key(database), idle=timedelta(hours=1), lifetime=timedelta(hours=1)
    )
    forged = [
        f"{session_id}.{'0' * len(signature)}",  # someone else's signature
        session_id,  # no signature
        store.cookie_value("A" * 43),  # well signed, but no such session
        "garbage",
    ]
    for cookie in forged:
        signed_in.cookie = cookie
        result = signed_in.get("/console/servers")
        assert result.status_code == 303, cookie
        assert result.headers["Location"].startswith("/console/signin")


def test_idle_and_absolute_timeouts_end_a_session(
    database: Database, signed_in: ConsoleClient
) -> None:
    with database.begin() as connection:
        connection.execute(
            update(SESSIONS).values(date_last_use=to_db(utcnow() - timedelta(seconds=1801)))
        )
    assert signed_in.get("/console/servers").status_code == 303
    assert count(database, SESSIONS) == 0  # the timed-out row is gone

    signed_in.sign_in()
    with database.begin() as connection:  # used a minute ago, but signed in 8 hours ago
        connection.execute(
            update(SESSIONS).values(
                date_creation=to_db(utcnow() - timedelta(seconds=28801)),
                date_last_use=to_db(utcnow() - timedelta(seconds=60)),
            )
        )
    assert signed_in.get("/console/servers").status_code == 303


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing(
    database: Database, signed_in: ConsoleClient, make_console: Callable[..., ConsoleClient]
) -> None:
    form = {"name": "Entra", "applied_user": "glpi", "security": "bearer", "active": "on"}
    assert signed_in.post("/console/servers/new", form, csrf="").status_code == 403
    wrong = signed_in.post("/console/servers/new", form, csrf="0" * 64)
    assert wrong.status_code == 403 and "Form refused" in wrong.text
    other = make_console()  # another session's token is no good either
    other.sign_in()
    signed_in.get("/console/servers/new")
    assert signed_in.post("/console/servers/new", form, csrf=other.csrf).status_code == 403
    assert count(database, tables.identity_servers) == 0
    assert signed_in.post("/console/servers/new", form).status_code == 200
    assert count(database, tables.identity_servers) == 1


def test_pages_forbid_framing_and_inline_code(signed_in: ConsoleClient) -> None:
    page = signed_in.get("/console/servers/new")
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
    assert " style=" not in page.text and "<style" not in page.text
    assert not re.search(r"\son[a-z]+=", page.text)  # no inline event handlers
    script = signed_in.get("/console/static/console.js")
    assert script.status_code == 200 and script.headers["Content-Type"].startswith(
        "text/javascript"
    )
    assert signed_in.get("/console/static/..%2Fkeys.py").status_code == 404


def test_a_read_only_account_may_look_but_not_change(
    database: Database, console: ConsoleClient
) -> None:
    set_config_right(database, TECHNICIAN_PROFILE, 1)  # READ
    assert console.sign_in("tech", "tech").status_code == 303
    page = console.get("/console/servers")
    assert page.status_code == 200 and "(read only)" in page.text
    assert "Add an identity server" not in page.text
    refused = console.post("/console/servers/new", {"name": "x", "applied_user": "glpi"})
    assert refused.status_code == 403 and "READ level only" in refused.text
    assert count(database, tables.identity_servers) == 0


def test_losing_the_config_right_ends_the_session_at_the_next_page(
    database: Database, console: ConsoleClient
) -> None:
    set_config_right(database, TECHNICIAN_PROFILE, 3)
    console.sign_in("tech", "tech")
    assert console.get("/console/servers").status_code == 200
    set_config_right(database, TECHNICIAN_PROFILE, 0)
    assert console.get("/console/servers").status_code == 403
    assert count(database, SESSIONS) == 0


def test_signing_out_ends_the_session(database: Database, signed_in: ConsoleClient) -> None:
    result = signed_in.post("/console/signout")
    assert result.status_code == 303 and result.headers["Location"] == "/console/signin"
    assert count(database, SESSIONS) == 0
    assert signed_in.get("/console/servers").status_code == 303


def test_sign_in_sends_back_only_to_console_pages(console: ConsoleClient) -> None:
    for target, expected in (
        ("/console/servers/1/history", "/console/servers/1/history"),
        ("//evil.example/console/", "/console/servers"),
        ("https://evil.example/", "/console/servers"),
        ("/consolex/", "/console/servers"),
    ):
        result = console.sign_in(next_url=target)
        assert result.headers["Location"] == expected, target


def test_the_sign_in_form_needs_the_cookie_and_token_of_its_page(
    database: Database, console: ConsoleClient
) -> None:
    """Another site can post the form, but without this page's cookie and token it signs no
    browser in (to an account of the attacker's choosing)."""
    page = console.client.simulate_get("/console/signin")
    nonce = page.cookies["glpiscim_console_signin"]
    assert nonce.http_only and nonce.same_site == "Strict"
    token = re.search(r'name="signin_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    fields = {"login": "glpi", "password": "glpi"}
    attempts = [
        ({**fields, "signin_token": token}, None),  # no cookie
        (fields, nonce.value),  # no token
        ({**fields, "signin_token": "0" * 64}, nonce.value),  # a wrong one
        ({**fields, "signin_token": token}, "B" * 43),  # another cookie
    ]
    for sent, cookie in attempts:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if cookie:
            headers["Cookie"] = f"glpiscim_console_signin={cookie}"
        result = console.client.simulate_post(
            "/console/signin", body=urlencode(sent), headers=headers
        )
        assert result.status_code == 403 and SESSION_COOKIE not in result.cookies
    assert count(database, SESSIONS) == 0
