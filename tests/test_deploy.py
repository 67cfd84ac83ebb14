"""Every service `make run` starts is also in the production shapes: docker-compose.yml and
deploy/k8s/<service>.yaml, on its port, with its probes and metrics (docs/architecture.md, "How
to add a service", step 10)."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from dealflow_libs.devstack.services import ServiceSpec, installed_services

ROOT = Path(__file__).resolve().parents[1]


def _serves(command: list[str], spec: ServiceSpec) -> bool:
    return spec.app in command and command[command.index("--port") + 1] == str(spec.port)


@pytest.mark.parametrize("spec", installed_services(), ids=lambda s: s.name)
def test_compose_runs_the_service_on_its_port(spec: ServiceSpec) -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert spec.name in services, f"docker-compose.yml has no {spec.name} service"
    service = services[spec.name]
    assert _serves(service["command"], spec)
    assert service["ports"] == [f"{spec.port}:{spec.port}"]
    assert f"127.0.0.1:{spec.port}/ready" in " ".join(service["healthcheck"]["test"])


@pytest.mark.parametrize("spec", installed_services(), ids=lambda s: s.name)
def test_kubernetes_deploys_the_service_with_probes_and_metrics(spec: ServiceSpec) -> None:
    path = ROOT / "deploy" / "k8s" / f"{spec.name}.yaml"
    assert path.exists(), f"no {path.relative_to(ROOT)}"
    documents: list[dict[str, Any]] = list(yaml.safe_load_all(path.read_text()))
    [deployment] = [
        d
        for d in documents
        if d["kind"] == "Deployment"
        and any(_serves(c["command"], spec) for c in d["spec"]["template"]["spec"]["containers"])
    ]
    template = deployment["spec"]["template"]
    assert template["metadata"]["annotations"]["prometheus.io/port"] == str(spec.port)
    [container] = template["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": spec.port}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": spec.port}
    services = [d for d in documents if d["kind"] == "Service"]
    assert [p["targetPort"] for s in services for p in s["spec"]["ports"]] == [spec.port]
