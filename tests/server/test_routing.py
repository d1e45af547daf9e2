"""Which identity server a URL reaches, and what happens before the SCIM core runs."""

from __future__ import annotations

from collections.abc import Callable

import falcon.testing
import pytest

from glpi_scim.config import Settings
from glpi_scim.db.database import Database
from glpi_scim.server.app import create_app

from .support import SCIM, Api, assert_scim_error


def test_a_server_is_reached_by_its_id(make_api: Callable[..., Api]) -> None:
    first = make_api()
    second = make_api()
    assert first.get("/Users").status_code == 200
    assert second.get("/Users").status_code == 200
    # Each server accepts only its own tokens.
    crossed = first.get("/Users", headers={"Authorization": f"Bearer {second.token}"})
    assert_scim_error(crossed, 401)


def test_the_default_server_is_reached_without_an_id(make_api: Callable[..., Api]) -> None:
    make_api()
    default = make_api(default=True)
    result = default.get("/Users", root="/scim/v2")
    assert result.status_code == 200
    location = result.json["Resources"][0]["meta"]["location"]
    assert f"/scim/v2/{default.server.id}/Users/" in location


def test_without_a_default_server_the_short_url_says_what_to_do(api: Api) -> None:
    result = api.get("/Users", root="/scim/v2")
    assert_scim_error(result, 404, "no default identity server", "--default", "server add")


@pytest.mark.parametrize("ref", ["999", "abc", "1x", "0099999999999"])
def test_an_unknown_server_is_404(api: Api, ref: str) -> None:
    assert_scim_error(api.get("/Users", root=f"/scim/v2/{ref}"), 404, "no identity server")


@pytest.mark.parametrize("spelling", ["0{id}", "00{id}", "{arabic}", "{fullwidth}", "+{id}"])
def test_a_server_has_one_url_its_ascii_id(api: Api, spelling: str) -> None:
    server_id = str(api.server.id)
    # Digits of other scripts: Arabic-Indic (U+0660...) and fullwidth (U+FF10...).
    ref = spelling.format(
        id=server_id,
        arabic="".join(chr(0x0660 + int(digit)) for digit in server_id),
        fullwidth="".join(chr(0xFF10 + int(digit)) for digit in server_id),
    )
    assert api.get("/Users", root=f"/scim/v2/{server_id}").status_code == 200
    assert_scim_error(api.get("/Users", root=f"/scim/v2/{ref}"), 404, "no identity server")


def test_an_inactive_server_answers_403_to_everything(make_api: Callable[..., Api]) -> None:
    api = make_api(active=False)
    for method in ("GET", "POST", "DELETE"):
        result = api.request(method, "/Users", json={} if method == "POST" else None)
        assert_scim_error(result, 403, "inactive", f"server enable {api.server.id}")


def test_an_unknown_path_is_a_scim_404(api: Api) -> None:
    for path in ("/nope", "/scim/v2/1/Nope", "/scim/v1/Users", "/"):
        result = api.get("", root=path)
        assert_scim_error(result, 404, "no SCIM endpoint")


def test_a_method_an_endpoint_lacks_is_a_scim_405_with_allow(api: Api) -> None:
    result = api.request("PUT", "/Users", json={"schemas": []})
    body = assert_scim_error(result, 405, "PUT is not allowed")
    assert "GET" in result.headers["allow"] and "POST" in result.headers["allow"]
    assert "GET" in body["detail"]
    assert_scim_error(api.request("DELETE", "/ServiceProviderConfig"), 405)


def test_me_is_not_implemented(api: Api) -> None:
    assert_scim_error(api.get("/Me"), 501, "/Me is not supported")


def test_a_trailing_slash_is_the_same_endpoint(api: Api) -> None:
    assert api.get("/Users/").status_code == 200
    assert api.get("/ServiceProviderConfig/").status_code == 200


def test_the_url_prefix_setting_moves_every_endpoint(make_api: Callable[..., Api]) -> None:
    api = make_api(settings={"url_prefix": "/idp"})
    assert api.root.startswith("/idp/v2/")
    assert api.get("/Users").status_code == 200
    assert_scim_error(api.get("/Users", root=f"/scim/v2/{api.server.id}"), 404)


def test_requests_without_credentials_get_the_methods_challenge(api: Api) -> None:
    result = api.get("/Users", auth=False)
    assert_scim_error(result, 401)
    assert result.headers["www-authenticate"].startswith("Bearer")
    wrong = api.get("/Users", headers={"Authorization": "Bearer not-a-token"})
    assert_scim_error(wrong, 401)


def test_basic_authentication_end_to_end(make_api: Callable[..., Api]) -> None:
    import base64

    api = make_api(security="basic", username="entra", password="a-long-password-1")
    good = base64.b64encode(b"entra:a-long-password-1").decode()
    bad = base64.b64encode(b"entra:wrong-password-11").decode()
    assert api.get("/Users", headers={"Authorization": f"Basic {good}"}).status_code == 200
    refused = api.get("/Users", headers={"Authorization": f"Basic {bad}"})
    assert_scim_error(refused, 401)
    assert refused.headers["www-authenticate"].startswith("Basic")


def test_the_network_allow_list_is_checked_before_authentication(
    make_api: Callable[..., Api],
) -> None:
    api = make_api(add_networks=["10.0.0.0/8"])
    # The test client connects from 127.0.0.1: refused, even with a valid token, and
    # without credentials it is still 403 (not a 401 that would invite guessing).
    assert_scim_error(api.get("/Users"), 403, "127.0.0.1")
    assert_scim_error(api.get("/Users", auth=False), 403)


def test_forwarded_addresses_are_believed_only_from_trusted_proxies(
    make_api: Callable[..., Api],
) -> None:
    inside = {"X-Forwarded-For": "10.1.2.3"}
    untrusting = make_api(add_networks=["10.0.0.0/8"])
    assert_scim_error(untrusting.get("/Users", headers=inside), 403)
    trusting = make_api(add_networks=["10.0.0.0/8"], settings={"trusted_proxies": ("127.0.0.1",)})
    assert trusting.get("/Users", headers=inside).status_code == 200
    assert_scim_error(trusting.get("/Users", headers={"X-Forwarded-For": "192.0.2.1"}), 403)


def test_every_response_carries_a_fresh_request_id(api: Api) -> None:
    ids = {api.get("/Users").headers["x-request-id"] for _ in range(3)}
    ids.add(api.get("/nope", root="").headers["x-request-id"])
    assert len(ids) == 4
    assert all(len(value) == 16 for value in ids)


def test_the_database_being_down_is_a_503_with_retry_after(
    database: Database, settings_for: Callable[..., Settings]
) -> None:
    settings = settings_for(
        database, database_url="mysql+pymysql://u:secret@127.0.0.1:1/glpi", db_timeout=2
    )
    app = create_app(settings)
    try:
        client = falcon.testing.TestClient(app)
        result = client.simulate_get("/scim/v2/1/Users", headers={"Accept": SCIM})
        body = assert_scim_error(result, 503, "database is unavailable")
        assert result.headers["retry-after"] == "5"
        assert "secret" not in result.text and "127.0.0.1" not in body["detail"]
        health = client.simulate_get("/healthz")
        assert health.status_code == 503
        assert health.json == {"status": "unavailable"}
    finally:
        app.context.close()


def test_an_unexpected_error_is_a_500_naming_the_request_id(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    class Exploding:
        def on_get(self, req: object, resp: object) -> None:
            raise RuntimeError("secret internals")

    api.app.add_route("/explode", Exploding())
    result = api.get("", root="/explode")
    request_id = result.headers["x-request-id"]
    assert_scim_error(result, 500, request_id)
    assert "secret internals" not in result.text
    assert "RuntimeError" not in result.text
    assert any(request_id in r.getMessage() and r.exc_info for r in caplog.records)


def test_healthz_needs_no_credentials_and_shows_no_data(api: Api) -> None:
    result = api.get("", root="/healthz", auth=False)
    assert result.status_code == 200
    assert result.json == {"status": "ok"}


def test_a_server_with_security_none_needs_no_credentials(make_api: Callable[..., Api]) -> None:
    api = make_api(security="none")
    assert api.token is None
    assert api.get("/Users", auth=False).status_code == 200
