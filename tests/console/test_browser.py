"""The console in a real browser: headless Chromium driven by Selenium against a real waitress
server on a free port, one browser session for the whole flow. Screenshots of the main pages go
to tests/output/console/ (or $GLPI_SCIM_TEST_OUTPUT/console/)."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests

from glpi_scim.config import Settings
from glpi_scim.db.database import Database
from glpi_scim.server.app import ScimApp, create_app
from glpi_scim.server.context import AppContext
from glpi_scim.server.runner import GracefulServer

from .support import add_glpi_user

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)

SCIM = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


def output_dir() -> Path:
    root = os.environ.get("GLPI_SCIM_TEST_OUTPUT")
    base = Path(root) if root else Path(__file__).resolve().parents[1] / "output"
    folder = base / "console"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Live:
    def __init__(self, app: ScimApp, server: GracefulServer) -> None:
        self.app = app
        self.server = server
        self.url = f"http://127.0.0.1:{server.port}"


@pytest.fixture
def live(sqlite_database: Database, settings_for: Any) -> Iterator[Live]:
    settings: Settings = settings_for(sqlite_database, console_enabled=True)
    settings = replace(settings, host="127.0.0.1", port=0)
    app = create_app(settings, context=AppContext.create(settings, sqlite_database))
    server = GracefulServer(
        app,
        host="127.0.0.1",
        port=0,
        threads=8,
        max_body_bytes=settings.max_body_bytes,
        grace_seconds=5,
        connection_limit=settings.connection_limit,
        request_timeout=settings.request_timeout,
        idle_timeout=settings.idle_timeout,
    )
    thread = threading.Thread(target=server.serve, name="console-live", daemon=True)
    thread.start()
    try:
        yield Live(app, server)
    finally:
        server.stop()
        thread.join(30)
        app.context.log_writer.close()
        app.context.stats.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download anything
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,800",
        "--hide-scrollbars",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(0)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver: Any, name: str) -> None:
    """The page from its top, as a 1280x800 window shows it."""
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(output_dir() / f"{name}.png"))


def wait_for(driver: Any, element_id: str, seconds: float = 60) -> Any:
    """The element once the page that has it is loaded (a form's answer may take a while)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(
        expected_conditions.presence_of_element_located((By.ID, element_id))
    )


def sign_in(driver: Any, login: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "login").clear()
    driver.find_element(By.ID, "login").send_keys(login)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "signin").click()


def test_an_administrator_runs_a_server_from_the_browser(
    live: Live, browser: Any, sqlite_database: Database
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = browser
    driver.get(f"{live.url}/console/servers")
    assert "/console/signin" in driver.current_url
    shot(driver, "signin")
    sign_in(driver, "glpi", "glpi")
    wait_for(driver, "add-server")
    assert driver.current_url.endswith("/console/servers")
    assert "Signed in as glpi" in driver.find_element(By.TAG_NAME, "header").text

    # Add a bearer server: its URL and, once, its token.
    driver.find_element(By.ID, "add-server").click()
    wait_for(driver, "server-form")
    driver.find_element(By.ID, "name").send_keys("Entra ID")
    driver.find_element(By.ID, "applied_user").send_keys("glpi")
    driver.find_element(By.ID, "log_requests").click()
    Select(driver.find_element(By.ID, "delete_policy")).select_by_value("deactivate")
    driver.find_element(By.ID, "protected").send_keys("tech")
    shot(driver, "server-form")
    driver.find_element(By.ID, "save").click()
    wait_for(driver, "token")
    assert "Identity server Entra ID created" in driver.find_element(By.TAG_NAME, "h1").text
    scim_url = driver.find_element(By.ID, "scim-url").get_attribute("value")
    token = driver.find_element(By.ID, "token").get_attribute("value").strip()
    assert re.fullmatch(rf"{live.url}/scim/v2/\d+", scim_url)
    shot(driver, "token-shown-once")

    # The IdP uses it.
    headers = {"Authorization": f"Bearer {token}", "Accept": SCIM, "Content-Type": SCIM}
    listed = requests.get(f"{scim_url}/Users", headers=headers, timeout=30)
    assert listed.status_code == 200
    created = requests.post(
        f"{scim_url}/Users",
        json={"schemas": [USER_SCHEMA], "userName": "ada.lovelace", "name": {"givenName": "Ada"}},
        headers=headers,
        timeout=30,
    )
    assert created.status_code == 201
    assert live.app.context.log_writer.flush()

    driver.find_element(By.ID, "to-server").click()
    wait_for(driver, "audit")
    shot(driver, "server")
    driver.get(f"{live.url}/console/servers")
    shot(driver, "servers")
    assert "Entra ID" in driver.find_element(By.TAG_NAME, "table").text
    driver.find_element(By.LINK_TEXT, "Entra ID").click()
    wait_for(driver, "audit")
    driver.find_element(By.LINK_TEXT, "Historical").click()
    wait_for(driver, "history")
    rows = driver.find_elements(By.CSS_SELECTOR, "#history tbody tr")
    assert len(rows) == 2
    assert "POST" in rows[0].text and "201" in rows[0].text
    shot(driver, "historical")
    rows[0].find_element(By.TAG_NAME, "a").click()
    request_body = wait_for(driver, "request-body").text
    assert "ada.lovelace" in request_body and token not in driver.page_source
    shot(driver, "historical-detail")

    driver.find_element(By.LINK_TEXT, "Users and groups").click()
    assert "ada.lovelace" in wait_for(driver, "owned-users").text
    shot(driver, "owned")

    driver.find_element(By.LINK_TEXT, "Doctor").click()
    wait_for(driver, "run-doctor").click()
    result = wait_for(driver, "doctor-result").text
    checks = driver.find_element(By.ID, "doctor-checks").text
    assert result == "Every check passed", checks
    shot(driver, "doctor")

    # Revoke the token (asked first); the IdP's next request is refused.
    driver.find_element(By.LINK_TEXT, "Overview").click()
    wait_for(driver, "revoke-1").click()
    wait_for(driver, "confirm")
    assert "Revoke token 1?" in driver.find_element(By.TAG_NAME, "h1").text
    driver.find_element(By.ID, "confirm").click()
    assert "requests using it now get 401" in wait_for(driver, "notice").text
    assert requests.get(f"{scim_url}/Users", headers=headers, timeout=30).status_code == 401
    audit = driver.find_element(By.ID, "audit").text
    assert "token revoked" in audit and "glpi console 127.0.0.1" in audit

    # A forged cookie is a way back to the sign-in page, not into the console.
    driver.delete_all_cookies()
    driver.add_cookie({"name": "glpiscim_console", "value": "forged.cookie", "path": "/console/"})
    driver.get(f"{live.url}/console/servers")
    assert "/console/signin" in driver.current_url

    # An account without GLPI's config right may not sign in.
    driver.delete_all_cookies()
    driver.get(f"{live.url}/console/signin")
    add_glpi_user(sqlite_database, "self-service", "self-service-password")
    sign_in(driver, "self-service", "self-service-password")
    error = wait_for(driver, "signin-error").text
    assert "may not use this console" in error
    assert driver.get_cookie("glpiscim_console") is None
    driver.get(f"{live.url}/console/servers")
    assert "/console/signin" in driver.current_url


def test_forms_need_the_session_csrf_token_over_real_http(live: Live) -> None:
    session = requests.Session()
    signin = session.get(f"{live.url}/console/signin", timeout=30)
    signin_token = re.search(r'name="signin_token" value="([^"]+)"', signin.text).group(1)  # type: ignore[union-attr]
    page = session.post(
        f"{live.url}/console/signin",
        data={"login": "glpi", "password": "glpi", "signin_token": signin_token},
        timeout=30,
    )
    assert page.status_code == 200 and "Identity servers" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {"name": "Okta", "applied_user": "glpi", "security": "bearer", "active": "on"}
    for sent in ({}, {"csrf_token": "x" * 64}):
        refused = session.post(f"{live.url}/console/servers/new", data={**form, **sent}, timeout=30)
        assert refused.status_code == 403
    accepted = session.post(
        f"{live.url}/console/servers/new", data={**form, "csrf_token": token}, timeout=30
    )
    assert accepted.status_code == 200 and "Identity server Okta created" in accepted.text
    stranger = requests.get(
        f"{live.url}/console/servers",
        cookies={"glpiscim_console": "A" * 43 + "." + "0" * 64},
        allow_redirects=False,
        timeout=30,
    )
    assert stranger.status_code == 303
    assert stranger.headers["Location"].startswith("/console/signin")


def test_screenshots_folder_is_outside_the_sources() -> None:
    assert "output" in output_dir().parts
    assert shutil.which("git") is None or not (output_dir() / ".git").exists()
