"""The performance targets, checked against a run's results.

Issue 17's: every phase scim2-server also runs at least 1x its requests/s (the goal, 2x, is
shown beside it), paging at least 10x its resources/s, GET by id at least 0.25x the framework
ceiling, member add/remove on the big group p99 under 20 ms with 4 clients, server RSS under
150 MB. Kept from earlier targets: the filters at 100k users within 10 % of 1k users, and the
group GET that reads no members."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from benchmarks.load import PhaseResult
from benchmarks.report import rate

SUBJECT = "glpi-scim mariadb"
REFERENCE = "scim2-server"
CEILING = "ceiling"
BASELINE = "glpi-scim mariadb 1k"
FILTER_ROUNDS = "glpi-scim mariadb, filter rounds"  # the full database, next to BASELINE
SERIAL = "glpi-scim mariadb, 1 client"
MEMBER_PHASES = ("member_add_remove", "member_add_remove_204")
FILTER_PHASES = ("filter_username", "filter_externalid", "filter_email")
PHASE_RATIO = 1.0  # of scim2-server's requests/s, in every phase it runs
PHASE_GOAL = 2.0
PAGING_RATIO = 10.0  # of its resources/s
CEILING_RATIO = 0.25  # of the framework ceiling's GETs/s
RSS_LIMIT_MB = 150.0
MEMBER_P99_MS = 20.0
GROUP_GET_ROWS = 1000.0  # rows read per request well below the 50,000 members


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    ok: bool | None  # None: not measured in this run

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def median_by_rate(runs: Sequence[Sequence[PhaseResult]]) -> list[PhaseResult]:
    """Per phase, the run with the median requests/s (the lower middle of an even count)."""
    by_phase: dict[str, list[PhaseResult]] = {}
    for run in runs:
        for result in run:
            by_phase.setdefault(result.phase, []).append(result)
    chosen = []
    for results in by_phase.values():
        ordered = sorted(results, key=lambda r: r.rps)
        chosen.append(ordered[(len(ordered) - 1) // 2])
    return chosen


def _index(results: Mapping[str, Sequence[PhaseResult]]) -> dict[str, dict[str, PhaseResult]]:
    return {name: {r.phase: r for r in rows if not r.skipped} for name, rows in results.items()}


def check(results: Mapping[str, Sequence[PhaseResult]]) -> list[Verdict]:
    by = _index(results)
    subject = by.get(SUBJECT, {})
    verdicts: list[Verdict] = []

    reference = by.get(REFERENCE, {})
    for phase, mine in subject.items():
        theirs = reference.get(phase)
        if theirs is None:
            continue
        paging = phase == "paging"
        need = PAGING_RATIO if paging else PHASE_RATIO
        a = mine.resources_per_s if paging else mine.rps
        b = theirs.resources_per_s if paging else theirs.rps
        ratio = a / b if b else float("inf")
        unit = "resources/s" if paging else "req/s"
        reached = "met" if ratio >= PHASE_GOAL else "not met"
        goal = "" if paging else f"; goal {PHASE_GOAL:g}x {reached}"
        verdicts.append(
            Verdict(
                f"{phase}: >= {need:g}x scim2-server {unit}",
                f"{ratio:.2f}x ({rate(a)} vs {rate(b)}){goal}",
                ratio >= need and mine.errors == 0,
            )
        )

    ceiling_get = by.get(CEILING, {}).get("get")
    if "get" in subject and ceiling_get:
        ratio = subject["get"].rps / ceiling_get.rps if ceiling_get.rps else 0.0
        verdicts.append(
            Verdict(
                f"get by id: >= {CEILING_RATIO:g}x the ceiling",
                f"{ratio:.2f}x ({subject['get'].rps:,.0f} vs {ceiling_get.rps:,.0f} req/s)",
                ratio >= CEILING_RATIO,
            )
        )

    baseline = by.get(BASELINE, {})
    # The rounds run next to the baseline's; without them, the main run's phases.
    full = by.get(FILTER_ROUNDS) or subject
    for phase in FILTER_PHASES:
        big, small = full.get(phase), baseline.get(phase)
        if big and small and small.rps:
            ratio = big.rps / small.rps
            verdicts.append(
                Verdict(
                    f"{phase}: at 100k users within 10% of 1k users",
                    f"{ratio:.2f}x ({big.rps:,.0f} vs {small.rps:,.0f} req/s; p50 "
                    f"{big.p50_ms:.1f} vs {small.p50_ms:.1f} ms)",
                    ratio >= 0.9,
                )
            )

    for source, clients in ((subject, "4 clients"), (by.get(SERIAL, {}), "1 client")):
        for phase, label in (
            ("member_add_remove", "member add/remove on the big group"),
            ("member_add_remove_204", "the same, members_patch_no_content"),
        ):
            members = source.get(phase)
            if members:
                verdicts.append(
                    Verdict(
                        f"{label} ({clients}): p99 < {MEMBER_P99_MS:g} ms",
                        f"p99 {members.p99_ms:.1f} ms (p50 {members.p50_ms:.1f} ms)",
                        members.p99_ms < MEMBER_P99_MS and members.errors == 0,
                    )
                )

    group_get = subject.get("group_get")
    if group_get:
        rows = group_get.per_request.get("rows_read")
        shown = f"{rows:,.0f} rows read/request" if rows is not None else "rows read not sampled"
        verdicts.append(
            Verdict(
                "group GET excludedAttributes=members reads no members",
                shown,
                None if rows is None else rows < GROUP_GET_ROWS and group_get.errors == 0,
            )
        )

    for name in (SUBJECT, "glpi-scim sqlite"):
        rows_of = results.get(name)
        if rows_of:
            peak = max(
                (max(r.hwm_mb, r.rss_peak_mb) for r in rows_of if not r.skipped), default=0.0
            )
            verdicts.append(
                Verdict(
                    f"{name}: server RSS < {RSS_LIMIT_MB:g} MB",
                    f"peak {peak:.0f} MB",
                    peak < RSS_LIMIT_MB,
                )
            )
    return verdicts
