"""Results of a doctor run: one line per check, the first failure explained, JSON for scripts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["pass", "fail", "skip"]


@dataclass
class CheckResult:
    name: str
    status: Status
    detail: str = ""
    # Plain words for a person: what the failure means and what to do about it.
    explanation: str = ""
    duration_ms: int = 0


@dataclass
class DoctorReport:
    url: str
    server: str
    auth_method: str
    checks: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.status == "pass" for check in self.checks)

    @property
    def first_failure(self) -> CheckResult | None:
        return next((check for check in self.checks if check.status == "fail"), None)

    def counts(self) -> dict[str, int]:
        totals = {"pass": 0, "fail": 0, "skip": 0}
        for check in self.checks:
            totals[check.status] += 1
        return totals

    def to_json(self) -> dict[str, Any]:
        failure = self.first_failure
        return {
            "ok": self.ok,
            "url": self.url,
            "server": self.server,
            "auth_method": self.auth_method,
            "counts": self.counts(),
            "first_failure": asdict(failure) if failure else None,
            "checks": [asdict(check) for check in self.checks],
            "notes": list(self.notes),
        }
