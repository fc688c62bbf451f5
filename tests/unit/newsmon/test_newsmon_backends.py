"""Which backends a command runs on: embedded unless a cluster is configured."""

import pytest

from contract import ConfigError
from newsmon.backend_choice import backends_for
from newsmon.backends import mode_for
from newsmon.cluster.backends import ClusterBackends
from newsmon.settings import Settings


@pytest.fixture(autouse=True)
def no_cluster_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KAFKA_BOOTSTRAP", "ES_URL", "PERCOLATOR_URL", "MODE"):
        monkeypatch.delenv(f"NEWSMON_{name}", raising=False)


def test_nothing_configured_means_embedded() -> None:
    assert mode_for(Settings()) == "embedded"


@pytest.mark.parametrize("variable", ["KAFKA_BOOTSTRAP", "ES_URL", "PERCOLATOR_URL"])
def test_a_configured_cluster_variable_means_cluster(
    variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"NEWSMON_{variable}", "http://127.0.0.1:1")
    assert mode_for(Settings()) == "cluster"
    assert isinstance(backends_for(Settings()), ClusterBackends)
    assert mode_for(Settings(), embedded=True) == "embedded"


def test_the_mode_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSMON_MODE", "cluster")
    assert mode_for(Settings()) == "cluster"
    with pytest.raises(ConfigError, match="--embedded contradicts NEWSMON_MODE=cluster"):
        backends_for(Settings(), embedded=True)
    monkeypatch.setenv("NEWSMON_MODE", "embedded")
    monkeypatch.setenv("NEWSMON_ES_URL", "http://127.0.0.1:1")
    assert mode_for(Settings()) == "embedded"
