"""Bodies: a 200 whose body is not what was asked for (HTML error page, truncated, not MPEG-TS)."""

from __future__ import annotations

from checks.findings import Code, Finding, Severity, evidence
from checks.timeline import ResourceKind, Timeline


def bodies_are_readable(timeline: Timeline) -> list[Finding]:
    """A successful answer must carry a playlist that parses, or a segment that demuxes."""
    groups: dict[tuple[Code, str | None], list] = {}
    for observation in timeline.observations:
        if observation.problem is None or observation.status is None:
            continue
        code = Code.SEGMENT_MALFORMED if observation.kind is ResourceKind.SEGMENT else Code.PLAYLIST_MALFORMED
        groups.setdefault((code, observation.rendition), []).append(observation)
    findings = []
    for (code, rendition), bad in groups.items():
        first = bad[0]
        what = "segment" if code is Code.SEGMENT_MALFORMED else f"{first.kind.value.replace('-', ' ')}"
        findings.append(
            Finding(
                code,
                Severity.ERROR,
                first.wall_time,
                rendition,
                f"{len(bad)} {what} response(s) answered {first.status} with an unusable body: {first.problem} "
                f"({first.origin or 'unknown origin'}, {first.url}); a player treats this as an error the CDN "
                "did not fail over on",
                evidence(responses=len(bad), problem=first.problem, url=first.url, status=first.status),
            )
        )
    return findings
