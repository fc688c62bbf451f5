"""deploy/docker-compose.yml parses as Compose and runs the services newsmon needs."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
COMPOSE = REPO / "deploy" / "docker-compose.yml"


def _docker_compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    return probe.returncode == 0


def test_compose_file_declares_the_stack_and_newsmon_services() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert {
        "kafka", "elasticsearch", "kibana", "poller", "processor", "indexer", "alerter",
        "notifier", "api",
    } <= set(services)  # fmt: skip
    assert services["elasticsearch"]["image"].split(":")[-1].startswith("8.")
    assert services["kibana"]["image"].split(":")[-1].startswith("8.")
    commands = {
        name: " ".join(map(str, services[name]["command"]))
        for name in ("poller", "processor", "indexer", "alerter", "notifier", "api")
    }
    assert commands["poller"].startswith("poll")
    assert commands["processor"] == "process"
    assert commands["indexer"] == "index"
    assert (commands["alerter"], commands["notifier"]) == ("alert", "notify")
    assert commands["api"].startswith("api")


def test_compose_config_parses() -> None:
    """`docker compose config` where the client has the compose plugin, else compose-go (the
    library Compose is built on) through deploy/compose-check."""
    if _docker_compose_available():
        command = ["docker", "compose", "-f", str(COMPOSE), "config"]
        cwd = REPO
    elif shutil.which("go") is not None:
        command = ["go", "run", ".", str(COMPOSE)]
        cwd = REPO / "deploy" / "compose-check"
    else:
        pytest.skip("neither `docker compose` nor Go is installed")
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stderr
    parsed = yaml.safe_load(result.stdout)
    assert {
        "kafka",
        "elasticsearch",
        "poller",
        "processor",
        "indexer",
        "alerter",
        "notifier",
    } <= set(parsed["services"])
