"""The cluster stages without a cluster: one line naming ``newsmon run``, exit 2, no client log
spam or traceback (a new user typing ``newsmon poll`` wanted ``newsmon run``)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsmon.cluster_stage import require_cluster
from newsmon.settings import Settings

NEWSMON = Path(sys.executable).with_name("newsmon")
FEEDS = Path(__file__).parents[2] / "examples" / "feeds.yaml"

STAGES = [
    ["poll", "--feeds", str(FEEDS), "--once"],
    ["poll", "--feeds", str(FEEDS)],
    ["fulltext", "--until-idle"],
    ["process"],
    ["index", "--until-idle"],
    ["alert", "--until-idle"],
    ["notify", "--until-idle"],
    ["setup"],
]


@pytest.mark.parametrize("command", STAGES, ids=" ".join)
def test_a_cluster_stage_without_a_cluster_says_so_in_one_line(
    command: list[str], tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    result = subprocess.run(
        [str(NEWSMON), *command],
        cwd=tmp_path,
        env=env | {"COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: `newsmon {command[0]}` is a cluster stage")
    assert "`newsmon run --feeds FILE`" in lines[0]
    assert list(tmp_path.iterdir()) == []  # no data dir, no log made on the way out


@pytest.mark.parametrize(
    "configured",
    [{"kafka_bootstrap": "127.0.0.1:1"}, {"es_url": "http://127.0.0.1:1"}, {"mode": "cluster"}],
)
def test_any_cluster_setting_lets_the_stages_start(
    configured: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("NEWSMON_"):
            monkeypatch.delenv(name)
    require_cluster(Settings.model_validate(configured), "poll")  # no exit
