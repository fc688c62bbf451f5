"""Fixtures for the notifier tests (helpers in ``notify_support``, servers in ``receivers``)."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from notify_support import Clock, build_alert, build_subscription, build_update
from receivers import HookServer, MailServer

from contract import Alert, Subscription
from sinks.notify import DeliveryLog


@pytest.fixture
def make_alert() -> Callable[..., Alert]:
    """Factory: ``make_alert("story-2", version=...)`` -> a valid :class:`contract.Alert`."""
    return build_alert


@pytest.fixture
def make_update() -> Callable[..., Alert]:
    """Factory: ``make_update(alert, source)`` -> the alert's next version (one more copy)."""
    return build_update


@pytest.fixture
def make_subscription() -> Callable[..., Subscription]:
    """Factory: ``make_subscription(mode="digest", ...)`` -> a valid Subscription."""
    return build_subscription


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def delivery_log(tmp_path: Path) -> Iterator[DeliveryLog]:
    log = DeliveryLog(tmp_path / "notify.sqlite3")
    yield log
    log.close()


@pytest.fixture
def hook_server() -> Iterator[HookServer]:
    server = HookServer()
    yield server
    server.close()


@pytest.fixture
def smtp_server() -> Iterator[MailServer]:
    """A real SMTP server (aiosmtpd) on a free loopback port."""
    server = MailServer()
    yield server
    server.close()
