"""End to end: the station web console in headless Chromium against the real app.

The real FastAPI app runs under uvicorn in a background thread on a free localhost port, on a
temporary SQLite home holding a small Hebei dataset (one station, a few located jobs, a few
seekers, one employer) and three accounts (province staff, a county, the employer), with the
session's real encoder. Chromium (Debian's ``chromium`` + ``chromium-driver``, driven by Selenium)
then works the console as station staff would:

log in with a token (the login panel) -> pick the station -> find a seeker by name -> read the
ranked, explained matches -> 推荐 (a referral is recorded) -> 录用 (hired) -> the API shows the
referral hired and the seeker employed. The login itself (a wrong token, 退出, an employer's tabs,
a revoked token mid-session) has its own test.

Skips with a reason when Chromium, chromedriver or selenium is missing. Screenshots go to the
test's tmp dir, or to ``$CONSOLE_SCREENSHOT_DIR`` when that is set.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_S = 60  # first matches embed the query and build caches; generous for a loaded 2-core CI box

TODAY = date.today()
STATION = {
    "id": "ST-E2E", "name": "长安区建北街道社区就业服务站", "kind": "community", "region_code": "130102",
    "address": "石家庄市长安区建北街道建设北大街1号", "lat": 38.050, "lng": 114.520,
}
OTHER_STATION = {
    "id": "ST-E2E-2", "name": "正定县曲阳桥乡村级服务站", "kind": "village", "region_code": "130123",
    "address": "正定县曲阳桥乡", "lat": 38.10, "lng": 114.58,
}
EMPLOYER = {"id": "E-HBGG", "name": "石家庄华北钢构有限公司", "region_code": "130102", "industry": "制造业"}
TOKEN_KEY = "hebei-matcher.console.token"  # sessionStorage (never localStorage: a shared station PC)


def _job(id_, title, employer, lat, lng, wage, **kw):
    return {
        "id": id_, "title": title, "employer_name": employer, "region_code": kw.pop("region_code", "130102"),
        "address": kw.pop("address", "石家庄市长安区"), "lat": lat, "lng": lng,
        "wage_min": wage[0], "wage_max": wage[1], "employment_type": "full_time",
        "posted_at": (TODAY - timedelta(days=1)).isoformat(), "expires_at": (TODAY + timedelta(days=30)).isoformat(),
        **kw,
    }


JOBS = [
    _job("J-weld", "电焊工", "石家庄华北钢构有限公司", 38.062, 114.532, (5000, 7000), headcount=1,
         skills=["焊工证", "电焊", "气保焊"], description="钢结构车间电焊，持焊工证，有经验者优先",
         employer_id=EMPLOYER["id"]),
    _job("J-weld2", "二保焊焊工", "石家庄恒达机械厂", 38.071, 114.555, (5500, 7500), headcount=2,
         skills=["焊工证", "二氧化碳保护焊"], description="机械加工厂招焊工，包午餐"),
    _job("J-guard", "小区保安", "长安物业服务有限公司", 38.041, 114.503, (3200, 3800), headcount=2,
         description="小区门岗及巡逻，做二休一"),
    _job("J-clean", "商场保洁员", "北国商城物业部", 38.055, 114.515, (2800, 3200), headcount=3,
         description="商场公共区域清洁，上午班或下午班", priority_groups_welcome=["older_4050"]),
    _job("J-cook", "食堂厨师", "建北小学食堂", 38.083, 114.561, (4500, 5500), headcount=1,
         description="学校食堂大锅菜，持健康证"),
    _job("J-tangshan", "电焊工（外地）", "唐山曹妃甸船舶重工", 39.21, 118.45, (7000, 9000), headcount=5,
         region_code="130209", address="唐山市曹妃甸区", skills=["焊工证", "电焊"]),
]
SEEKERS = [
    {"id": "S-wang", "name": "王小明", "phone": "13800001234", "gender": "male", "birth_date": "1976-05-01",
     "education": "junior_high", "desired_occupations": ["电焊工"], "skills": ["焊工证", "电焊"],
     "experience": "在钢构厂做过8年电焊", "region_code": "130102", "address": "长安区建北街道某小区",
     "lat": 38.052, "lng": 114.522, "area_type": "urban", "priority_groups": ["older_4050"],
     "station_id": STATION["id"], "consent_to_share": True, "status": "unemployed", "desired_wage_min": 4500},
    {"id": "S-li", "name": "李娜", "phone": "13900005678", "gender": "female", "birth_date": "1988-03-02",
     "education": "senior_high", "desired_occupations": ["保洁员"], "skills": ["保洁"],
     "region_code": "130102", "lat": 38.051, "lng": 114.518, "area_type": "urban",
     "station_id": STATION["id"], "consent_to_share": True, "status": "unemployed"},
    {"id": "S-zhang", "name": "张伟", "phone": "13700009999", "gender": "male", "birth_date": "1985-07-09",
     "desired_occupations": ["保洁员", "保安"], "region_code": "130102", "lat": 38.049, "lng": 114.521,
     "area_type": "urban", "station_id": STATION["id"], "consent_to_share": False, "status": "unemployed"},
]


# -- fixtures -------------------------------------------------------------------------------------
def _require_browser():
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.skip(f"headless browser not installed: {', '.join(missing)} missing "
                    "(apt-get install chromium chromium-driver)")
    pytest.importorskip("selenium", reason="selenium is not installed (pip install selenium)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    base: str            # http://127.0.0.1:<port>
    engine: Any          # the app's MatchEngine (to make or revoke accounts)
    token: str           # 省级 staff: sees all of the fixture
    county_token: str    # 县级, 长安区 (130102)
    employer_token: str  # 用人单位 EMPLOYER


@pytest.fixture(scope="module")
def server(tmp_path_factory, encoder, model_cache):
    """The real app under uvicorn on 127.0.0.1:<free port>, with its accounts."""
    import uvicorn

    from api.app import create_app
    from matcher.accounts import add_account
    from matcher.engine import MatchEngine

    home = tmp_path_factory.mktemp("console-home")
    engine = MatchEngine.open(home=home, encoder=encoder, model_cache=model_cache, sync_interval=0)
    engine.upsert_stations([STATION, OTHER_STATION])
    engine.upsert_employers([EMPLOYER])
    engine.upsert_jobs(JOBS)
    engine.upsert_seekers(SEEKERS)
    engine.warm()
    _, token = add_account(engine.store, "省就业服务中心", "province", region_code="13")
    _, county_token = add_account(engine.store, "长安区就业服务中心", "county", region_code="130102")
    _, employer_token = add_account(engine.store, "华北钢构招聘", "employer", employer_id=EMPLOYER["id"])
    app = create_app(settings=engine.settings, engine=engine)

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, name="console-e2e-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Server(f"http://127.0.0.1:{port}", engine, token, county_token, employer_token)
    finally:
        srv.should_exit = True
        thread.join(timeout=15)
        engine.close()  # the app leaves an engine it was handed open


@pytest.fixture(scope="module")
def http(server):
    """The API as the province account sees it (to check what the console did)."""
    import httpx

    with httpx.Client(base_url=server.base, timeout=60, headers={"Authorization": f"Bearer {server.token}"}) as client:
        yield client


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    target = os.environ.get("CONSOLE_SCREENSHOT_DIR")
    path = Path(target) if target else tmp_path_factory.mktemp("console-screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser(server, tmp_path_factory):
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path_factory.mktemp("chromium-profile")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", f"--user-data-dir={profile}", "--window-size=1366,900", "--lang=zh-CN"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=opts)
    driver.set_page_load_timeout(WAIT_S)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


# -- helpers --------------------------------------------------------------------------------------
def wait(driver, condition, timeout: float = WAIT_S):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)


def css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def css_all(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def visible(selector):
    def check(driver):
        found = css_all(driver, selector)
        return found[0] if found and found[0].is_displayed() else False

    return check


def auth_state(driver) -> str | None:
    """'in' (the console is loaded), 'out' (the login panel is shown), or None while it decides."""
    return driver.execute_script(
        "const b = document.body.dataset; return b.auth === 'out' ? 'out' : (b.ready === 'true' ? 'in' : null)")


def stored_token(driver) -> str | None:
    return driver.execute_script(f"return sessionStorage.getItem('{TOKEN_KEY}')")


def log_in(driver, token: str) -> None:
    """Type the token into the login panel and press 登录, as staff would."""
    wait(driver, visible("#login-panel"))
    field = css(driver, "#login-token")
    field.clear()
    field.send_keys(token)
    css(driver, "#btn-login").click()
    wait(driver, lambda d: auth_state(d) == "in")


def log_out(driver) -> None:
    css(driver, "#btn-logout").click()
    wait(driver, visible("#login-panel"))


def open_console(driver, server, token: str | None = None):
    """Open the console logged in with ``token`` (the province account by default): through the
    login panel when the tab holds no token, or another account's."""
    token = token or server.token
    driver.get(f"{server.base}/console")
    wait(driver, auth_state)
    if auth_state(driver) == "in" and stored_token(driver) != token:
        log_out(driver)
    if auth_state(driver) == "out":
        log_in(driver, token)
    assert stored_token(driver) == token


def choose_station(driver, station_id):
    from selenium.webdriver.support.ui import Select

    Select(css(driver, "#station-select")).select_by_value(station_id)
    assert driver.execute_script("return localStorage.getItem('hebei-matcher.console.station')") == station_id


def screenshot(driver, path: Path) -> None:
    """The whole page (the window is grown to the page's height for the shot)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1366, min(max(900, height + 100), 5000))
    try:
        driver.save_screenshot(str(path))
    finally:
        driver.set_window_size(1366, 900)


def tab_names(driver) -> list[str]:
    return [b.text for b in css_all(driver, "#tabs [role=tab]") if b.is_displayed()]


def js_errors(driver, allow: tuple[str, ...] = ()) -> list[str]:
    """SEVERE browser-console entries (uncaught errors, failed loads) not expected by the test."""
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and not any(a in e["message"] for a in allow)]


# -- tests ----------------------------------------------------------------------------------------
def test_console_is_served_offline(server, http):
    import httpx

    page = httpx.get(f"{server.base}/console")  # the page and its files need no token; the API does
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "岗位匹配工作台" in page.text
    for asset in ("app.js", "style.css", "digest-print.css"):
        r = httpx.get(f"{server.base}/console/static/{asset}")
        assert r.status_code == 200
        # nothing fetched from outside (the SVG namespace is a name, not a download)
        assert "https://" not in r.text and "http://" not in r.text.replace("http://www.w3.org/2000/svg", "")
    assert http.get("/console/static/../routes/console.py").status_code == 404
    assert httpx.get(f"{server.base}/v1/stations").status_code == 401


def test_seeker_matches_referral_and_hire(server, http, browser, shots):
    from selenium.webdriver.support.ui import Select

    d = browser
    open_console(d, server)
    choose_station(d, STATION["id"])

    # the station choice is remembered across visits
    open_console(d, server)
    assert css(d, "#station-select").get_attribute("value") == STATION["id"]

    # a seeker is found by the last four digits of the phone, or by name
    css(d, "#seeker-q").send_keys("5678")
    css(d, "#seeker-search button[type=submit]").click()
    wait(d, visible("button.open-seeker[data-id='S-li']"))
    assert "139****5678" in css(d, "#seeker-results").text
    css(d, "#seeker-q").clear()
    css(d, "#seeker-q").send_keys("王小明")
    css(d, "#seeker-search button[type=submit]").click()
    wait(d, visible("button.open-seeker[data-id='S-wang']")).click()
    wait(d, visible("#seeker-detail"))
    assert css(d, "#seeker-name").text == "王小明"
    assert css(d, "#seeker-status").get_attribute("data-status") == "unemployed"

    # ranked matches with score, title, employer, wage, distance and Chinese reasons
    wait(d, lambda drv: len(css_all(drv, "#match-list li.match")) >= 3)
    first = css_all(d, "#match-list li.match")[0]
    assert first.get_attribute("data-job") in ("J-weld", "J-weld2")
    text = first.text
    assert "焊" in text and "月薪" in text and "公里" in text
    reasons = first.find_elements("css selector", "ul.reasons li")
    assert reasons and all(r.text.strip() for r in reasons)
    assert float(first.find_element("css selector", ".score-value").text) > 0
    # the distance view drew the seeker and the located jobs
    wait(d, lambda drv: len(css_all(drv, "#distance-view svg g.job-dot")) >= 3)
    screenshot(d, shots / "console_matches.png")

    # 推荐: a referral is recorded for the welding job
    css(d, "#match-list button.refer[data-job='J-weld']").click()
    row = wait(d, visible("#referral-list tr.referral[data-job='J-weld']"))
    assert row.get_attribute("data-status") == "recommended"
    wait(d, lambda drv: css(drv, "#match-list button.refer[data-job='J-weld']").get_attribute("disabled") is not None)
    referrals = http.get("/v1/referrals", params={"seeker_id": "S-wang"}).json()["data"]
    assert [(r["job_id"], r["status"], r.get("station_id")) for r in referrals] == [
        ("J-weld", "recommended", STATION["id"])]

    # 录用: record the outcome
    Select(row.find_element("css selector", "select.ref-status")).select_by_value("hired")
    row.find_element("css selector", "input.ref-outcome").send_keys("月薪6000元，下周一上岗")
    row.find_element("css selector", "button.ref-save").click()
    wait(d, visible("#referral-list tr.referral[data-job='J-weld'][data-status='hired']"))
    wait(d, lambda drv: css(drv, "#seeker-status").get_attribute("data-status") == "employed")
    assert "已就业" in css(d, "#seeker-status").text
    screenshot(d, shots / "console_hired.png")

    # ... and the API agrees: referral hired, seeker employed, the one-place job filled
    ref = http.get(f"/v1/referrals/{referrals[0]['id']}").json()
    assert ref["status"] == "hired" and ref["outcome"] == "月薪6000元，下周一上岗" and ref.get("decided_at")
    assert http.get("/v1/seekers/S-wang").json()["status"] == "employed"
    assert http.get("/v1/jobs/J-weld").json()["status"] == "filled"

    # the print view: the match list and a print header, no controls
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert css(d, "#print-head").is_displayed() and STATION["name"] in css(d, "#print-head").text
        assert not css(d, ".topbar").is_displayed() and not css(d, "#referral-list").is_displayed()
        assert not css_all(d, "#match-list button.refer")[0].is_displayed()
        assert not css(d, "#seeker-facts").is_displayed()  # no phone or assistance group on paper
        assert css_all(d, "#match-list li.match")[0].is_displayed()
        screenshot(d, shots / "console_print.png")
    finally:
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

    assert js_errors(d) == []


def test_job_form_errors_and_masked_candidates(server, http, browser, shots):
    d = browser
    open_console(d, server)
    choose_station(d, STATION["id"])
    css(d, "#tab-jobs").click()
    wait(d, visible("#panel-jobs"))
    css(d, "#btn-new-job").click()
    wait(d, visible("#job-form"))

    # a job without a title and with a non-numeric wage: the API's bilingual errors sit by the fields
    css(d, "#job-wage_min").send_keys("三千")
    css(d, "#btn-save-job").click()
    title_error = wait(d, visible("#job-err-title"))
    assert "必填" in title_error.text or "required" in title_error.text
    assert css(d, "#job-title").get_attribute("aria-invalid") == "true"
    assert css(d, "#job-err-wage_min").text.strip()
    screenshot(d, shots / "console_job_errors.png")

    # fix it and post: the station's position and region are pre-filled
    css(d, "#job-title").send_keys("超市保洁员")
    css(d, "#job-employer_name").send_keys("建北惠民超市")
    css(d, "#job-wage_min").clear()
    css(d, "#job-wage_min").send_keys("2800")
    css(d, "#job-wage_max").send_keys("3300")
    css(d, "#job-description").send_keys("超市卖场日常保洁，白班")
    css(d, "#btn-save-job").click()
    wait(d, lambda drv: css(drv, "#job-id").get_attribute("readonly") is not None and css(drv, "#job-id").get_attribute("value"))
    job_id = css(d, "#job-id").get_attribute("value")
    job = http.get(f"/v1/jobs/{job_id}").json()
    assert job["title"] == "超市保洁员" and job["wage_min"] == 2800 and job["lat"] == STATION["lat"]

    # nearby candidates: masked (surname only), never the phone; no seeker without consent
    css(d, "#btn-job-candidates").click()
    wait(d, lambda drv: len(css_all(drv, "#candidate-list tr.candidate")) >= 1)
    table = css(d, "#candidate-list").text
    assert "李*" in table
    assert "李娜" not in table and "13900005678" not in table and "5678" not in table
    assert "张" not in table  # no consent: never offered to an employer
    screenshot(d, shots / "console_candidates.png")
    assert js_errors(d, allow=("status of 422",)) == []  # the refused first save, on purpose


def test_digest_panel(server, browser, shots, tmp_path):
    d = browser
    open_console(d, server)
    choose_station(d, STATION["id"])
    css(d, "#tab-digest").click()
    wait(d, lambda drv: css_all(drv, "#digest-body .digest-summary") or "还没有准备好" in css(drv, "#digest-body").text)
    body = css(d, "#digest-body").text
    assert "还没有准备好" not in body, body
    assert "就业圈" in body and "圈内在招岗位" in body
    assert "李娜" in body  # seekers of the station's ledger with their best matches
    screenshot(d, shots / "console_digest.png")

    # the printable page and the CSV need the token too: fetched by the page, not plain links
    console = d.current_window_handle
    css(d, "#digest-html").click()
    wait(d, lambda drv: len(drv.window_handles) == 2)
    d.switch_to.window(next(h for h in d.window_handles if h != console))
    try:
        wait(d, lambda drv: drv.current_url.startswith("blob:") and drv.execute_script(
            "return document.readyState === 'complete' && !!document.querySelector('h1')"))
        assert "就业信息推送" in css(d, "h1").text and "李娜" in css(d, "body").text
        # styled by digest-print.css (the page inherits the console's CSP, which refuses inline style)
        assert d.execute_script("return getComputedStyle(document.querySelector('table')).borderCollapse") == "collapse"
        screenshot(d, shots / "console_digest_print.png")
        assert js_errors(d) == []
    finally:
        d.close()
        d.switch_to.window(console)

    d.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    css(d, "#digest-csv").click()
    wait(d, lambda drv: [f for f in tmp_path.glob("*.csv")])
    csv = next(tmp_path.glob("*.csv"))
    assert csv.name.startswith(f"digest-{STATION['id']}-")
    wait(d, lambda drv: "李娜" in csv.read_text(encoding="utf-8-sig"))

    # digests not built yet (503 not_ready): a friendly message instead of an error
    d.execute_script("""
        const real = window.fetch;
        window.fetch = (url, init) => String(url).includes('/v1/digests')
            ? Promise.resolve(new Response(JSON.stringify({code: 'not_ready', message: '服务暂不可用 / not ready'}),
                                           {status: 503, headers: {'Content-Type': 'application/json'}}))
            : real(url, init);""")
    css(d, "#digest-form button[type=submit]").click()
    wait(d, lambda drv: "还没有准备好" in css(drv, "#digest-body").text)
    assert not css(d, "#digest-html").is_displayed()
    assert js_errors(d, allow=("status of 503",)) == []


# -- 统计 ------------------------------------------------------------------------------------------
WAGE_BANDS = (("lt_3000", None, 3000), ("3000_4999", 3000, 5000), ("5000_6999", 5000, 7000), ("7000_plus", 7000, None))


def _band(job) -> str:
    wage = job.get("wage_min") if job.get("wage_min") is not None else job.get("wage_max")
    if wage is None:
        return "unspecified"
    return next(key for key, lo, hi in WAGE_BANDS if (lo is None or wage >= lo) and (hi is None or wage < hi))


def _expected_stats(http, prefix: str) -> dict:
    """The 统计 tab's numbers for the area ``prefix``, counted here from the fixture data above.

    The earlier tests of this module change a few records (a seeker hired, a job filled, a job posted
    from the form, one referral): the current status of the fixture's records, the jobs posted since
    and the referrals are read back from the API, so the count holds run alone or after them."""
    from collections import Counter

    seekers = [{**s, "status": http.get(f"/v1/seekers/{s['id']}").json()["status"]}
               for s in SEEKERS if s["region_code"].startswith(prefix)]
    jobs = [{**j, "status": http.get(f"/v1/jobs/{j['id']}").json()["status"]}
            for j in JOBS if j["region_code"].startswith(prefix)]
    fixture_ids = {j["id"] for j in JOBS}
    jobs += [j for j in http.get("/v1/jobs", params={"region_code": prefix, "limit": 200}).json()["data"]
             if j["id"] not in fixture_ids]
    seeker_ids, job_ids = {s["id"] for s in seekers}, {j["id"] for j in jobs}
    referrals = [r for r in http.get("/v1/referrals", params={"limit": 200}).json()["data"]
                 if r["seeker_id"] in seeker_ids or r["job_id"] in job_ids]
    open_jobs = [j for j in jobs if j.get("status", "open") == "open"]
    groups, groups_active = Counter(), Counter()
    for s in seekers:
        for g in s.get("priority_groups") or ["none"]:
            groups[g] += 1
            groups_active[g] += s["status"] != "employed"
    stations = [t for t in (STATION, OTHER_STATION) if t["region_code"].startswith(prefix)]
    return {
        "seekers": len(seekers),
        "seekers_by_status": Counter(s["status"] for s in seekers),
        "priority": groups, "priority_active": groups_active,
        "open_jobs": len(open_jobs),
        "open_headcount": sum(j.get("headcount") or 1 for j in open_jobs),
        "welding_jobs": sum("焊" in j["title"] for j in open_jobs),
        "wage_bands": Counter(_band(j) for j in open_jobs),
        "wage_heads": Counter({b: sum(j.get("headcount") or 1 for j in open_jobs if _band(j) == b)
                               for b in {_band(j) for j in open_jobs}}),
        "referrals": len(referrals),
        "referrals_by_status": Counter(r["status"] for r in referrals),
        "stations": {t["id"]: {
            "seekers": sum(s.get("station_id") == t["id"] for s in seekers),
            "referrals": sum(r.get("station_id") == t["id"] for r in referrals),
            "hires": sum(r.get("station_id") == t["id"] and r["status"] == "hired" for r in referrals),
        } for t in stations},
    }


def stat_cell(driver, block: str, key: str, field: str = "count") -> str:
    return css(driver, f"#stats-{block} tr[data-key='{key}'] td[data-field='{field}']").text


def stat_keys(driver, block: str) -> list[str]:
    return [tr.get_attribute("data-key") for tr in css_all(driver, f"#stats-{block} tbody tr")]


def bar_shares(driver, block: str) -> list[float]:
    """Each row's first bar as a share of its track (what the eye sees), measured in the page."""
    return driver.execute_script("""
        return Array.from(document.querySelectorAll(arguments[0] + ' tbody tr')).map(tr => {
            const track = tr.querySelector('.bar-track'), bar = track.querySelector('.bar');
            return bar.getBoundingClientRect().width / track.getBoundingClientRect().width;
        });""", f"#stats-{block}")


def test_stats_panel(server, http, browser, shots):
    from selenium.webdriver.support.ui import Select

    d = browser
    open_console(d, server)
    choose_station(d, STATION["id"])
    css(d, "#tab-stats").click()
    wait(d, visible("#panel-stats"))
    assert d.execute_script("return location.hash") == "#stats"

    # the range: the station's county by default, then its city and the province (a 6-digit station
    # has no township); the page asks the API for the prefix itself ("1301", not "130100")
    region = Select(css(d, "#stats-region"))
    assert [o.get_attribute("value") for o in region.options] == ["130102", "1301", "13"]
    assert region.first_selected_option.get_attribute("value") == "130102"
    wait(d, lambda drv: "长安区" in css(drv, "#stats-title").text)
    wait(d, visible("#stats-stations table"))
    assert "长安区" in region.first_selected_option.text  # the option learnt the region's name

    # totals and every table, against the fixture's records
    want = _expected_stats(http, "130102")
    assert want["seekers"] == 3 and want["open_jobs"] >= 4  # the fixture: 3 seekers, 5 jobs in 长安区
    assert css(d, "[data-total='seekers']").text == str(want["seekers"])
    assert css(d, "[data-total='open_jobs']").text == str(want["open_jobs"])
    assert css(d, "[data-total='referrals']").text == str(want["referrals"])
    assert css(d, "[data-total='stations']").text == "1"

    assert stat_keys(d, "seeker-status") == ["unemployed", "employed", "seeking"]
    for status in ("unemployed", "employed", "seeking"):
        assert stat_cell(d, "seeker-status", status) == str(want["seekers_by_status"][status]), status
    assert "未就业" in css(d, "#stats-seeker-status").text

    assert sorted(stat_keys(d, "priority")) == sorted(want["priority"])  # groups with nobody are left out
    for group, n in want["priority"].items():
        assert stat_cell(d, "priority", group) == str(n), group
        assert stat_cell(d, "priority", group, "active") == str(want["priority_active"][group]), group
    assert "“4050”人员" in css(d, "#stats-priority").text and "非就业困难人员" in css(d, "#stats-priority").text

    occupations = stat_keys(d, "occupation")
    assert 1 <= len(occupations) <= 11  # the top 10 (+ 其他)
    assert sum(int(stat_cell(d, "occupation", k)) for k in occupations) == want["open_jobs"]
    assert sum(int(stat_cell(d, "occupation", k, "headcount")) for k in occupations) == want["open_headcount"]
    welding = next(tr for tr in css_all(d, "#stats-occupation tbody tr")
                   if tr.find_element("css selector", "th").text == "焊工")
    assert welding.find_element("css selector", "td[data-field='count']").text == str(want["welding_jobs"])

    assert stat_keys(d, "wage") == ["lt_3000", "3000_4999", "5000_6999", "7000_plus", "unspecified"]
    for band in stat_keys(d, "wage"):
        assert stat_cell(d, "wage", band) == str(want["wage_bands"][band]), band
        assert stat_cell(d, "wage", band, "headcount") == str(want["wage_heads"][band]), band
    assert "3000元以下" in css(d, "#stats-wage").text and "/ under" not in css(d, "#stats-wage").text

    if want["referrals"]:
        for status, n in want["referrals_by_status"].items():
            assert stat_cell(d, "referrals", status) == str(n), status
    else:
        assert "还没有推荐记录" in css(d, "#stats-referrals").text

    # per township: the fixture codes everything at the county level only
    assert stat_keys(d, "regions") == ["unspecified"]
    assert stat_cell(d, "regions", "unspecified", "seekers") == str(want["seekers"])
    assert stat_cell(d, "regions", "unspecified", "open_jobs") == str(want["open_jobs"])

    assert stat_keys(d, "stations") == [STATION["id"]]
    for field, n in want["stations"][STATION["id"]].items():
        assert stat_cell(d, "stations", STATION["id"], field) == str(n), field
    assert "本站" in css(d, f"#stats-stations tr[data-key='{STATION['id']}'] th").text

    # the bars are drawn to scale: the largest row fills its track, an empty row draws nothing
    shares = bar_shares(d, "seeker-status")
    counts = [want["seekers_by_status"][k] for k in ("unemployed", "employed", "seeking")]
    for share, n in zip(shares, counts, strict=True):
        assert abs(share - n / max(counts)) < 0.02, (shares, counts)
    # accessible: the range select has its label, the bars are hidden from screen readers (the numbers are in the table)
    assert css(d, "label[for='stats-region']").text == "统计范围"
    assert all(td.get_attribute("aria-hidden") == "true" for td in css_all(d, "#stats-body td.bar-cell"))
    screenshot(d, shots / "console_stats.png")

    # the city: one row per county, both stations
    region.select_by_value("1301")
    wait(d, lambda drv: "石家庄市" in css(drv, "#stats-title").text)
    wait(d, visible("#stats-stations table"))
    city = _expected_stats(http, "1301")
    assert stat_keys(d, "regions") == ["130102", "130123"]
    assert stat_cell(d, "regions", "130102", "seekers") == str(city["seekers"])
    assert stat_cell(d, "regions", "130123", "seekers") == "0"
    assert stat_cell(d, "regions", "130123", "stations") == "1"
    assert "正定县" in css(d, "#stats-regions").text
    assert sorted(stat_keys(d, "stations")) == sorted(city["stations"])
    for sid, fields in city["stations"].items():
        for field, n in fields.items():
            assert stat_cell(d, "stations", sid, field) == str(n), (sid, field)
    screenshot(d, shots / "console_stats_city.png")

    # print: a header with the station and the range, the tables, no controls
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert css(d, "#stats-print-head").is_displayed()
        assert STATION["name"] in css(d, "#stats-print-head").text and "石家庄市" in css(d, "#stats-print-head").text
        assert not css(d, "#stats-form").is_displayed() and not css(d, ".tabs").is_displayed()
        assert css(d, "#stats-stations table").is_displayed()
        screenshot(d, shots / "console_stats_print.png")
    finally:
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert js_errors(d) == []


# -- 登录 ------------------------------------------------------------------------------------------
def test_login_logout_and_roles(server, http, browser, shots):
    from selenium.webdriver.common.keys import Keys

    from matcher.accounts import add_account, revoke_token

    d = browser
    d.get(f"{server.base}/console")
    wait(d, auth_state)  # (a tab still logged in from an earlier test logs out first)
    if auth_state(d) == "in":
        log_out(d)
    d.refresh()

    # no token in this tab: only the login panel, its field focused, nothing asked of the API yet
    panel = wait(d, visible("#login-panel"))
    assert auth_state(d) == "out"
    assert css(d, "label[for='login-token']").text == "访问令牌"
    field = css(d, "#login-token")
    assert field.get_attribute("type") == "password"
    assert d.execute_script("return document.activeElement.id") == "login-token"
    assert css(d, "#login-hint").text == "由系统管理员发放"  # no command line on the login page
    assert css(d, "#btn-login").text == "登录"
    for hidden in ("#tabs", "#workspace", "#station-picker", "#account"):
        assert not css(d, hidden).is_displayed(), hidden
    screenshot(d, shots / "console_login.png")

    # an empty or a wrong token: an error, and still the login panel
    css(d, "#btn-login").click()
    wait(d, visible("#login-error"))
    assert "请输入访问令牌" in css(d, "#login-error").text
    field.send_keys("hjm_this-is-not-a-real-token")
    css(d, "#btn-login").click()
    wait(d, lambda drv: "令牌无效或已过期" in css(drv, "#login-error").text)
    assert panel.is_displayed() and auth_state(d) == "out"
    assert field.get_attribute("aria-invalid") == "true"
    assert css(d, "#login-error").get_attribute("role") == "alert"
    assert stored_token(d) is None
    assert not css(d, "#workspace").is_displayed()
    screenshot(d, shots / "console_login_error.png")

    # the right token, from the keyboard (Enter submits): the account line and every staff tab
    field.clear()
    field.send_keys(server.token + Keys.ENTER)
    wait(d, lambda drv: auth_state(drv) == "in")
    assert not panel.is_displayed()
    # the area by name, not as a code
    wait(d, lambda drv: css(drv, "#account-line").text == "当前账号：省就业服务中心（省级，河北省）")
    assert tab_names(d) == ["求职者", "岗位", "今日推送", "统计", "登记导入", "援助对象", "服务预约", "绩效考核"]
    assert d.execute_script("return document.activeElement.getAttribute('role')") == "tab"
    assert stored_token(d) == server.token
    assert server.token not in d.execute_script("return JSON.stringify(Object.assign({}, localStorage))")
    assert css(d, "#login-token").get_attribute("value") == ""  # not left in the page
    choose_station(d, STATION["id"])
    css(d, "#tab-seekers").click()
    css(d, "#seeker-q").send_keys("李娜")
    css(d, "#seeker-search button[type=submit]").click()
    wait(d, visible("button.open-seeker[data-id='S-li']"))
    screenshot(d, shots / "console_logged_in.png")

    # 退出: back to the login panel, the token and what was on screen gone, also after a reload
    log_out(d)
    assert stored_token(d) is None
    assert "已退出" in css(d, "#login-status").text
    assert not css(d, "#account").is_displayed() and not css(d, "#tabs").is_displayed()
    assert "李娜" not in d.execute_script("return document.body.textContent")
    d.refresh()
    wait(d, visible("#login-panel"))
    assert auth_state(d) == "out"

    # an employer: its own jobs only; no 求职者, 今日推送 or 统计 tab (not even through the URL)
    d.get(f"{server.base}/console#seekers")
    log_in(d, server.employer_token)
    wait(d, lambda drv: css(drv, "#account-line").text == f"当前账号：华北钢构招聘（用人单位，{EMPLOYER['name']}）")
    assert tab_names(d) == ["岗位", "推荐给本单位"]
    assert not css(d, "#tab-seekers").is_displayed() and not css(d, "#panel-seekers").is_displayed()
    assert css(d, "#panel-jobs").is_displayed() and d.execute_script("return location.hash") == "#jobs"
    css(d, "#job-search button[type=submit]").click()
    wait(d, lambda drv: "共 1 个岗位" in css(drv, "#job-results").text)
    assert "电焊工" in css(d, "#job-results").text and "小区保安" not in css(d, "#job-results").text
    css(d, "#btn-new-job").click()
    wait(d, visible("#job-form"))
    assert css(d, "#job-employer_id").get_attribute("value") == EMPLOYER["id"]
    assert css(d, "#job-employer_id").get_attribute("readonly") is not None
    screenshot(d, shots / "console_employer.png")
    log_out(d)

    # a county account: statistics only for its own county (the API refuses a wider range)
    log_in(d, server.county_token)
    assert tab_names(d) == ["求职者", "岗位", "今日推送", "统计", "登记导入", "援助对象", "服务预约", "绩效考核"]
    choose_station(d, STATION["id"])
    css(d, "#tab-stats").click()
    wait(d, lambda drv: "长安区" in css(drv, "#stats-body").text)
    region = css(d, "#stats-region")
    assert [o.get_attribute("value") for o in region.find_elements("css selector", "option")] == ["130102"]
    log_out(d)

    # a token revoked while in use: the next request answers 401 and the login panel says so
    _, token = add_account(server.engine.store, "长安区建北街道站", "station", region_code="130102")
    log_in(d, token)
    css(d, "#tab-seekers").click()
    revoke_token(server.engine.store, token)
    css(d, "#seeker-q").send_keys("王小明")
    css(d, "#seeker-search button[type=submit]").click()
    wait(d, visible("#login-panel"))
    assert "令牌无效或已过期，请重新登录" in css(d, "#login-error").text
    assert stored_token(d) is None and not css(d, "#workspace").is_displayed()
    assert http.get("/v1/me").json()["role"] == "province"  # the other accounts are untouched

    assert js_errors(d, allow=("status of 401",)) == []
