"""The HTTP load script's guards: loopback only, a token, and hard caps (no server is started)."""

from __future__ import annotations

import pytest

from evaluation.load_http import MAX_REQUESTS, is_loopback, main


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:8000/", "http://127.1.2.3",
                                 "http://[::1]:8000", "https://localhost"])
def test_loopback_urls_are_accepted(url):
    assert is_loopback(url)


@pytest.mark.parametrize("url", ["http://10.0.0.5:8000", "http://localhost.example.com", "http://127.0.0.1.nip.io",
                                 "http://example.com", "ftp://127.0.0.1", "127.0.0.1:8000", "http://[::2]"])
def test_other_urls_are_refused(url):
    assert not is_loopback(url)


@pytest.mark.parametrize("argv, says", [
    (["--url", "http://127.0.0.1:1"], "token"),
    (["--url", "http://192.168.1.2:8000", "--token", "t"], "loopback"),
    (["--url", "http://127.0.0.1:1", "--token", "t", "--rate", "1000"], "--rate"),
    (["--url", "http://127.0.0.1:1", "--token", "t", "--seconds", "3600"], "--seconds"),
    (["--url", "http://127.0.0.1:1", "--token", "t", "--rate", "200", "--seconds", "300"], str(MAX_REQUESTS)),
    (["--url", "http://127.0.0.1:1", "--token", "t", "--drain", "-1"], "--drain"),
])
def test_unbounded_or_unsafe_runs_are_refused(monkeypatch, argv, says):
    monkeypatch.delenv("MATCHER_TOKEN", raising=False)
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert says in str(exc.value)
