"""bench/pipeline.py's CPU table: each stage service beside the in-process core it calls, and the
sums the goal of issue 9 compares (the services together against the cores in one process)."""

from __future__ import annotations

from typing import Any

import pytest

from bench._inprocess import IN_PROCESS_STAGES, InProcessRun, summary
from bench._phases import once_full
from bench._report import idle_ms_per_page, stage_cpu_ms


def _results() -> dict[str, Any]:
    runs = [InProcessRun(pages=10, docs=5), InProcessRun(pages=10, docs=5)]
    for run in runs:
        run.seconds = 1.0
        run.stage_cpu_s.update(ingest=0.001, ocr=0.02, classify=0.05, route=0.0)
    cpu = {"ingest": 0.002, "ocr": 0.004, "classify": 0.01, "router": 0.001, "broker": 0.003, "api": 0.005}
    return {"pipeline": {"text": {"cpu_s_per_page": cpu}}, "in_process": {"text": summary(runs)}}


def test_the_in_process_summary_has_cpu_per_page_per_stage() -> None:
    per_page = _results()["in_process"]["text"]["stage_cpu_s_per_page"]
    assert set(per_page) == set(IN_PROCESS_STAGES)
    assert per_page["classify"] == pytest.approx(0.005) and per_page["ocr"] == pytest.approx(0.002)


def test_each_stage_service_sits_beside_its_core_and_the_rest_have_none() -> None:
    table = stage_cpu_ms(_results(), "text")
    assert table["classify"] == pytest.approx((5.0, 10.0))
    assert table["router"] == pytest.approx((0.0, 1.0))  # the router's core: route
    assert table["broker"][0] is None and table["api"][0] is None


def test_the_sums_compare_the_services_with_the_whole_in_process_run() -> None:
    table = stage_cpu_ms(_results(), "text")
    assert table["the four stages"] == pytest.approx((7.1, 17.0))
    assert table["every process"] == pytest.approx((7.1, 25.0))


def test_the_idle_rate_times_the_bursts_length_is_shared_over_their_pages() -> None:
    results = _results()
    results["pipeline"]["text"].update(pages=80, repeats=2, seconds_runs=[4.0, 6.0])
    assert idle_ms_per_page(results, "text") is None  # a run from before the idle phase
    results["idle_cpu_s_per_s"] = {"broker": 0.05, "router": 0.03}
    assert idle_ms_per_page(results, "text") == pytest.approx(0.08 * 10.0 / 160 * 1000)


def test_the_rate_once_full_leaves_out_the_first_document_routed_and_its_wait() -> None:
    # Routed in another order than sent: the first routed (the third, 2 pages) starts the clock.
    pages, seconds = once_full([5.0, 6.5, 4.0, 7.0], [1, 3, 2, 1])
    assert (pages, seconds) == (5, 3.0)
