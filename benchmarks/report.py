"""Rich tables of benchmark results, and the JSON file a run leaves under benchmarks/results/."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from benchmarks.load import PhaseResult

console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def rate(value: float) -> str:
    """Requests or resources per second: whole numbers, decimals below 10."""
    return f"{value:,.0f}" if value >= 10 else f"{value:.2f}"


def _mb(value: float) -> str:
    return f"{value:.0f}" if value else "-"


def _per_request(result: PhaseResult, name: str, form: str) -> str:
    value = result.per_request.get(name)
    return "-" if value is None else form.format(value)


def phase_table(title: str, results: Sequence[PhaseResult]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in (
        "phase",
        "requests",
        "errors",
        "req/s",
        "res/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "RSS MB",
        "HWM MB",
        "srv CPU ms",
        "db CPU ms",
        "db rows",
        "SQL",
        "other load",
    ):
        table.add_column(column, justify="left" if column == "phase" else "right")
    for r in results:
        if r.skipped:
            table.add_row(escape(r.title), "-", "-", f"[dim]{r.skipped}[/]", *[""] * 11)
            continue
        table.add_row(
            escape(r.title),
            str(r.requests),
            f"[red]{r.errors}[/]" if r.errors else "0",
            rate(r.rps),
            rate(r.resources_per_s),
            f"{r.p50_ms:.1f}",
            f"{r.p90_ms:.1f}",
            f"{r.p99_ms:.1f}",
            _mb(r.rss_peak_mb),
            _mb(r.hwm_mb),
            f"{r.server_cpu_ms:.1f}",
            _per_request(r, "mariadbd_cpu_ms", "{:.1f}"),
            _per_request(r, "rows_read", "{:,.0f}"),
            _per_request(r, "statements", "{:.0f}"),
            f"[yellow]{r.other_load:.2f}[/]" if r.other_load >= 0.25 else f"{r.other_load:.2f}",
        )
    return table


def _ratio(numerator: PhaseResult | None, denominator: PhaseResult | None, paging: bool) -> str:
    if not numerator or not denominator or numerator.skipped or denominator.skipped:
        return "-"
    top = numerator.resources_per_s if paging else numerator.rps
    bottom = denominator.resources_per_s if paging else denominator.rps
    if not bottom:
        return "-"
    ratio = top / bottom
    return f"{ratio:,.0f}x" if ratio >= 100 else f"{ratio:.2f}x"


def comparison_table(
    results: Mapping[str, Sequence[PhaseResult]],
    subjects: Sequence[str],
    references: Sequence[str],
    title: str = "Requests/s per phase (paging: resources/s)",
) -> Table:
    """Every server's req/s per phase (res/s for paging), then each subject / reference ratio."""
    by_server = {name: {r.phase: r for r in rows} for name, rows in results.items()}
    phases: dict[str, str] = {}
    for rows in results.values():
        for r in rows:
            phases.setdefault(r.phase, r.title)
    pairs = [
        (s, r) for s in subjects if s in results for r in references if r in results and r != s
    ]
    table = Table(title=title, title_justify="left")
    table.add_column("phase")
    for name in results:
        table.add_column(name, justify="right")
    for subject, reference in pairs:
        table.add_column(f"{subject} / {reference}", justify="right")
    for phase, title_text in phases.items():
        paging = phase == "paging"
        cells = [escape(title_text)]
        for name in results:
            found = by_server[name].get(phase)
            if found is None or found.skipped:
                cells.append("-")
            else:
                value = found.resources_per_s if paging else found.rps
                flag = f" [red]({found.errors} err)[/]" if found.errors else ""
                cells.append(f"{rate(value)}{flag}")
        for subject, reference in pairs:
            cells.append(
                _ratio(by_server[subject].get(phase), by_server[reference].get(phase), paging)
            )
        table.add_row(*cells)
    return table


def scaling_table(results: Mapping[str, Sequence[PhaseResult]]) -> Table:
    """One row per server configuration: req/s per phase, and its ratio to the first row."""
    names = list(results)
    phases: dict[str, str] = {}
    for rows in results.values():
        for row in rows:
            phases.setdefault(row.phase, row.title)
    first = {row.phase: row for row in results[names[0]]} if names else {}
    table = Table(title="Requests/s by server configuration", title_justify="left")
    table.add_column("configuration")
    for title in phases.values():
        table.add_column(escape(title), justify="right")
    table.add_column("peak RSS MB", justify="right")
    for name in names:
        by_phase = {r.phase: r for r in results[name]}
        cells = [name]
        for phase in phases:
            r, base = by_phase.get(phase), first.get(phase)
            if r is None or r.skipped:
                cells.append("-")
                continue
            ratio = f" ({r.rps / base.rps:.2f}x)" if base and base.rps and name != names[0] else ""
            flag = f" [red]({r.errors} err)[/]" if r.errors else ""
            cells.append(f"{rate(r.rps)}{ratio}{flag}")
        peak = max((x.rss_peak_mb for x in results[name]), default=0.0)
        cells.append(_mb(peak))
        table.add_row(*cells)
    return table
