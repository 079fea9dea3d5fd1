"""Structure of the Kubernetes manifests: the pod standards every docroute workload must meet,
scaling that the topic partitions can carry, and no secret values anywhere under deploy/."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from docroute import topics
from tests.deploy.conftest import K8S, ROOT, Rendering

SERVICES = ("ingest", "ocr", "classify", "router", "trainer", "api")
SCALED = {"ocr": topics.DOCUMENT_RECEIVED, "classify": topics.DOCUMENT_TEXT_EXTRACTED}
MODEL_LOADERS = {"ocr", "classify"}  # must have a startupProbe
UID = 10001
SECRET_KEYS = (
    "DOCROUTE_KAFKA__SASL_USERNAME",
    "DOCROUTE_KAFKA__SASL_PASSWORD",
    "DOCROUTE_S3__ACCESS_KEY_ID",
    "DOCROUTE_S3__SECRET_ACCESS_KEY",
    "DOCROUTE_DATABASE__URL",
)
SECRETISH = re.compile(r"PASSWORD|SECRET|TOKEN|ACCESS_KEY|API_KEY|DATABASE__URL|CREDENTIAL", re.I)


def _workloads(r: Rendering) -> list[tuple[str, dict[str, Any]]]:
    """(name, pod spec) of every Deployment and Job."""
    return [(d["metadata"]["name"], d["spec"]["template"]["spec"]) for d in r.of("Deployment") + r.of("Job")]


def _port_names(container: dict[str, Any]) -> set[str]:
    return {p["name"] for p in container.get("ports", [])}


# --- every workload ---------------------------------------------------------------------------


def test_every_service_has_a_deployment_service_and_account(rendering: Rendering) -> None:
    for name in SERVICES:
        dep = rendering.named("Deployment", name)
        assert dep, f"{rendering.name}: no Deployment {name}"
        assert rendering.named("ServiceAccount", name), f"{rendering.name}: no ServiceAccount {name}"
        assert dep["spec"]["template"]["spec"]["serviceAccountName"] == name
        svc = rendering.named("Service", name)
        assert svc, f"{rendering.name}: no Service {name}"
        assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]
        port_names = {p["name"] for p in svc["spec"]["ports"]}
        assert "metrics" in port_names, f"{name}: Service has no `metrics` port"
        container = dep["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == [name], f"{name}: the image's entry point takes the service name"
    api_ports = {p["name"]: p["port"] for p in rendering.named("Service", "api")["spec"]["ports"]}
    assert api_ports["http"] == 8080


def test_pod_security(rendering: Rendering) -> None:
    for name, pod in _workloads(rendering):
        ctx = pod.get("securityContext", {})
        assert ctx.get("runAsNonRoot") is True, f"{name}: pod runAsNonRoot"
        assert ctx.get("runAsUser") == UID, f"{name}: pod runAsUser {UID} (the image's user)"
        assert ctx.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{name}: seccomp"
        assert pod.get("automountServiceAccountToken") is False, f"{name}: no API token in the pod"
        assert not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC"), name
        for c in pod["containers"] + pod.get("initContainers", []):
            sc = c.get("securityContext", {})
            where = f"{name}/{c['name']}"
            assert sc.get("runAsNonRoot") is True, f"{where}: runAsNonRoot"
            assert sc.get("runAsUser", UID) == UID, f"{where}: runAsUser"
            assert sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem"
            assert sc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation"
            assert sc.get("privileged", False) is False, f"{where}: privileged"
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: drop ALL capabilities"
            assert not sc.get("capabilities", {}).get("add"), f"{where}: adds capabilities"


def test_writable_tmp_is_an_empty_dir(rendering: Rendering) -> None:
    for name, pod in _workloads(rendering):
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for c in pod["containers"]:
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{name}: /tmp must be writable (read-only root filesystem)"
            assert "emptyDir" in volumes[mounts["/tmp"]], f"{name}: /tmp is not an emptyDir"
            assert volumes[mounts["/tmp"]]["emptyDir"].get("sizeLimit"), f"{name}: emptyDir without sizeLimit"


def test_resources_requests_and_limits(rendering: Rendering) -> None:
    for name, pod in _workloads(rendering):
        for c in pod["containers"]:
            res = c.get("resources", {})
            for kind in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    assert res.get(kind, {}).get(resource), f"{name}: {kind}.{resource} missing"
            assert _bytes(res["requests"]["memory"]) <= _bytes(res["limits"]["memory"]), name
            assert _cpu(res["requests"]["cpu"]) <= _cpu(res["limits"]["cpu"]), name


def test_probes(rendering: Rendering) -> None:
    for dep in rendering.of("Deployment"):
        name = dep["metadata"]["name"]
        c = dep["spec"]["template"]["spec"]["containers"][0]
        ports = _port_names(c)
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            http = c.get(probe, {}).get("httpGet")
            assert http, f"{name}: {probe} missing"
            assert http["path"] == path, f"{name}: {probe} must call {path}"
            assert http["port"] in ports, f"{name}: {probe} port {http['port']} is not a declared port"
        if name in MODEL_LOADERS:
            startup = c.get("startupProbe", {})
            assert startup.get("httpGet", {}).get("path") == "/healthz", f"{name}: startupProbe (model load)"
            budget = startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3)
            assert budget >= 120, f"{name}: startupProbe allows only {budget}s for the model load"


def test_graceful_shutdown(rendering: Rendering) -> None:
    for dep in rendering.of("Deployment"):
        pod = dep["spec"]["template"]["spec"]
        assert pod.get("terminationGracePeriodSeconds") == 60, dep["metadata"]["name"]


def test_image_pinned_through_kustomize(rendering: Rendering) -> None:
    for name, pod in _workloads(rendering):
        for c in pod["containers"]:
            image = c["image"]
            if not rendering.rendered:
                assert image == "docroute", f"{name}: base uses the image name `docroute` for `images:`"
                continue
            assert "@sha256:" in image or re.search(r":[\w.-]+$", image), f"{name}: {image} has no tag"
            assert not image.endswith(":latest"), f"{name}: {image} uses latest"


def test_settings_and_credentials_come_from_config_and_secret(rendering: Rendering) -> None:
    config = rendering.named("ConfigMap", "docroute-config")
    assert config, "ConfigMap docroute-config missing"
    assert config["data"]["DOCROUTE_HEALTH_HOST"] == "0.0.0.0"
    assert config["data"]["DOCROUTE_HEALTH_PORT"] == "9000"
    assert config["data"]["DOCROUTE_HOST"] == "0.0.0.0", "the API must listen beyond loopback"
    assert config["data"]["DOCROUTE_PORT"] == "8080"
    for name, pod in _workloads(rendering):
        for c in pod["containers"]:
            refs = c.get("envFrom", [])
            secret = [r["secretRef"] for r in refs if "secretRef" in r]
            assert secret == [{"name": "docroute-credentials", "optional": False}], name
            config_refs = [r.get("configMapRef") for r in refs]
            assert {"name": "docroute-config", "optional": False} in config_refs, name


def test_no_secret_values(rendering: Rendering) -> None:
    assert not rendering.of("Secret"), f"{rendering.name}: a Secret object would carry values"
    for doc in rendering.of("ConfigMap"):
        bad = [k for k in doc.get("data", {}) if SECRETISH.search(k)]
        assert not bad, f"ConfigMap {doc['metadata']['name']} holds secret-looking keys {bad}"
    for name, pod in _workloads(rendering):
        for c in pod["containers"]:
            for env in c.get("env", []):
                if SECRETISH.search(env["name"]):
                    assert "value" not in env, f"{name}: {env['name']} has a literal value"


def test_no_secret_values_in_deploy_tree() -> None:
    """No password, key or credential-bearing URL in any file under deploy/ or the Dockerfile."""
    patterns = [
        re.compile(r"://[^/\s:@<]+:[^/\s@<]+@"),  # user:password@ in a URL (<placeholders> allowed)
        re.compile(r"(?i)(password|secret_access_key|access_key_id|token)\s*[:=]\s*['\"]?[A-Za-z0-9/+]{8,}"),
        re.compile(r"AKIA[0-9A-Z]{16}"),
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    ]
    files = [p for p in (ROOT / "deploy").rglob("*") if p.is_file()] + [ROOT / "Dockerfile"]
    for path in files:
        text = path.read_text(errors="replace")
        for pattern in patterns:
            match = pattern.search(text)
            assert not match, f"{path.relative_to(ROOT)}: looks like a secret value: {match.group(0)!r}"


def test_documented_secret_keys() -> None:
    """The Secret's keys are listed where operators look (base kustomization and README)."""
    for path in (K8S / "base" / "kustomization.yaml", ROOT / "deploy" / "README.md"):
        text = path.read_text()
        missing = [k for k in SECRET_KEYS if k not in text]
        assert not missing, f"{path.relative_to(ROOT)} does not document {missing}"


# --- topics and scaling -------------------------------------------------------------------------


def _max_replicas(r: Rendering, name: str) -> int:
    candidates = [r.named("Deployment", name)["spec"].get("replicas", 1)]
    candidates += [
        h["spec"]["maxReplicas"]
        for h in r.of("HorizontalPodAutoscaler")
        if h["spec"]["scaleTargetRef"]["name"] == name
    ]
    candidates += [
        s["spec"].get("maxReplicaCount", 100)
        for s in r.of("ScaledObject")
        if s["spec"]["scaleTargetRef"]["name"] == name
    ]
    return max(candidates)


def test_partitions_allow_max_replicas(rendering: Rendering) -> None:
    partitions = int(rendering.named("ConfigMap", "docroute-config")["data"]["DOCROUTE_KAFKA__PARTITIONS"])
    for name in SCALED:
        most = _max_replicas(rendering, name)
        assert partitions >= most, (
            f"{rendering.name}: {name} may run {most} replicas but topics get {partitions} partitions"
        )


def test_topics_job(rendering: Rendering) -> None:
    job = rendering.named("Job", "docroute-topics")
    assert job, "topic-creation Job missing"
    c = job["spec"]["template"]["spec"]["containers"][0]
    assert c["command"] + c["args"] == ["docroute", "topics", "create"]
    assert job["spec"].get("backoffLimit") is not None and job["spec"].get("activeDeadlineSeconds")
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("OnFailure", "Never")


def test_the_schema_is_migrated_once_per_deploy(rendering: Rendering) -> None:
    """A Job migrates; API replicas wait for it, and their probes outlast the wait."""
    job = rendering.named("Job", "docroute-migrate")
    assert job, "schema-migration Job missing"
    c = job["spec"]["template"]["spec"]["containers"][0]
    assert c["command"] + c["args"] == ["docroute", "migrate"]
    assert job["spec"].get("backoffLimit") is not None and job["spec"].get("activeDeadlineSeconds")
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("OnFailure", "Never")
    config = rendering.named("ConfigMap", "docroute-config")["data"]
    assert config["DOCROUTE_SCHEMA_AT_START"] == "wait", "API replicas must not migrate themselves"
    api = rendering.named("Deployment", "api")["spec"]["template"]["spec"]["containers"][0]
    startup = api["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] > float(config["DOCROUTE_SCHEMA_WAIT_S"])
    for policy in rendering.of("NetworkPolicy"):
        rules = policy["spec"].get("egress", [])
        if any(port.get("port") == 5432 for rule in rules for port in rule["ports"]):
            (selector,) = policy["spec"]["podSelector"]["matchExpressions"]
            assert "docroute-migrate" in selector["values"], "the migration Job cannot reach the database"


def test_one_autoscaler_per_deployment(rendering: Rendering) -> None:
    targets = [h["spec"]["scaleTargetRef"]["name"] for h in rendering.of("HorizontalPodAutoscaler")]
    targets += [s["spec"]["scaleTargetRef"]["name"] for s in rendering.of("ScaledObject")]
    assert len(targets) == len(set(targets)), f"{rendering.name}: two autoscalers on one Deployment"
    for name in targets:
        dep = rendering.named("Deployment", name)
        assert dep, f"{rendering.name}: autoscaler targets missing Deployment {name}"
        assert "replicas" not in dep["spec"], f"{name}: autoscaled Deployment still sets replicas"


def test_scaled_objects_follow_the_consumer_groups(rendering: Rendering) -> None:
    for so in rendering.of("ScaledObject"):
        name = so["spec"]["scaleTargetRef"]["name"]
        assert name in SCALED, f"unexpected ScaledObject for {name}"
        assert so["spec"]["minReplicaCount"] >= 1, f"{name}: scale-to-zero reloads models on every burst"
        (trigger,) = so["spec"]["triggers"]
        meta = trigger["metadata"]
        assert trigger["type"] == "kafka"
        assert meta["consumerGroup"] == f"docroute-{name}"
        assert meta["topic"] == SCALED[name]
        assert int(meta["lagThreshold"]) > 0
        assert meta.get("bootstrapServersFromEnv") == "DOCROUTE_KAFKA__BOOTSTRAP_SERVERS"
        auth = rendering.named("TriggerAuthentication", trigger["authenticationRef"]["name"])
        assert auth, f"{name}: TriggerAuthentication missing"
        for ref in auth["spec"]["secretTargetRef"]:
            assert ref["name"] == "docroute-credentials" and ref["key"] in SECRET_KEYS


def test_pdbs_select_a_deployment(rendering: Rendering) -> None:
    selectors = [d["spec"]["selector"]["matchLabels"] for d in rendering.of("Deployment")]
    for pdb in rendering.of("PodDisruptionBudget"):
        assert pdb["spec"]["selector"]["matchLabels"] in selectors, pdb["metadata"]["name"]
        assert "maxUnavailable" in pdb["spec"], "maxUnavailable keeps single replicas drainable"


def test_network_policies(rendering: Rendering) -> None:
    policies = rendering.of("NetworkPolicy")
    if not policies:
        pytest.skip(f"{rendering.name} has no NetworkPolicies")
    part_of = {"app.kubernetes.io/part-of": "docroute"}
    deny = [
        p
        for p in policies
        if p["spec"]["podSelector"].get("matchLabels") == part_of
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert deny, "no default-deny policy for docroute's pods"
    for workload in rendering.of("Deployment") + rendering.of("Job"):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        name = workload["metadata"]["name"]
        assert labels.get("app.kubernetes.io/part-of") == "docroute", f"{name}: outside the default deny"
    for p in policies:
        for rule in p["spec"].get("ingress", []):
            if not rule.get("from"):  # open to every source
                assert p["spec"]["podSelector"].get("matchLabels") in ({"app": "api"}, {"app": "console"}), (
                    f"{p['metadata']['name']}: only the API and the console may accept traffic from anywhere"
                )
                assert [port["port"] for port in rule["ports"]] == [8080]
        for rule in p["spec"].get("egress", []):
            ports = {port["port"] for port in rule.get("ports", [])}
            assert ports, f"{p['metadata']['name']}: egress without a port restriction"
            to_api = rule.get("to") == [{"podSelector": {"matchLabels": {"app": "api"}}}]
            allowed = {53, 80, 443, 5432, 9000, 9092} | ({8080} if to_api else set())
            assert ports <= allowed, f"{p['metadata']['name']}: egress to {ports}"


# --- overlays -----------------------------------------------------------------------------------


def test_dev_overlay(overlays: dict[str, Rendering]) -> None:
    dev = overlays["dev"]
    for dep in dev.of("Deployment"):
        assert dep["spec"].get("replicas") == 1, dep["metadata"]["name"]
    for kind in ("HorizontalPodAutoscaler", "ScaledObject", "PodDisruptionBudget"):
        assert not dev.of(kind), f"dev has {kind}"


def test_prod_overlay(overlays: dict[str, Rendering]) -> None:
    prod = overlays["prod"]
    assert {s["spec"]["scaleTargetRef"]["name"] for s in prod.of("ScaledObject")} == set(SCALED)
    assert {p["metadata"]["name"] for p in prod.of("PodDisruptionBudget")} == set(SERVICES)
    assert prod.of("NetworkPolicy")
    for name in ("ingest", "router", "api"):
        assert prod.named("Deployment", name)["spec"]["replicas"] >= 2, f"prod {name} is a single replica"
    for so in prod.of("ScaledObject"):
        assert so["spec"]["minReplicaCount"] >= 2
    protocol = prod.named("ConfigMap", "docroute-config")["data"]["DOCROUTE_KAFKA__SECURITY_PROTOCOL"]
    sasl = {so["spec"]["triggers"][0]["metadata"]["sasl"] for so in prod.of("ScaledObject")}
    assert protocol.startswith("SASL") == (sasl != {"none"}), "KEDA must authenticate like the services"


# --- helpers ------------------------------------------------------------------------------------


def _bytes(quantity: str) -> float:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6, "G": 1e9}
    for unit, factor in units.items():
        if quantity.endswith(unit):
            return float(quantity[: -len(unit)]) * factor
    return float(quantity)


def _cpu(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def test_quantity_helpers() -> None:
    assert _bytes("1536Mi") == 1.5 * 2**30 and _bytes("3Gi") == 3 * 2**30
    assert math.isclose(_cpu("500m"), 0.5) and _cpu("2") == 2
