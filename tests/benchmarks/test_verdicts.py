"""The filter targets compare the medians of alternating rounds at both database sizes."""

from __future__ import annotations

from benchmarks.load import PhaseResult

from benchmarks import verdicts


def result(phase: str, rps: float) -> PhaseResult:
    return PhaseResult(phase=phase, title=phase, requests=100, rps=rps, p50_ms=1000 / rps)


def test_median_by_rate_picks_the_middle_run_per_phase() -> None:
    runs = [
        [result("filter_username", 150), result("filter_email", 90)],
        [result("filter_username", 190), result("filter_email", 80)],
        [result("filter_username", 170), result("filter_email", 100)],
    ]
    chosen = {r.phase: r.rps for r in verdicts.median_by_rate(runs)}
    assert chosen == {"filter_username": 170, "filter_email": 90}


def test_filter_verdict_uses_the_rounds_when_there_are_some() -> None:
    results = {
        verdicts.SUBJECT: [result("filter_username", 120)],  # a slow moment of the main run
        verdicts.FILTER_ROUNDS: [result("filter_username", 176)],
        verdicts.BASELINE: [result("filter_username", 180)],
    }
    (found,) = [v for v in verdicts.check(results) if v.target.startswith("filter_username")]
    assert found.ok and found.measured.startswith("0.98x")
    del results[verdicts.FILTER_ROUNDS]
    (found,) = [v for v in verdicts.check(results) if v.target.startswith("filter_username")]
    assert not found.ok
