"""The compose file starts Kibana on the articles cluster and imports the dashboard once."""

import shlex
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
COMPOSE = REPO / "deploy" / "docker-compose.yml"


def test_kibana_setup_imports_the_bundled_file_once_kibana_is_healthy() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    kibana = services["kibana"]
    assert kibana["image"].startswith("docker.elastic.co/kibana/kibana:8.")
    assert "http://elasticsearch:9200" in kibana["environment"]["ELASTICSEARCH_HOSTS"]
    setup = services["kibana-setup"]
    assert setup["depends_on"] == {"kibana": {"condition": "service_healthy"}}
    assert setup["restart"] == "no"
    mounts = {m.split(":")[1]: m.split(":")[0] for m in setup["volumes"]}
    assert (COMPOSE.parent / mounts["/kibana"] / "newsmon.ndjson").is_file()
    (script,) = setup["command"]
    words = shlex.split(script)
    start = words.index("newsmon")
    assert words[start : start + 3] == ["newsmon", "kibana", "import"]
    assert words[words.index("--url") + 1] == "http://kibana:5601"
    assert words[words.index("--file") + 1] == "/kibana/newsmon.ndjson"
    assert "/data" in mounts  # the marker that makes it a first-start import lives there
