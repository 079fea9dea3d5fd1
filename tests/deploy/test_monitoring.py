"""The dashboard and the alert rules use only metrics that docroute exports (or the documented
Kafka exporter), and every alert carries what an on-call person needs."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from prometheus_client.metrics import MetricWrapperBase

from docroute import metrics
from tests.deploy.conftest import ROOT

MONITORING = ROOT / "deploy" / "monitoring"
EXTERNAL = {"kafka_consumergroup_lag", "up"}  # Kafka exporter, Prometheus itself
SERIES = re.compile(r"\b(docroute_[a-z0-9_]+|kafka_[a-z0-9_]+)\b")


def _exported() -> set[str]:
    """Every series name docroute's metrics module can produce."""
    names: set[str] = set()
    for value in vars(metrics).values():
        if not isinstance(value, MetricWrapperBase):
            continue
        for family in value.describe():
            suffixes = {
                "counter": ("_total",),
                "histogram": ("_bucket", "_sum", "_count"),
                "gauge": ("",),
            }.get(family.type, ("",))
            names |= {family.name + s for s in suffixes}
    return names


def _dashboard_exprs() -> list[str]:
    dash = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    exprs: list[str] = []

    def walk(panels: list[dict[str, Any]]) -> None:
        for p in panels:
            walk(p.get("panels", []))
            exprs.extend(t["expr"] for t in p.get("targets", []))

    walk(dash["panels"])
    return exprs


def _rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load((MONITORING / "alerts.yaml").read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def test_metrics_module_exports_the_documented_names() -> None:
    exported = _exported()
    for name in (
        "docroute_messages_processed_total",
        "docroute_processing_seconds_bucket",
        "docroute_routed_total",
        "docroute_confidence_bucket",
        "docroute_model_accuracy_ratio",
    ):
        assert name in exported


def test_dashboard_and_rules_use_exported_metrics() -> None:
    exported = _exported() | EXTERNAL
    recorded = {r["record"] for r in _rules() if "record" in r}
    for expr in _dashboard_exprs() + [r["expr"] for r in _rules()]:
        for name in SERIES.findall(expr):
            assert name in exported or name in recorded, f"{name} is not exported by docroute.metrics: {expr}"


def test_dashboard_covers_the_operating_questions() -> None:
    dash = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    titles = " | ".join(p["title"].lower() for p in dash["panels"])
    for topic in ("throughput", "p50", "p95", "review rate", "confidence drift", "lag", "dead-letter"):
        assert topic in titles, f"dashboard has no panel about {topic}"
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    assert dash["uid"] and any(v["type"] == "datasource" for v in dash["templating"]["list"])


def test_alerts_are_actionable() -> None:
    alerts = [r for r in _rules() if "alert" in r]
    names = {a["alert"] for a in alerts}
    for required in (
        "DocrouteHighReviewRate",
        "DocrouteDeadLetterGrowth",
        "DocrouteConsumerLagGrowing",
        "DocrouteModelAccuracyDrop",
        "DocrouteServiceDown",
    ):
        assert required in names
    readme = (ROOT / "deploy" / "README.md").read_text().lower()
    for alert in alerts:
        assert alert.get("for"), f"{alert['alert']}: no `for:` (would page on one bad scrape)"
        assert alert["labels"]["severity"] in ("warning", "critical")
        annotations = alert["annotations"]
        assert annotations.get("summary") and annotations.get("description"), alert["alert"]
        anchor = annotations["runbook_url"].split("#")[1]
        assert f"### {anchor}" in readme.replace("`", ""), f"runbook section for {alert['alert']} missing"
