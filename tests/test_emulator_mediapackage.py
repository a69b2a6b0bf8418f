"""The emulated MediaPackage v2 endpoint and media-quality-based selection behave as AWS documents them
(dynamic-origins-mqar.md 2.5, 3): one set of renditions from two inputs, input switching inside the region,
404 on a stale manifest where forced endpoint errors are on, CMSD attribution and the quality score, 403
for a denied or unauthenticated reader; the edge routes by score, ties to the primary, and not at all with
a Lambda@Edge origin trigger."""

from __future__ import annotations

import pytest
import requests

from checks.hls_parse import parse_media_playlist, parse_multivariant
from fixtures.emulator import EmulatedStack, Misconfiguration, OriginKind
from fixtures.emulator.mediapackage import ACTIVE_INPUT_HEADER, CDN_IDENTIFIER_V2_HEADER, CMSD_STATIC, MQCS_CMSD_KEY, score_of
from tests.conftest import MakeStack
from tests.emulator_client import edge_get, origin_get, wait_for

MP = OriginKind.MEDIAPACKAGE_V2
MQAR = "media-quality-based"
MEDIA = "live/180p.m3u8"


def _origin(stack: EmulatedStack, region: str, key: str = MEDIA) -> requests.Response:
    return origin_get(stack, region, key)


def test_the_endpoint_merges_both_inputs_into_one_set_of_renditions(make_stack: MakeStack) -> None:
    stack = make_stack(0.5, origin_kind=MP)
    index = _origin(stack, stack.primary, "live/index.m3u8")
    assert [v.uri for v in parse_multivariant(index.content, index.url).variants] == ["180p.m3u8", "90p.m3u8"]
    media = _origin(stack, stack.primary)
    playlist = parse_media_playlist(media.content, media.url)
    assert len(playlist.segments) == 5
    assert media.headers[CMSD_STATIC].startswith(f'n="MediaPackage:{stack.primary}:') and media.headers[ACTIVE_INPUT_HEADER] == "1"
    assert score_of(media.headers[CMSD_STATIC]) == 100
    segment = _origin(stack, stack.primary, f"live/{playlist.segments[-1].uri}")
    assert segment.status_code == 200 and score_of(segment.headers[CMSD_STATIC]) == 100


def test_a_paused_pipeline_is_absorbed_by_the_other_input(make_stack: MakeStack) -> None:
    stack = make_stack(0.5, origin_kind=MP)
    before = parse_media_playlist(_origin(stack, stack.primary).content, MEDIA).media_sequence
    stack.pause_pipeline(stack.primary, 0)
    switched = wait_for(lambda: (r := _origin(stack, stack.primary)).headers.get(ACTIVE_INPUT_HEADER) == "2" and r, 5, "input 2")
    after = parse_media_playlist(switched.content, MEDIA)
    assert switched.status_code == 200 and after.media_sequence > before  # the window kept moving, on input 2


def test_a_stale_endpoint_answers_404_only_where_forced_endpoint_errors_are_on(make_stack: MakeStack) -> None:
    stack = make_stack(0.5, origin_kind=MP)
    for region in stack.regions:
        for pipeline in stack.pipelines:
            stack.pause_pipeline(region, pipeline)
    wait_for(lambda: _origin(stack, stack.primary).status_code == 404, 5, "the primary's 404")
    assert "STALE_MANIFEST" in _origin(stack, stack.primary).text
    segment = parse_media_playlist(_origin(stack, stack.secondary).content, MEDIA).segments[-1].uri
    assert _origin(stack, stack.primary, f"live/{segment}").status_code == 404  # segments too, until consistent again
    assert _origin(stack, stack.secondary).status_code == 200  # the backup keeps its (stale) manifest


def test_a_hole_is_a_404_with_incomplete_manifest_and_a_short_window_without(make_stack: MakeStack) -> None:
    stack = make_stack(0.5, origin_kind=MP)
    for pipeline in stack.pipelines:
        stack.pause_pipeline(stack.primary, pipeline)
    wait_for(lambda: _origin(stack, stack.primary).status_code == 404, 5, "stale")
    for pipeline in stack.pipelines:
        stack.resume_pipeline(stack.primary, pipeline)
    short = wait_for(lambda: (r := _origin(stack, stack.primary)).status_code == 200 and r, 5, "the resumed endpoint")
    assert len(parse_media_playlist(short.content, MEDIA).segments) < 5  # the run after the hole
    stack.set_endpoint_error_conditions(stack.primary, frozenset({"STALE_MANIFEST", "INCOMPLETE_MANIFEST"}))
    incomplete = _origin(stack, stack.primary)
    assert incomplete.status_code == 404 and "INCOMPLETE_MANIFEST" in incomplete.text


def test_a_denied_or_unauthenticated_reader_gets_403(make_stack: MakeStack) -> None:
    stack = make_stack(0.5, origin_kind=MP)
    assert stack.config.edge.secret_header == CDN_IDENTIFIER_V2_HEADER
    assert origin_get(stack, stack.primary, MEDIA, secret=False).status_code == 403
    stack.deny_endpoint(stack.primary, True)
    assert _origin(stack, stack.primary).status_code == 403
    stack.deny_endpoint(stack.primary, False)
    assert _origin(stack, stack.primary).status_code == 200


def test_a_quality_drop_lowers_the_score_of_what_is_written_after_it(make_stack: MakeStack) -> None:
    stack = make_stack(0.5, origin_kind=MP)
    stack.drop_input_quality(stack.primary, True)
    low = wait_for(lambda: (r := _origin(stack, stack.primary)) and score_of(r.headers[CMSD_STATIC]) == 35 and r, 5, "a low score")
    assert low.status_code == 200  # no HTTP error anywhere
    assert score_of(_origin(stack, stack.secondary).headers[CMSD_STATIC]) == 100


def test_an_endpoint_that_does_not_publish_mqcs_sends_no_score(make_stack: MakeStack) -> None:
    stack = make_stack(0.5, Misconfiguration.QUALITY_SCORE_NOT_PUBLISHED, origin_kind=MP, selection_criteria=MQAR)
    header = _origin(stack, stack.primary).headers[CMSD_STATIC]
    assert MQCS_CMSD_KEY not in header and score_of(header) is None


@pytest.mark.parametrize(
    "wrong,moves", [((), True), ((Misconfiguration.MQAR_WITH_LAMBDA_EDGE,), False), ((Misconfiguration.QUALITY_SCORE_NOT_PUBLISHED,), False)],
    ids=["mqar", "lambda-edge-turns-it-off", "no-score"],
)
def test_the_edge_routes_by_score_and_ties_to_the_primary(make_stack: MakeStack, wrong: tuple[Misconfiguration, ...], moves: bool) -> None:
    stack = make_stack(0.5, *wrong, origin_kind=MP, selection_criteria=MQAR)
    assert edge_get(stack, MEDIA).headers[CMSD_STATIC].startswith(f'n="MediaPackage:{stack.primary}:')  # a tie: the primary
    stack.drop_input_quality(stack.primary, True)
    def served() -> str:
        return edge_get(stack, MEDIA).headers[CMSD_STATIC].split(":")[1]

    if moves:
        wait_for(lambda: served() == stack.secondary, 5, "the edge to move by score")
        stack.drop_input_quality(stack.primary, False)
        wait_for(lambda: served() == stack.primary, 5, "the edge to come back (it HEADs the primary meanwhile)")
    else:
        for _ in range(20):  # 2 s, four segments of low score: nothing may move
            assert served() == stack.primary
            wait_for(lambda: True, 0.1, "a tick", every_s=0.1)


def test_score_of_reads_only_the_score_key() -> None:
    assert score_of(f'n="MediaPackage:r:g:c:e",{MQCS_CMSD_KEY}=87') == 87
    assert score_of('n="MediaPackage:r:g:c:e",st=l') is None
    assert score_of(None) is None
