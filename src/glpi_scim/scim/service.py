"""ScimService: the SCIM use cases over a ResourceStore, independent of HTTP.

Every method returns a ScimResponse (status, JSON body or None, headers such as ETag and
Location) or raises a ScimError (whose `status`, `to_document()` and `headers` give the HTTP
answer; NotModified is the 304 of a conditional GET). Request bodies arrive already decoded
from JSON; query parameters as a mapping of strings (or lists of strings).

`base_url` is the URL of the SCIM root the client used (for example
`https://glpi.example.com/scim/v2/3`); it fills `meta.location` and `$ref` values. It may be
given per instance and overridden per call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from glpi_scim.scim.bulk import run_bulk
from glpi_scim.scim.contract import Params, ScimResponse, ServiceSettings
from glpi_scim.scim.documents import list_response, with_urls
from glpi_scim.scim.errors import Forbidden, NotFound, NotModified
from glpi_scim.scim.filter import restrict
from glpi_scim.scim.patch import apply_operations, member_change, parse_patch
from glpi_scim.scim.preview import of_operations, of_resource
from glpi_scim.scim.projection import Projection, projection_for, skipped_attributes
from glpi_scim.scim.query import (
    parse_list_query,
    parse_projection,
    parse_search_request,
    sort_path_for,
)
from glpi_scim.scim.resources import check_value_counts, validate_resource
from glpi_scim.scim.schemas import (
    RESOURCE_TYPES,
    ResourceType,
    get_schema,
    resource_type,
    resource_type_documents,
    schema_documents,
    service_provider_config,
)
from glpi_scim.scim.store import GROUP, ListQuery, MemberReply, Resource, ResourceStore
from glpi_scim.scim.values import etag_matches

# Imported from here by the HTTP layer and the tests; declared in contract.py.
__all__ = ["Params", "ScimResponse", "ScimService", "ServiceSettings"]


class ScimService:
    def __init__(
        self,
        store: ResourceStore,
        settings: ServiceSettings | None = None,
        *,
        base_url: str | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or ServiceSettings()
        self.base_url = base_url

    # -- reading
    def list(
        self, resource_type_: str, params: Params | None = None, *, base_url: str | None = None
    ) -> ScimResponse:
        """GET /Users or /Groups with filter, sort, paging and attributes (RFC 7644 §3.4.2)."""
        rt = _type(resource_type_)
        query = parse_list_query(params or {}, rt, self.settings.query_limits)
        return self._list(rt, query, self._base(base_url))

    def search(
        self, resource_type_: str | None, body: Any, *, base_url: str | None = None
    ) -> ScimResponse:
        """POST /.search at the root (`resource_type_` None) or under a type (RFC 7644 §3.4.3).

        At the root, each type is searched with the filter restricted to it (tests of
        attributes it lacks are false); users come first, then groups, each sorted on its own.
        """
        rt = _type(resource_type_) if resource_type_ is not None else None
        query = parse_search_request(body, rt, self.settings.query_limits)
        base = self._base(base_url)
        if rt is not None:
            return self._list(rt, query, base)
        return self._search_root(query, base)

    def get(
        self,
        resource_type_: str,
        resource_id: str,
        params: Params | None = None,
        *,
        base_url: str | None = None,
        if_none_match: str | None = None,
    ) -> ScimResponse:
        """GET /Users/{id}; NotModified (304) when If-None-Match matches its version."""
        rt = _type(resource_type_)
        projection = self._projection(rt, params)
        resource = self.store.get(rt.name, resource_id, skip=projection.skip)
        version = _version(resource)
        if if_none_match and version and etag_matches(if_none_match, version):
            raise NotModified("not modified", headers={"ETag": version})
        return self._respond(200, rt, resource, projection, base_url)

    # -- writing
    def create(
        self,
        resource_type_: str,
        body: Any,
        params: Params | None = None,
        *,
        base_url: str | None = None,
    ) -> ScimResponse:
        """POST /Users or /Groups: 201 with the resource, Location and ETag (RFC 7644 §3.3)."""
        rt = _type(resource_type_)
        projection = self._projection(rt, params)
        resource = validate_resource(
            body, rt, tolerated_extensions=self.settings.tolerated_extensions
        )
        check_value_counts(resource, self.settings.value_limits)
        created = self.store.create(rt.name, resource)
        return self._respond(201, rt, created, projection, base_url)

    def replace(
        self,
        resource_type_: str,
        resource_id: str,
        body: Any,
        params: Params | None = None,
        *,
        base_url: str | None = None,
        if_match: str | None = None,
    ) -> ScimResponse:
        """PUT /Users/{id}: replace every writable attribute (RFC 7644 §3.5.1)."""
        rt = _type(resource_type_)
        projection = self._projection(rt, params)
        tolerated = self.settings.tolerated_extensions
        # Fail before the store.
        new = validate_resource(body, rt, tolerated_extensions=tolerated)
        check_value_counts(new, self.settings.value_limits)

        def mutate(current: Resource) -> Resource:
            new = validate_resource(body, rt, old=current, tolerated_extensions=tolerated)
            for key in ("id", "meta"):
                if key in current:
                    new[key] = current[key]
            # A client cannot read a writeOnly value back, so omitting it keeps it (§3.5.1);
            # so does omitting one the settings keep (`kept_on_replace`).
            kept = self.settings.kept_on_replace
            for attribute in rt.schema.attributes:
                name = attribute.name
                keep = attribute.mutability == "writeOnly" or name in kept
                if keep and name not in new and name in current:
                    new[name] = current[name]
            return new

        preview = of_resource(new, rt)
        updated = self.store.update(
            rt.name, resource_id, mutate, if_match=if_match, preview=preview
        )
        return self._respond(200, rt, updated, projection, base_url)

    def patch(
        self,
        resource_type_: str,
        resource_id: str,
        body: Any,
        params: Params | None = None,
        *,
        base_url: str | None = None,
        if_match: str | None = None,
    ) -> ScimResponse:
        """PATCH /Users/{id} (RFC 7644 §3.5.2): 200 with the resource, or 204.

        A Group PATCH that only edits members in simple forms goes to `change_members`
        (the group is not loaded); without attributes/excludedAttributes it answers 204 when
        the settings say so for this group (`members_patch_no_content`, `members_reply_limit`).
        """
        rt = _type(resource_type_)
        operations = parse_patch(body, rt, max_operations=self.settings.max_patch_operations)
        attributes, excluded = parse_projection(params, rt)
        projection = projection_for(rt, attributes, excluded)
        change = member_change(operations) if rt.name == GROUP else None
        if change is not None:
            reply = self._member_reply(projection.skip, bool(attributes or excluded))
            group = self.store.change_members(resource_id, change, if_match=if_match, reply=reply)
            if group is None:
                return ScimResponse(204)
            return self._respond(200, rt, group, projection, base_url)
        tolerated = self.settings.tolerated_extensions

        def mutate(current: Resource) -> Resource:
            return apply_operations(
                current,
                operations,
                rt,
                tolerated_extensions=tolerated,
                value_limits=self.settings.value_limits,
            )

        preview = of_operations(operations, rt)
        updated = self.store.update(
            rt.name, resource_id, mutate, if_match=if_match, preview=preview
        )
        return self._respond(200, rt, updated, projection, base_url)

    def _member_reply(self, skip: frozenset[str], projected: bool) -> MemberReply | None:
        """What a members-only PATCH of a group answers with (None: 204): the group when the
        request names attributes, else as the settings say (`members_patch_no_content`, and
        `members_reply_limit` for a large group)."""
        if projected:
            return MemberReply(skip)
        if self.settings.members_patch_no_content:
            return None
        return MemberReply(skip, self.settings.members_reply_limit)

    def delete(
        self, resource_type_: str, resource_id: str, *, if_match: str | None = None
    ) -> ScimResponse:
        """DELETE /Users/{id}: 204 (RFC 7644 §3.6)."""
        rt = _type(resource_type_)
        self.store.delete(rt.name, resource_id, if_match=if_match)
        return ScimResponse(204)

    def bulk(
        self, body: Any, *, base_url: str | None = None, payload_size: int | None = None
    ) -> ScimResponse:
        """POST /Bulk (RFC 7644 §3.7); `payload_size` is the request body's size in bytes."""
        return run_bulk(self, body, base_url=self._base(base_url), payload_size=payload_size)

    # -- discovery (RFC 7644 §4): filtering is refused with 403
    def service_provider_config(
        self, params: Params | None = None, *, base_url: str | None = None
    ) -> ScimResponse:
        _refuse_filter(params)
        base = self._base(base_url)
        settings = self.settings
        doc = service_provider_config(
            authentication_schemes=settings.authentication_schemes,
            patch=True,
            bulk=settings.bulk,
            bulk_max_operations=settings.bulk_max_operations,
            bulk_max_payload_size=settings.bulk_max_payload_size,
            filter=True,
            filter_max_results=settings.max_results,
            sort=True,
            etag=True,
            change_password=settings.change_password,
            documentation_uri=settings.documentation_uri,
            location=f"{base.rstrip('/')}/ServiceProviderConfig" if base else None,
        )
        return ScimResponse(200, doc)

    def schemas(self, params: Params | None = None, *, base_url: str | None = None) -> ScimResponse:
        _refuse_filter(params)
        docs = schema_documents(self._base(base_url))
        return ScimResponse(200, list_response(docs, total=len(docs)))

    def schema(self, schema_id: str, *, base_url: str | None = None) -> ScimResponse:
        schema = get_schema(schema_id)
        if schema is None:
            raise NotFound(f"no schema {schema_id!r}")
        base = self._base(base_url)
        location = f"{base.rstrip('/')}/Schemas/{schema.id}" if base else None
        return ScimResponse(200, schema.to_document(location))

    def resource_types(
        self, params: Params | None = None, *, base_url: str | None = None
    ) -> ScimResponse:
        _refuse_filter(params)
        docs = resource_type_documents(self._base(base_url))
        return ScimResponse(200, list_response(docs, total=len(docs)))

    def resource_type(self, name: str, *, base_url: str | None = None) -> ScimResponse:
        rt = _type(name)
        base = self._base(base_url)
        location = f"{base.rstrip('/')}/ResourceTypes/{rt.name}" if base else None
        return ScimResponse(200, rt.to_document(location))

    # -- helpers
    def _base(self, base_url: str | None) -> str | None:
        return base_url if base_url is not None else self.base_url

    def _projection(self, rt: ResourceType, params: Params | None) -> Projection:
        attributes, excluded = parse_projection(params, rt)
        return projection_for(rt, attributes, excluded)

    def _respond(
        self,
        status: int,
        rt: ResourceType,
        resource: Resource,
        projection: Projection,
        base_url: str | None,
    ) -> ScimResponse:
        full = with_urls(resource, rt.name, self._base(base_url))
        headers: dict[str, str] = {}
        version = _version(full)
        if version:
            headers["ETag"] = version
        location = (full.get("meta") or {}).get("location")
        if location:
            headers["Location"] = location
        return ScimResponse(status, projection(full), headers)

    def _list(self, rt: ResourceType, query: ListQuery, base_url: str | None) -> ScimResponse:
        page = self.store.list(rt.name, query)
        projection = projection_for(rt, query.attributes, query.excluded_attributes)
        resources = [projection(with_urls(r, rt.name, base_url)) for r in page.resources]
        return ScimResponse(
            200, list_response(resources, total=page.total, start_index=query.start_index)
        )

    def _search_root(self, query: ListQuery, base_url: str | None) -> ScimResponse:
        total = 0
        resources: list[Resource] = []
        start, count = query.start_index, query.count
        for rt in RESOURCE_TYPES.values():
            restricted = restrict(query.filter, rt) if query.filter is not None else True
            if restricted is False:
                continue
            attributes = tuple(p for p in query.attributes if _known(rt, p))
            excluded = tuple(p for p in query.excluded_attributes if _known(rt, p))
            if query.attributes and not attributes:
                attributes = query.attributes  # none applies: return only `always` ones
            sort_by = sort_path_for(query.sort_by, rt) if query.sort_by is not None else None
            typed = ListQuery(
                filter=None if restricted is True else restricted,
                sort_by=sort_by,
                descending=query.descending,
                start_index=start,
                count=count,
                attributes=attributes,
                excluded_attributes=excluded,
                skip=skipped_attributes(rt, attributes, excluded),
            )
            page = self.store.list(rt.name, typed)
            projection = projection_for(rt, attributes, excluded)
            resources.extend(projection(with_urls(r, rt.name, base_url)) for r in page.resources)
            total += page.total
            start = max(1, start - page.total)
            count = max(0, count - len(page.resources))
        return ScimResponse(
            200, list_response(resources, total=total, start_index=query.start_index)
        )


def _type(name: str) -> ResourceType:
    try:
        return resource_type(name)
    except ValueError:
        raise NotFound(f"no resource type {name!r}") from None


def _known(rt: ResourceType, path: Any) -> bool:
    if path.schema is None and path.sub_attr is None and rt.schema_by_urn(path.attr):
        return True
    return rt.resolve(path) is not None


def _version(resource: Resource) -> str | None:
    meta = resource.get("meta")
    version = meta.get("version") if isinstance(meta, Mapping) else None
    return version if isinstance(version, str) else None


def _refuse_filter(params: Params | None) -> None:
    if params and any(isinstance(k, str) and k.lower() == "filter" for k in params):
        raise Forbidden("this endpoint does not support filtering (RFC 7644 §4)")
