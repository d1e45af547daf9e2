"""The provisioning cycle the doctor runs, step by step, the way an identity provider would.

Discovery first (ServiceProviderConfig, Schemas, ResourceTypes), then the test-connection probe
Entra ID sends, then a temporary user and group named `glpi-scim-doctor-<random>`: create, find
by filter, PATCH, add to the group, delete. Whatever happens, what was created is deleted again:
purged from GLPI's database when the caller gives a `purge` function (the CLI does), else
deleted through SCIM.
When the endpoint cannot be used at all (unreachable, credentials refused, server inactive),
the remaining steps are skipped rather than failed once more for the same reason.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

from glpi_scim.doctor.auth import TokenRequestFailed
from glpi_scim.doctor.client import SCIM_MEDIA_TYPE, ConnectionFailed, ScimClient, ScimResponse
from glpi_scim.doctor.explain import (
    explain_connection,
    explain_response,
    explain_token_request,
)
from glpi_scim.doctor.report import CheckResult, DoctorReport
from glpi_scim.errors import GlpiScimError

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
NAME_PREFIX = "glpi-scim-doctor-"

# purge(name, user id, group id) -> what it did, for the report; ids are SCIM ids or None.
Purge = Callable[[str, str | None, str | None], str]


class StepFailed(GlpiScimError):
    def __init__(self, detail: str, explanation: str = "", *, fatal: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.explanation = explanation
        # Fatal: the endpoint is unusable, the following steps cannot tell anything new.
        self.fatal = fatal


class Doctor:
    def __init__(
        self,
        client: ScimClient,
        *,
        server_label: str,
        auth_method: str,
        suffix: str | None = None,
        purge: Purge | None = None,
    ) -> None:
        self.client = client
        self.server_label = server_label
        self.auth_method = auth_method
        self.name = NAME_PREFIX + (suffix or secrets.token_hex(4))
        self.external_id = str(uuid.uuid4())
        self.user_id: str | None = None
        self.group_id: str | None = None
        # What this run created, kept after its own DELETEs for the final purge.
        self.created_user_id: str | None = None
        self.created_group_id: str | None = None
        self.purge = purge
        self.report = DoctorReport(client.base_url, server_label, auth_method)
        self._stopped = False

    # -- running ---------------------------------------------------------------------------
    def run(self) -> DoctorReport:
        steps: list[tuple[str, Callable[[], str]]] = [
            ("Service provider configuration", self.check_service_provider_config),
            ("Schemas", self.check_schemas),
            ("Resource types", self.check_resource_types),
            ("Test-connection probe (unknown userName)", self.check_probe),
            ("Create user", self.create_user),
            ("Find user by userName", self.find_user_by_username),
            ("Find user by externalId", self.find_user_by_external_id),
            ("Update user (PATCH)", self.patch_user),
            ("Create group", self.create_group),
            ("Add user to group (PATCH)", self.add_member),
            ("Delete group", self.delete_group),
            ("Delete user", self.delete_user),
        ]
        try:
            for name, step in steps:
                self._run_step(name, step)
        finally:
            self._clean_up()
        return self.report

    def _run_step(self, name: str, step: Callable[[], str]) -> None:
        if self._stopped:
            self.report.checks.append(
                CheckResult(name, "skip", "not run: the endpoint could not be used")
            )
            return
        started = time.monotonic()
        result = CheckResult(name, "pass")
        try:
            result.detail = step()
        except StepFailed as failure:
            result.status = "fail"
            result.detail = failure.detail
            result.explanation = failure.explanation
            self._stopped = failure.fatal
        except ConnectionFailed as error:
            result.status = "fail"
            result.detail = str(error)
            result.explanation = explain_connection(error)
            self._stopped = True
        except TokenRequestFailed as error:
            result.status = "fail"
            result.detail = str(error)
            result.explanation = explain_token_request(error, self.server_label)
            self._stopped = True
        result.duration_ms = int((time.monotonic() - started) * 1000)
        self.report.checks.append(result)

    # -- helpers ---------------------------------------------------------------------------
    def _expect(self, response: ScimResponse, *statuses: int) -> Any:
        if response.status not in statuses:
            fatal = response.status in (401, 403, 404, 429) and self.user_id is None
            raise StepFailed(
                f"{response.method} {response.url} answered {response.status}, "
                f"expected {' or '.join(str(s) for s in statuses)}",
                explain_response(response, auth_method=self.auth_method, server=self.server_label),
                fatal=fatal,
            )
        if response.status == 204:
            return None
        body = response.body
        if not isinstance(body, dict):
            raise StepFailed(
                f"{response.method} {response.url} answered {response.status} without a JSON "
                f"object (Content-Type {response.content_type or 'none'})",
                "Something between the doctor and glpi-scim (a proxy, a login page, another "
                "web application) answered instead of the SCIM endpoint. Check the URL.",
                fatal=self.user_id is None,
            )
        if response.content_type != SCIM_MEDIA_TYPE:
            self.report.notes.append(
                f"{response.method} {response.url} answered with Content-Type "
                f"{response.content_type or 'none'} instead of {SCIM_MEDIA_TYPE}; Microsoft "
                "Entra ID expects the SCIM media type."
            )
        return body

    def _list(self, response: ScimResponse) -> tuple[int, list[dict[str, Any]]]:
        body = self._expect(response, 200)
        if LIST_SCHEMA not in body.get("schemas", []):
            raise StepFailed(
                f"{response.url} did not answer a ListResponse",
                "Identity providers read lookups as ListResponse documents; this answer "
                "would make them fail.",
            )
        total = body.get("totalResults")
        resources = body.get("Resources", [])
        if not isinstance(total, int) or not isinstance(resources, list):
            raise StepFailed(
                "totalResults is not a number or Resources is not a list",
                "Okta and Entra ID need integer totalResults and a Resources list.",
            )
        return total, resources

    def _user_filter(self, expression: str) -> ScimResponse:
        return self.client.get("/Users", {"filter": expression, "startIndex": "1", "count": "100"})

    # -- discovery -------------------------------------------------------------------------
    def check_service_provider_config(self) -> str:
        body = self._expect(self.client.get("/ServiceProviderConfig"), 200)
        if SPC_SCHEMA not in body.get("schemas", []):
            raise StepFailed(
                "the answer is not a ServiceProviderConfig document",
                "The URL reaches some JSON API, but not a SCIM 2.0 service provider.",
                fatal=True,
            )
        patch = bool(body.get("patch", {}).get("supported"))
        schemes = [
            str(scheme.get("type") or scheme.get("name"))
            for scheme in body.get("authenticationSchemes", [])
            if isinstance(scheme, dict)
        ]
        if not patch:
            raise StepFailed(
                "the server says it does not support PATCH",
                "Entra ID and Okta manage groups with PATCH; provisioning would not work.",
            )
        return f"PATCH supported; authentication: {', '.join(schemes) or 'none advertised'}"

    def check_schemas(self) -> str:
        _, resources = self._list(self.client.get("/Schemas"))
        found = {str(item.get("id")) for item in resources if isinstance(item, dict)}
        missing = [s for s in (USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_SCHEMA) if s not in found]
        if missing:
            raise StepFailed(
                f"missing schemas: {', '.join(missing)}",
                "Identity providers read /Schemas to know which attributes they may send.",
            )
        return f"{len(found)} schemas, User, Group and EnterpriseUser among them"

    def check_resource_types(self) -> str:
        _, resources = self._list(self.client.get("/ResourceTypes"))
        endpoints = {
            str(item.get("name")): str(item.get("endpoint"))
            for item in resources
            if isinstance(item, dict)
        }
        if "User" not in endpoints or "Group" not in endpoints:
            raise StepFailed(
                f"resource types found: {', '.join(sorted(endpoints)) or 'none'}",
                "Both User and Group resource types are needed for provisioning.",
            )
        return ", ".join(f"{name} at {endpoint}" for name, endpoint in sorted(endpoints.items()))

    def check_probe(self) -> str:
        total, _ = self._list(self._user_filter(f'userName eq "{uuid.uuid4()}"'))
        if total != 0:
            raise StepFailed(
                f"a lookup of a random userName found {total} users",
                "The filter is ignored or wrongly applied; identity providers would match "
                "the wrong GLPI users.",
            )
        return "an unknown userName finds nothing, as Entra ID's Test Connection expects"

    # -- the temporary user and group ------------------------------------------------------
    def create_user(self) -> str:
        payload = {
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
            "externalId": self.external_id,
            "userName": self.name,
            "active": True,
            "displayName": "glpi-scim doctor",
            "name": {"givenName": "Doctor", "familyName": "Glpi-scim"},
            "emails": [{"value": f"{self.name}@example.invalid", "type": "work", "primary": True}],
            ENTERPRISE_SCHEMA: {"employeeNumber": self.name},
        }
        body = self._expect(self.client.post("/Users", payload), 201)
        user_id = body.get("id")
        if not isinstance(user_id, str) or not user_id:
            raise StepFailed("the created user has no id", "Every SCIM resource needs an id.")
        self.user_id = self.created_user_id = user_id
        if body.get("userName") != self.name:
            raise StepFailed(
                f"userName came back as {body.get('userName')!r}, sent {self.name!r}",
                "The server changed the login; the identity provider would not find it again.",
            )
        return f"user {self.name} created with id {user_id}"

    def _find_user(self, expression: str) -> str:
        if self.user_id is None:
            raise StepFailed("no user to find: creating it failed")
        total, resources = self._list(self._user_filter(expression))
        ids = [str(item.get("id")) for item in resources if isinstance(item, dict)]
        if total != 1 or ids != [self.user_id]:
            raise StepFailed(
                f"filter {expression} found {total} user(s) {ids}, expected exactly "
                f"[{self.user_id}]",
                "Identity providers look users up by filter before every change; they would "
                "create duplicates or update the wrong user.",
            )
        return f"filter {expression} finds the user"

    def find_user_by_username(self) -> str:
        return self._find_user(f'userName eq "{self.name}"')

    def find_user_by_external_id(self) -> str:
        return self._find_user(f'externalId eq "{self.external_id}"')

    def patch_user(self) -> str:
        if self.user_id is None:
            raise StepFailed("no user to update: creating it failed")
        operations = {
            "schemas": [PATCH_SCHEMA],
            "Operations": [
                {"op": "replace", "path": "name.familyName", "value": "Checked"},
                {"op": "replace", "path": "active", "value": False},
            ],
        }
        self._expect(self.client.patch(f"/Users/{self.user_id}", operations), 200, 204)
        body = self._expect(self.client.get(f"/Users/{self.user_id}"), 200)
        family = (body.get("name") or {}).get("familyName")
        if family != "Checked" or body.get("active") is not False:
            raise StepFailed(
                f"after PATCH the user reads familyName={family!r}, active={body.get('active')!r}",
                "The PATCH was accepted but not applied; deprovisioning would not work.",
            )
        return "familyName replaced and user deactivated"

    def create_group(self) -> str:
        payload = {
            "schemas": [GROUP_SCHEMA],
            "externalId": self.external_id,
            "displayName": self.name,
            "members": [],
        }
        body = self._expect(self.client.post("/Groups", payload), 201)
        group_id = body.get("id")
        if not isinstance(group_id, str) or not group_id:
            raise StepFailed("the created group has no id", "Every SCIM resource needs an id.")
        self.group_id = self.created_group_id = group_id
        return f"group {self.name} created with id {group_id}"

    def add_member(self) -> str:
        if self.user_id is None or self.group_id is None:
            raise StepFailed("no user or group to link: creating them failed")
        operations = {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": self.user_id}]}],
        }
        self._expect(self.client.patch(f"/Groups/{self.group_id}", operations), 200, 204)
        group = self._expect(self.client.get(f"/Groups/{self.group_id}"), 200)
        members = [str(m.get("value")) for m in group.get("members") or [] if isinstance(m, dict)]
        if self.user_id not in members:
            raise StepFailed(
                f"the group's members are {members}, the user {self.user_id} is missing",
                "The membership PATCH was accepted but not applied.",
            )
        user = self._expect(self.client.get(f"/Users/{self.user_id}"), 200)
        groups = [str(g.get("value")) for g in user.get("groups") or [] if isinstance(g, dict)]
        if self.group_id not in groups:
            raise StepFailed(
                f"the user's groups are {groups}, the group {self.group_id} is missing",
                "GLPI's membership row is not seen from the user's side.",
            )
        return "the user is a member, seen from both the group and the user"

    def delete_group(self) -> str:
        if self.group_id is None:
            raise StepFailed("no group to delete: creating it failed")
        self._expect(self.client.delete(f"/Groups/{self.group_id}"), 204)
        gone = self.client.get(f"/Groups/{self.group_id}")
        deleted_id, self.group_id = self.group_id, None
        if gone.status != 404:
            raise StepFailed(
                f"after DELETE, GET /Groups/{deleted_id} answered {gone.status}, expected 404",
                "Deleted groups must disappear from the SCIM endpoint.",
            )
        return f"group {deleted_id} deleted"

    def delete_user(self) -> str:
        if self.user_id is None:
            raise StepFailed("no user to delete: creating it failed")
        self._expect(self.client.delete(f"/Users/{self.user_id}"), 204)
        deleted_id, self.user_id = self.user_id, None
        return f"user {deleted_id} deleted (per the server's delete policy)"

    def _clean_up(self) -> None:
        """Purge (or, without `purge`, delete) what the run created; say so when that fails."""
        if self.purge is not None:
            if self.created_user_id is None and self.created_group_id is None:
                return
            try:
                note = self.purge(self.name, self.created_user_id, self.created_group_id)
            except Exception as error:  # the report must still come out, with the way out
                note = (
                    f"clean-up: purging {self.name} failed ({type(error).__name__}: {error}); "
                    "remove it from GLPI by hand"
                )
            self.report.notes.append(note)
            return
        for kind, resource_id in (("Groups", self.group_id), ("Users", self.user_id)):
            if resource_id is None:
                continue
            try:
                response = self.client.delete(f"/{kind}/{resource_id}")
            except (ConnectionFailed, TokenRequestFailed) as error:
                outcome = f"failed ({error})"
            else:
                outcome = (
                    "done"
                    if response.status in (204, 404)
                    else f"failed ({response.status} {response.error_detail})"
                )
            self.report.notes.append(
                f"clean-up: DELETE /{kind}/{resource_id} {outcome}"
                + ("" if outcome == "done" else f"; remove {self.name} from GLPI by hand")
            )
