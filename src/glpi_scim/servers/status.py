"""`glpi-scim server status`: each identity server's health, one section per concern.

A section is built by one function `(StatusSources, server, now) -> StatusSection`, listed in
`SECTIONS`; adding a concern is one more function there. The CLI renders every section the
same way, as text or JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from glpi_scim.db import tables
from glpi_scim.db.clock import utcnow
from glpi_scim.db.database import Database
from glpi_scim.glpi.guard import GuardService
from glpi_scim.identity.durations import describe_duration
from glpi_scim.identity.models import IdentityServer
from glpi_scim.servers.stats import StatsRepository
from glpi_scim.servers.tokens import TokenRepository

TOKEN_WARNING = timedelta(days=30)


@dataclass(frozen=True)
class StatusItem:
    """One figure: `key` and `value` for JSON, `label` and `text` for people."""

    key: str
    label: str
    value: Any
    text: str
    # Worth an administrator's attention (shown in red).
    alert: bool = False


@dataclass(frozen=True)
class StatusSection:
    key: str
    title: str
    items: tuple[StatusItem, ...]

    def as_json(self) -> dict[str, Any]:
        return {item.key: item.value for item in self.items}


@dataclass(frozen=True)
class ServerStatus:
    server: IdentityServer
    checked_at: datetime
    sections: tuple[StatusSection, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.server.id,
            "name": self.server.name,
            "active": self.server.is_active,
            "checked_at": _iso(self.checked_at),
            **{section.key: section.as_json() for section in self.sections},
        }


@dataclass(frozen=True)
class StatusSources:
    """The repositories sections read from."""

    database: Database
    stats: StatsRepository
    tokens: TokenRepository

    @classmethod
    def of(cls, database: Database) -> StatusSources:
        return cls(database, StatsRepository(database), TokenRepository(database))


SectionBuilder = Callable[[StatusSources, IdentityServer, datetime], StatusSection]


def activity_section(
    sources: StatusSources, server: IdentityServer, now: datetime
) -> StatusSection:
    activity = sources.stats.summary(server.id, now)
    error = None
    if activity.last_error is not None:
        error = {
            "time": _iso(activity.last_error),
            "status": activity.last_error_status,
            "detail": activity.last_error_detail,
        }
    error_text = "never"
    if activity.last_error is not None:
        error_text = f"{_shown(activity.last_error)}: {activity.last_error_status}"
        if activity.last_error_detail:
            error_text += f" {activity.last_error_detail}"
    return StatusSection(
        "requests",
        "Requests",
        (
            StatusItem(
                "last_request",
                "last request",
                _iso(activity.last_request),
                _shown(activity.last_request),
            ),
            StatusItem(
                "last_success",
                "last success",
                _iso(activity.last_success),
                _shown(activity.last_success),
            ),
            StatusItem(
                "last_error",
                "last error",
                error,
                error_text,
                alert=_error_is_latest(activity.last_error, activity.last_success),
            ),
            StatusItem(
                "last_hour",
                "last hour",
                {"requests": activity.requests_last_hour, "errors": activity.errors_last_hour},
                _counts(activity.requests_last_hour, activity.errors_last_hour),
                alert=activity.errors_last_hour > 0,
            ),
            StatusItem(
                "last_day",
                "last 24 hours",
                {"requests": activity.requests_last_day, "errors": activity.errors_last_day},
                _counts(activity.requests_last_day, activity.errors_last_day),
            ),
        ),
    )


def tokens_section(sources: StatusSources, server: IdentityServer, now: datetime) -> StatusSection:
    """Bearer tokens still valid that expire within 30 days (the IdP then gets 401)."""
    soon = [
        record
        for record in sources.tokens.list_for(server.id)
        if record.status(now) == "active"
        and record.expires_at is not None
        and record.expires_at <= now + TOKEN_WARNING
    ]
    soon.sort(key=lambda record: record.expires_at or now)
    value = [
        {"id": record.id, "comment": record.comment, "expires_at": _iso(record.expires_at)}
        for record in soon
    ]
    if soon:
        text = "; ".join(
            f"token {record.id} expires {_shown(record.expires_at)}"
            + (f" ({record.comment})" if record.comment else "")
            for record in soon
        )
        text += f" - issue a new one: glpi-scim token issue {server.id}"
    else:
        text = "none" if server.auth_method == "bearer" else "none (security is not bearer)"
    return StatusSection(
        "tokens",
        "Bearer tokens",
        (
            StatusItem(
                "expiring_within_30_days", "expiring within 30 days", value, text, alert=bool(soon)
            ),
        ),
    )


def guard_section(sources: StatusSources, server: IdentityServer, now: datetime) -> StatusSection:
    """The mass-change guard: its limit, and whether it refuses removals now."""
    state = GuardService(sources.database).state(server)
    if not state.limit.enabled:
        text = "off (no limit on deactivations and deletions)"
    elif state.tripped:
        text = (
            f"TRIPPED since {_shown(state.since)}: {state.count} removals within "
            f"{describe_duration(state.window)}, {state.refused} refused since; lift it with "
            f"glpi-scim server resume {server.name}"
        )
    else:
        text = (
            f"armed: {state.count} of {state.limit.count} removals in the last "
            f"{describe_duration(state.window)}"
        )
    value = {
        "max_removals": state.threshold,
        "window_seconds": int(state.window.total_seconds()),
        "tripped": state.tripped,
        "since": _iso(state.since),
        "removals": state.count,
        "refused": state.refused,
        "last_refused": _iso(state.last_refused),
    }
    return StatusSection(
        "guard",
        "Mass-change guard",
        (
            StatusItem(
                "state", "state", value, text, alert=state.tripped or not state.limit.enabled
            ),
        ),
    )


def ownership_section(
    sources: StatusSources, server: IdentityServer, now: datetime
) -> StatusSection:
    """How many GLPI users and groups this server owns (only it may write them)."""
    owners = tables.owners
    query = (
        select(owners.c.itemtype, func.count())
        .where(owners.c.servers_id == server.id)
        .group_by(owners.c.itemtype)
    )
    with sources.database.read() as connection:
        counts = {str(itemtype): int(n) for itemtype, n in connection.execute(query)}
    users, groups = counts.get("User", 0), counts.get("Group", 0)
    return StatusSection(
        "owned",
        "Owned in GLPI",
        (
            StatusItem("users", "users", users, str(users)),
            StatusItem("groups", "groups", groups, str(groups)),
        ),
    )


SECTIONS: list[SectionBuilder] = [
    activity_section,
    tokens_section,
    guard_section,
    ownership_section,
]


class StatusService:
    def __init__(self, database: Database, sections: list[SectionBuilder] | None = None) -> None:
        self.sources = StatusSources.of(database)
        self.sections = SECTIONS if sections is None else sections

    def status(self, server: IdentityServer, now: datetime | None = None) -> ServerStatus:
        moment = now or utcnow()
        return ServerStatus(
            server=server,
            checked_at=moment,
            sections=tuple(build(self.sources, server, moment) for build in self.sections),
        )


def _error_is_latest(error: datetime | None, success: datetime | None) -> bool:
    return error is not None and (success is None or error >= success)


def _counts(requests: int, errors: int) -> str:
    return f"{requests} request{'s' if requests != 1 else ''}, {errors} error{'s' * (errors != 1)}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _shown(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "never"
