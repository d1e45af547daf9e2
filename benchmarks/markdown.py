"""Markdown tables of a run's JSON results, for docs/performance.md.

python -m benchmarks.markdown benchmarks/results/20250101-120000.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from benchmarks.report import rate

SUBJECTS = ("glpi-scim mariadb", "glpi-scim sqlite")
REFERENCES = ("scim2-server", "ceiling")


def _value(row: dict[str, Any]) -> float:
    return float(row["resources_per_s"] if row["phase"] == "paging" else row["rps"])


def comparison(results: dict[str, list[dict[str, Any]]]) -> str:
    servers = list(results)
    by = {name: {r["phase"]: r for r in rows} for name, rows in results.items()}
    phases: dict[str, str] = {}
    for rows in results.values():
        for r in rows:
            phases.setdefault(r["phase"], r["title"])
    pairs = [(s, r) for s in SUBJECTS if s in by for r in REFERENCES if r in by]
    head = ["phase", *servers, *(f"{s.removeprefix('glpi-scim ')} / {r}" for s, r in pairs)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for phase, title in phases.items():
        cells = [title.replace("|", "\\|")]
        for name in servers:
            row = by[name].get(phase)
            if row is None or row["skipped"]:
                cells.append("-")
            else:
                errors = f" ({row['errors']} err)" if row["errors"] else ""
                cells.append(rate(_value(row)) + errors)
        for subject, reference in pairs:
            mine, theirs = by[subject].get(phase), by[reference].get(phase)
            if not mine or not theirs or mine["skipped"] or theirs["skipped"] or not _value(theirs):
                cells.append("-")
            else:
                ratio = _value(mine) / _value(theirs)
                cells.append(f"{ratio:,.0f}x" if ratio >= 100 else f"{ratio:.2f}x")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def details(name: str, rows: list[dict[str, Any]]) -> str:
    head = ["phase", "requests", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms", "HWM MB",
            "srv CPU ms", "db CPU ms", "db rows", "SQL", "other load"]  # fmt: skip
    lines = [f"**{name}**", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if r["skipped"]:
            continue
        per = r.get("per_request", {})

        def opt(key: str, form: str, per: dict[str, float] = per) -> str:
            return form.format(per[key]) if key in per else "-"

        lines.append(
            "| "
            + " | ".join(
                [
                    r["title"].replace("|", "\\|"),
                    str(r["requests"]),
                    str(r["errors"]),
                    rate(_value(r)) + (" res/s" if r["phase"] == "paging" else ""),
                    f"{r['p50_ms']:.1f}",
                    f"{r['p90_ms']:.1f}",
                    f"{r['p99_ms']:.1f}",
                    f"{r['hwm_mb']:.0f}",
                    f"{r['server_cpu_ms']:.1f}",
                    opt("mariadbd_cpu_ms", "{:.1f}"),
                    opt("rows_read", "{:,.0f}"),
                    opt("statements", "{:.0f}"),
                    f"{r['other_load']:.2f}",
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def verdicts(found: list[dict[str, Any]]) -> str:
    lines = ["| target | measured | met |", "|---|---|---|"]
    for v in found:
        met = "yes" if v["ok"] else "n/a" if v["ok"] is None else "**no**"
        lines.append(f"| {v['target']} | {v['measured']} | {met} |")
    return "\n".join(lines)


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def main(path: str) -> None:
    """Print the comparison, per-server details and targets of a run as Markdown."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    results = data["results"]
    click.echo(comparison(results))
    click.echo()
    for name, rows in results.items():
        click.echo(details(name, rows))
        click.echo()
    if data.get("verdicts"):
        click.echo(verdicts(data["verdicts"]))


if __name__ == "__main__":
    main()
