"""The doctor's checklist on a terminal: one line per check, the first failure in plain words."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from glpi_scim.doctor.report import DoctorReport

_MARKS = {"pass": ("✔", "green"), "fail": ("✘", "bold red"), "skip": ("-", "dim")}


def render(report: DoctorReport, console: Console) -> None:
    console.print(
        Text.assemble(
            ("glpi-scim doctor", "bold"),
            f"  {report.url}  (server {report.server}, security {report.auth_method})",
        )
    )
    width = max((len(check.name) for check in report.checks), default=0)
    for check in report.checks:
        mark, style = _MARKS[check.status]
        line = Text()
        line.append(f" {mark} ", style=style)
        line.append(check.name.ljust(width), style="bold" if check.status == "fail" else "")
        if check.status != "skip":
            line.append(f" {check.duration_ms:>5} ms", style="dim")
        line.append(f"  {check.detail}", style="dim" if check.status == "skip" else "")
        console.print(line)
    failure = report.first_failure
    if failure is not None and failure.explanation:
        console.print(
            Panel(
                failure.explanation,
                title=f"First failure: {failure.name}",
                title_align="left",
                border_style="red",
            ),
            soft_wrap=False,  # wrap the explanation inside the panel, never crop it
        )
    for note in report.notes:
        console.print(Text.assemble(("note: ", "yellow"), note))
    counts = report.counts()
    if report.ok:
        console.print(Text(f"All {counts['pass']} checks passed.", style="bold green"))
    else:
        console.print(
            Text(
                f"{counts['fail']} failed, {counts['pass']} passed, {counts['skip']} skipped.",
                style="bold red",
            )
        )
