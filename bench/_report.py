"""The bench's figures as markdown tables."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bench._phases import STAGE_SPANS
from bench._stack import ROOT

_SPAN_NAMES = {
    "ingest": "ingest: submit -> received",
    "ocr": "ocr: received -> text_extracted",
    "classify": "classify: text_extracted -> classified",
    "router": "router: classified -> routed",
    "end-to-end": "end-to-end: submit -> routed",
}


def render(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        f"## docroute pipeline bench, {m['date']} "
        f"({'quick' if r['quick'] else 'default'} run, {r['runtime_s']:.0f} s)",
        "",
        f"{m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB; load average (1/5/15 min) "
        f"before {_load(m['load_before'])}, after {_load(m['load_after'])}; database {m['database']}, "
        f"Tansu {m['broker']}; one replica per service; stack start {r['startup_s']:.0f} s"
        + "".join(f"; {name}={value}" for name, value in m.get("service_env", {}).items())
        + ".",
        "",
        *_main_table(r),
        "",
        *_stage_cpu_table(r),
        "",
        *_training_table(r["training"]),
        "",
        *_process_table(r),
    ]
    return "\n".join(lines)


def _full(burst: dict[str, Any]) -> str:
    """The rate once full; "-" for figures saved before it was measured."""
    if burst.get("pages_per_s_full") is None:
        return "-"
    return f"{burst['pages_per_s_full']:.2f} ({_range(burst['pages_per_s_full_runs'])})"


def _ratio(part: float | None, whole: float) -> str:
    return "-" if part is None else f"{part / whole:.2f}"


def _main_table(r: dict[str, Any]) -> list[str]:
    p, ip, one = r["pipeline"], r["in_process"], r["one_at_a_time"]
    kinds = ("text", "scans")
    rows = [
        "| figure | text PDFs | PNG scans (Tesseract) |",
        "|---|---|---|",
        _row(
            "burst: documents x pages (x repeats, fresh documents each)",
            [f"{p[k]['docs']} x {p[k]['pages'] // p[k]['docs']} (x {p[k]['repeats']})" for k in kinds],
        ),
        _row(
            "**pipeline pages/s**, median (range): first submit -> last routed",
            [f"**{p[k]['pages_per_s']:.2f}** ({_range(p[k]['pages_per_s_runs'])})" for k in kinds],
        ),
        _row(
            "in-process pages/s, median (range): the cores in one process, one core",
            [f"{ip[k]['pages_per_s']:.2f} ({_range(ip[k]['pages_per_s_runs'])})" for k in kinds],
        ),
        _row("pipeline / in-process", [f"{p[k]['pages_per_s'] / ip[k]['pages_per_s']:.2f}" for k in kinds]),
        _row(
            "pipeline pages/s once full, median (range): first routed -> last routed",
            [_full(p[k]) for k in kinds],
        ),
        _row(
            "pipeline once full / in-process",
            [_ratio(p[k].get("pages_per_s_full"), ip[k]["pages_per_s"]) for k in kinds],
        ),
        _row(
            "right class: pipeline / in-process",
            [f"{p[k]['accuracy']:.0%} / {ip[k]['accuracy']:.0%}" for k in kinds],
        ),
        _row("failed (dead-lettered)", [str(len(p[k]["failed"])) for k in kinds]),
        _row(
            "API projection: events a batch (one transaction and offset commit)",
            [_number(p[k].get("api_events_per_batch")) for k in kinds],
        ),
        _row(
            "classify: messages a batch (one handler call, one embedding call)",
            [_number(p[k].get("classify_messages_per_batch")) for k in kinds],
        ),
    ]
    for title, runs in (("burst", p), ("alone", one)):
        for name, _, _ in STAGE_SPANS:
            cells = [_pct(runs[k]["latency_s"][name]) for k in kinds]
            rows.append(_row(f"{title} p50 / p95 s, {_SPAN_NAMES[name]}", cells))
    for stage in ("ingest", "ocr", "classify", "route"):
        rows.append(
            _row(
                f"in-process ms/page, {stage}",
                [f"{ip[k]['stage_seconds_per_page'][stage] * 1000:.1f}" for k in kinds],
            )
        )
    return rows


# Each pipeline service and the in-process stage that calls the same core (bench/_inprocess.py).
STAGE_OF_SERVICE = {"ingest": "ingest", "ocr": "ocr", "classify": "classify", "router": "route"}


def stage_cpu_ms(r: dict[str, Any], kind: str) -> dict[str, tuple[float | None, float]]:
    """CPU ms per page of `kind` ("text", "scans"), per process: (in-process, the service).

    In-process is None for a process whose work the cores in one process do not do (broker,
    S3, the API's projection, the trainer). The last two entries are the sums: over the four
    stage services, and over every process of the stack, each against the whole in-process run.
    """
    services = r["pipeline"][kind]["cpu_s_per_page"]
    in_process = r["in_process"][kind]["stage_cpu_s_per_page"]
    whole = sum(in_process.values()) * 1000
    out: dict[str, tuple[float | None, float]] = {}
    # The stages in pipeline order, then the processes no stage of the cores stands for.
    names = [n for n in STAGE_OF_SERVICE if n in services] + sorted(set(services) - set(STAGE_OF_SERVICE))
    for name in names:
        seconds = services[name]
        stage = STAGE_OF_SERVICE.get(name)
        out[name] = (None if stage is None else in_process[stage] * 1000, seconds * 1000)
    out["the four stages"] = (whole, sum(services.get(n, 0.0) for n in STAGE_OF_SERVICE) * 1000)
    out["every process"] = (whole, sum(services.values()) * 1000)
    return out


def idle_ms_per_page(r: dict[str, Any], kind: str) -> float | None:
    """How much of every process's CPU per page in the bursts of `kind` their idle rate
    accounts for: CPU per second with nothing sent x the bursts' seconds / their pages."""
    idle = r.get("idle_cpu_s_per_s")
    if not idle:
        return None
    run = r["pipeline"][kind]
    pages = run["pages"] * run["repeats"]
    return sum(idle.values()) * sum(run["seconds_runs"]) / pages * 1000


def _stage_cpu_table(r: dict[str, Any]) -> list[str]:
    kinds = ("text", "scans")
    rows = [
        "| CPU ms/page: in-process / pipeline (ratio) | text PDFs | PNG scans (Tesseract) |",
        "|---|---|---|",
    ]
    tables = {kind: stage_cpu_ms(r, kind) for kind in kinds}
    for name in tables["text"]:
        cells = []
        for kind in kinds:
            alone, service = tables[kind].get(name, (None, 0.0))
            ratio = f" ({service / alone:.1f}x)" if alone else ""
            cells.append(f"{'-' if alone is None else f'{alone:.1f}'} / {service:.1f}{ratio}")
        rows.append(_row(name, cells))
    idle = [idle_ms_per_page(r, kind) for kind in kinds]
    if None not in idle:
        rows.append(
            _row(
                "of which every process's idle CPU/s x the bursts' length",
                [f"{ms:.1f} ({sum(r['idle_cpu_s_per_s'].values()) * 1000:.0f} ms/s)" for ms in idle],
            )
        )
    return rows


def _training_table(training: list[dict[str, Any]]) -> list[str]:
    rows = [
        "| training request (POST /workflows/{key}/train) | samples | request -> model.published s "
        "| request -> first classified by it s | trainer's fit s | out-of-fold accuracy |",
        "|---|---|---|---|---|---|",
    ]
    for t in training:
        rows.append(
            _row(
                f"v{t['version']} ({t['embedder_id']}, probe every {t['probe_interval_s']:g} s)",
                [
                    str(t["n_samples"]),
                    f"{t['request_to_published_s']:.1f}",
                    f"{t['request_to_serving_s']:.1f}",
                    f"{t['training_seconds']:.1f}",
                    f"{t['accuracy']:.0%}",
                ],
            )
        )
    return rows


def _process_table(r: dict[str, Any]) -> list[str]:
    rows = [
        "| process | peak RSS MiB | manifest memory request | CPU s/page, text / scans "
        "| handler s/message, text / scans | idle CPU ms/s |",
        "|---|---|---|---|---|---|",
    ]
    idle = r.get("idle_cpu_s_per_s", {})
    text, scans = r["pipeline"]["text"], r["pipeline"]["scans"]
    for name, rss in r["peak_rss_mib"].items():
        cpu = f"{text['cpu_s_per_page'].get(name, 0):.3f} / {scans['cpu_s_per_page'].get(name, 0):.3f}"
        handling = [run["handling_s_per_message"].get(name) for run in (text, scans)]
        handled = " / ".join("-" if h is None else f"{h:.3f}" for h in handling)
        idle_ms = f"{idle[name] * 1000:.0f}" if name in idle else "-"
        rows.append(_row(name, [f"{rss:.0f}", manifest_memory_request(name) or "-", cpu, handled, idle_ms]))
    return rows


def manifest_memory_request(service: str) -> str | None:
    """`resources.requests.memory` of deploy/k8s/base/<service>.yaml, if there is one."""
    path = ROOT / "deploy" / "k8s" / "base" / f"{service}.yaml"
    if not Path(path).is_file():
        return None
    match = re.search(r"requests:\s*\n(?:\s+\w+:.*\n)*?\s+memory:\s*(\S+)", path.read_text())
    return match.group(1) if match else None


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _row(label: str, cells: list[str]) -> str:
    return f"| {label} | " + " | ".join(cells) + " |"


def _pct(p: dict[str, float]) -> str:
    return f"{p['p50']:.2f} / {p['p95']:.2f}" if p["n"] else "-"


def _range(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


def _load(values: list[float]) -> str:
    return "/".join(f"{v:.2f}" for v in values)
