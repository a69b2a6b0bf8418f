"""Availability: every error the viewer got, grouped into outage windows per rendition."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from checks.findings import Code, Finding, Severity, evidence
from checks.timeline import Observation, Timeline

MULTIVARIANT = "multivariant"


@dataclass(frozen=True)
class Outage:
    rendition: str
    failures: tuple[Observation, ...]
    recovered_by: Observation | None  # the first good answer after it, None if it never recovered

    @property
    def seconds(self) -> float:
        end = self.recovered_by.done if self.recovered_by else self.failures[-1].done
        return end - self.failures[0].monotonic


def outages(timeline: Timeline) -> list[Outage]:
    by_rendition: dict[str, list[Observation]] = {}
    for observation in timeline.observations:
        by_rendition.setdefault(observation.rendition or MULTIVARIANT, []).append(observation)
    found = []
    for rendition, observations in by_rendition.items():
        failures: list[Observation] = []
        for observation in observations:
            if observation.failed:
                failures.append(observation)
            elif failures:
                found.append(Outage(rendition, tuple(failures), observation))
                failures = []
        if failures:
            found.append(Outage(rendition, tuple(failures), None))
    return sorted(found, key=lambda o: o.failures[0].monotonic)


def no_outages(timeline: Timeline) -> list[Finding]:
    """Every request a player makes should get a usable answer; each run of failures is one outage."""
    findings = []
    for outage in outages(timeline):
        causes = Counter(o.describe_failure() for o in outage.failures)
        summary = ", ".join(f"{cause} x{count}" for cause, count in causes.most_common())
        origins = sorted({o.origin for o in outage.failures if o.origin})
        ending = "and never recovered while watched" if outage.recovered_by is None else "then recovered"
        findings.append(
            Finding(
                Code.OUTAGE,
                Severity.ERROR,
                outage.failures[0].wall_time,
                None if outage.rendition == MULTIVARIANT else outage.rendition,
                f"{outage.rendition}: {len(outage.failures)} failed request(s) over {outage.seconds:.1f} s "
                f"({summary}) {ending}"
                + (f"; served by {', '.join(origins)}" if origins else ""),
                evidence(
                    failures=len(outage.failures),
                    seconds=f"{outage.seconds:.1f}",
                    causes=summary,
                    first_url=outage.failures[0].url,
                ),
            )
        )
    return findings
