"""Who the client is behind proxies, and how a flood of one log line is kept short."""

from __future__ import annotations

import logging

import pytest

from bridge.log_limits import RepeatLimit
from bridge.settings import ConfigError, Settings, load_settings, parse_networks
from portal.client_address import ClientAddresses


def test_nothing_is_trusted_by_default_so_forwarded_for_is_ignored() -> None:
    addresses = ClientAddresses(Settings(_env_file=None).trusted_proxy_networks)
    assert addresses.resolve("127.0.0.1", ["203.0.113.9"]) == "127.0.0.1"


def test_a_trusted_proxys_forwarded_for_names_the_client_and_no_one_elses_does() -> None:
    addresses = ClientAddresses(parse_networks("10.0.0.0/8, ::1"))
    assert addresses.resolve("10.1.2.3", ["203.0.113.9"]) == "203.0.113.9"
    # A client that writes its own header gets its real address: only the proxy's hop counts.
    assert addresses.resolve("10.1.2.3", ["6.6.6.6, 203.0.113.9"]) == "203.0.113.9"
    # Two trusted proxies in a row are both skipped.
    assert addresses.resolve("::1", ["203.0.113.9, 10.0.0.5"]) == "203.0.113.9"
    # An untrusted peer's header counts for nothing.
    assert addresses.resolve("198.51.100.1", ["203.0.113.9"]) == "198.51.100.1"
    assert addresses.resolve("10.1.2.3", ["garbage"]) == "10.1.2.3"
    assert addresses.resolve(None) == "unknown"


def test_a_bad_trusted_proxy_setting_stops_start_up_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.1, nonsense")
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES: 'nonsense' is not an IP"):
        load_settings(env_file=None)


def test_a_repeated_log_line_is_written_a_few_times_then_counted() -> None:
    now = [0.0]
    limit = RepeatLimit(per_window=3, window=10, clock=lambda: now[0])

    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("x", logging.ERROR, __file__, 1, message, None, None)

    kept = [limit.filter(record("pool timeout")) for _ in range(1000)]
    assert kept.count(True) == 3
    assert limit.filter(record("another problem"))
    now[0] = 11.0
    summary = record("pool timeout")
    assert limit.filter(summary)
    assert "997 more like this were not logged" in summary.getMessage()
