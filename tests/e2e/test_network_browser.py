"""End to end: the console's 服务网络 tab draws the coverage map and 零工 shows the gig board, in
headless Chromium against the real app on the network tests' generated home
(tests/network/network_home.py). Skips like test_console_browser.py when no browser is installed."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest
from test_console_browser import (  # noqa: F401  (browser and shots are fixtures)
    _free_port,
    browser,
    choose_station,
    css,
    css_all,
    js_errors,
    open_console,
    screenshot,
    shots,
    visible,
    wait,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "network"))

pytestmark = pytest.mark.e2e


class _Server:
    def __init__(self, base, engine, token):
        self.base, self.engine, self.token = base, engine, token


@pytest.fixture(scope="module")
def server(tmp_path_factory, encoder, model_cache):
    import network_home
    import uvicorn

    from api.app import create_app
    from matcher.accounts import add_account
    from matcher.engine import MatchEngine

    home = tmp_path_factory.mktemp("network-home")
    engine = MatchEngine.open(home=home, encoder=encoder, model_cache=model_cache, sync_interval=0)
    network_home.build(engine, home)
    engine.warm()
    _, token = add_account(engine.store, "省就业服务中心", "province", region_code="13")
    app = create_app(settings=engine.settings, engine=engine)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield _Server(f"http://127.0.0.1:{port}", engine, token)
    finally:
        srv.should_exit = True
        thread.join(timeout=15)
        engine.close()


def test_coverage_map_and_gig_board(server, browser, shots):  # noqa: F811 (fixtures)
    import network_home

    open_console(browser, server)
    choose_station(browser, "ST-V1")
    css(browser, "#tab-network").click()
    wait(browser, visible("#coverage-map"))
    summary = css(browser, "#coverage-summary").text
    assert "登记人员 7 人，服务圈内 3 人" in summary
    assert len(css_all(browser, "#coverage-map .station")) == 1
    assert len(css_all(browser, "#coverage-map .svc-circle")) == 1
    assert len(css_all(browser, "#coverage-map .uncovered")) == 4
    assert len(css_all(browser, "#coverage-map .site")) == 1
    assert f"南桥二村（{network_home.V2}）" in css(browser, "#uncovered-villages").text
    assert "新覆盖 4 人" in css(browser, "#suggested-sites").text
    assert not css_all(browser, "#coverage-map image")  # no tile URL configured: nothing requested
    screenshot(browser, shots / "coverage-map.png")

    choose_station(browser, "ST-G")
    css(browser, "#tab-gigs").click()
    wait(browser, visible("#gig-table"))
    rows = [r.get_attribute("data-id") for r in css_all(browser, "#gig-table tr[data-id]")]
    assert rows == ["G-TODAY", "G-TODAY2"]
    people = [li.get_attribute("data-id") for li in css_all(browser, "#gig-people li")]
    assert people[0] == "U2" and "U3" not in people
    screenshot(browser, shots / "gig-board.png")
    assert js_errors(browser) == []
