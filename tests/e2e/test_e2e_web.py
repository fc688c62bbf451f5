"""The web view in a real browser (Debian's Chromium, headless), over a populated store in each
mode: the page loads with the articles and their evidence, a search shows hits and a bad query's
error inline, a subscription created through the form shows its backtest count, the topic chart
is drawn, the feeds table names the failing feed and why, ``/docs`` works, and no request leaves
the machine. Embedded: ``newsmon run`` serves the page itself; cluster: ``newsmon api``."""

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from feedserver import FeedServer
from local_stack import AppConfig
from playwright.sync_api import Page, expect
from run_support import NEWSMON, embedded_env, newsmon, stored_docs
from web_support import (
    ARTIFACTS,
    QUERY,
    SEED_TITLE,
    chromium,
    free_port,
    wait_for_page,
    write_inputs,
)

pytestmark = pytest.mark.e2e


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def check_page(base: str, mode: str, missing_feed: str) -> None:
    """Everything the page must do, as a user clicks through it."""
    with chromium() as browsing:
        page = browsing.context.new_page()
        page.goto(base)
        expect(page.locator("header .where")).to_contain_text(f"{mode} mode")
        articles = page.locator("#articles")
        expect(articles).to_contain_text(SEED_TITLE)
        expect(articles.locator("blockquote.evidence mark").first).to_be_visible()

        chart = page.locator("#volume-chart")
        expect(chart).to_be_visible()
        lines = chart.locator("polyline.series")
        assert lines.count() >= 1
        assert "weapons-restrictions" in chart.inner_html()
        box = chart.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50

        expect(page.locator("#entities")).to_contain_text("Jens Stoltenberg")
        expect(page.locator("#alerts")).to_contain_text("NATO weapons limits")

        broken = page.locator("#feeds-table tr", has_text="Broken Wire")
        expect(broken.locator(".state")).to_have_text("failed")
        expect(broken).to_contain_text(f"HTTP 404 Not Found from {missing_feed}")
        expect(page.locator("#feeds-table tr", has_text="Seed Wire")).to_contain_text("ok")
        _shot(page, f"web-{mode}")

        page.fill("#search input[name=q]", "topics:weapons-restrictions")
        page.click("#search button[type=submit]")
        expect(page.locator("#hits")).to_contain_text(SEED_TITLE)
        expect(page.locator("#search h2")).to_contain_text("1 article(s) match")

        page.fill("#search input[name=q]", "topics:((")
        page.click("#search button[type=submit]")
        expect(page.locator("#search-error")).to_contain_text("error: invalid query 'topics:(('")
        _shot(page, f"web-{mode}-search-error")

        form = page.locator("#subscription-form")
        form.locator("input[name=id]").fill("web-nato")
        form.locator("input[name=name]").fill("NATO from the web")
        form.locator("input[name=query]").fill(QUERY)
        form.locator("input[name=days]").fill("3")
        form.locator("button", has_text="Create and backtest").click()
        expect(page.locator("#form-notice")).to_contain_text("subscription 'web-nato' created")
        expect(page.locator("#backtest-result .count")).to_have_text("1")
        expect(page.locator("#backtest-result")).to_contain_text(SEED_TITLE)
        expect(page.locator("#subscriptions-table")).to_contain_text("web-nato")
        _shot(page, f"web-{mode}-subscription")

        form = page.locator("#subscription-form")
        form.locator("input[name=id]").fill("web-bad")
        form.locator("input[name=name]").fill("bad")
        form.locator("input[name=query]").fill("topics:((")
        form.locator("button", has_text="Create and backtest").click()
        expect(page.locator("#form-error")).to_contain_text("invalid query 'topics:(('")

        page.locator("#subscriptions-table tr", has_text="web-nato").locator(
            "button", has_text="remove"
        ).click()
        expect(page.locator("#form-notice")).to_contain_text("subscription 'web-nato' removed")
        expect(page.locator("#subscriptions-table")).not_to_contain_text("web-nato")

        page.goto(base + "docs")
        expect(page.locator(".swagger-ui .title")).to_contain_text("newsmon")
        _shot(page, f"web-{mode}-docs")

        assert browsing.requested, "no request recorded"
        assert browsing.remote() == [], browsing.remote()


def _stop(proc: subprocess.Popen[bytes], log: Path) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return log.read_text(errors="replace")


def test_web_view_embedded_served_by_newsmon_run(
    tmp_path: Path, feed_server: FeedServer, seed_text: str
) -> None:
    env = embedded_env(tmp_path / "data")
    feeds, subs = write_inputs(tmp_path, feed_server, seed_text)
    first = newsmon(env, "run", "--once", "--feeds", str(feeds), "--subscriptions", str(subs))
    assert first.returncode == 0, first.stdout + first.stderr
    port = free_port()
    log = tmp_path / "run.out"
    # the data dir by --data only: the view must read the run's data, not the default dir
    bare = {k: v for k, v in env.items() if k != "NEWSMON_DATA_DIR"}
    data = ["--data", str(tmp_path / "data")]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [NEWSMON, "run", "--feeds", str(feeds), *data, "--port", str(port)],
            cwd=tmp_path,
            env=bare,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_for_page(base)
        check_page(base, "embedded", feed_server.url("/missing.xml"))
    finally:
        output = _stop(proc, log)
    assert f"web view: {base} · API docs: {base}docs" in output, output
    assert proc.returncode == 0, output  # the view stopped with the pipeline


def test_newsmon_run_goes_on_without_the_view_when_its_port_is_taken(
    tmp_path: Path, feed_server: FeedServer, seed_text: str
) -> None:
    env = embedded_env(tmp_path / "data")
    feeds, _ = write_inputs(tmp_path, feed_server, seed_text)
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        log = tmp_path / "run.out"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [NEWSMON, "run", "--feeds", str(feeds), "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 180  # it goes on: the feed's articles are stored
            while len(stored_docs(tmp_path / "data")) < 2 and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            output = _stop(proc, log)
    assert f"web view: off, cannot listen on 127.0.0.1:{port}" in output, output
    assert proc.returncode == 0, output
    assert len(stored_docs(tmp_path / "data")) == 2


def test_web_view_on_the_cluster(
    app_config: Callable[..., AppConfig],
    tmp_path: Path,
    feed_server: FeedServer,
    seed_text: str,
) -> None:
    config = app_config()
    env = {**os.environ, **config.env}
    feeds, subs = write_inputs(tmp_path, feed_server, seed_text)
    first = newsmon(env, "run", "--once", "--feeds", str(feeds), "--subscriptions", str(subs))
    assert first.returncode == 0, first.stdout + first.stderr
    port = free_port()
    log = tmp_path / "api.out"
    proc = config.start("api", "--port", str(port), log=log)
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_for_page(base)
        check_page(base, "cluster", feed_server.url("/missing.xml"))
    finally:
        _stop(proc, log)
