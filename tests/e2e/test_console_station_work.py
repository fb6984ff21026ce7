"""End to end, headless Chromium: the station's daily work in the console (issue 14), as a station
worker, a county administrator and an employer, against the real app (uvicorn, SQLite, the real
encoder; the fixtures of test_console_browser.py).

station worker: the station is preselected -> register a walk-in person at the desk (a printable
slip; the same ID number again is refused as a duplicate) -> import a file through the preview
(row errors shown, commit) -> open a case for the person and log a follow-up -> book an appointment
and see it in the day list -> refer a person with consent, record the hire -> the hire is in the
employment ledger and in the quarter's report -> download the report as XLSX.
county administrator: the county view of cases; the quarter's report of the county.
employer: the referrals made to it, with the consented person's phone.
"""

from __future__ import annotations

import csv
import time
from datetime import date, timedelta

import pytest
import test_console_browser as base
from test_console_browser import (
    EMPLOYER,
    STATION,
    css,
    css_all,
    js_errors,
    open_console,
    screenshot,
    visible,
)

# the module's fixtures: the same real app, browser and screenshot folder as the console's own tests
server, http, browser, shots = base.server, base.http, base.browser, base.shots

pytestmark = pytest.mark.e2e


def _id_number(prefix17: str) -> str:
    from matcher.records import id_number_check_digit

    return prefix17 + id_number_check_digit(prefix17)


WALK_IN_ID = _id_number("13010219790315123")


@pytest.fixture(scope="module")
def station_token(server):
    from matcher.accounts import add_account

    _, token = add_account(server.engine.store, "建北站王干事", "station", region_code="130102")
    return token


def wait(driver, condition, timeout: float = base.WAIT_S):
    """base.wait, but a list re-rendered under the check (a stale element) is looked up again."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1,
                         ignored_exceptions=[StaleElementReferenceException]).until(condition)


def _type(driver, selector, text):
    el = css(driver, selector)
    el.clear()
    el.send_keys(text)


def _set(driver, selector, value):
    """Set an input's value the way the browser's own pickers would (date/time inputs)."""
    driver.execute_script("const el = document.querySelector(arguments[0]); el.value = arguments[1];"
                          "el.dispatchEvent(new Event('change'));", selector, value)


def test_station_worker_daily_work(server, http, browser, shots, station_token, tmp_path):
    from selenium.webdriver.support.ui import Select

    d = browser
    open_console(d, server, station_token)
    # one station in the account's area: chosen already, nothing to pick
    wait(d, lambda drv: css(drv, "#station-select").get_attribute("value") == STATION["id"])

    # -- register a walk-in person at the desk ----------------------------------------------------------
    css(d, "#tab-desk").click()
    wait(d, visible("#desk-seeker-form"))
    _type(d, "#desk-seeker-name", "赵春梅")
    _type(d, "#desk-seeker-id_number", WALK_IN_ID)
    _type(d, "#desk-seeker-phone", "13512340000")
    _type(d, "#desk-seeker-desired_occupations", "保洁员、收银员")
    css(d, "#desk-seeker-priority_groups input[value='older_4050']").click()
    css(d, "#desk-seeker-consent_to_share").click()
    css(d, "#btn-save-seeker").click()
    slip = wait(d, visible("#desk-slip"))
    walk_in = slip.get_attribute("data-id")
    assert walk_in and walk_in.startswith("S") and "赵春梅" in slip.text and "求职登记回执" in slip.text
    person = http.get(f"/v1/seekers/{walk_in}").json()
    assert person["station_id"] == STATION["id"] and person["region_code"] == STATION["region_code"]
    assert person["gender"] == "male" and person["birth_date"] == "1979-03-15"  # from the ID number
    screenshot(d, shots / "desk_registered.png")
    # printing shows the slip only
    d.execute_script("document.body.classList.add('printing-slip')")
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert css(d, "#desk-slip").is_displayed() and not css(d, "#desk-seeker-form").is_displayed()
    finally:
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        d.execute_script("document.body.classList.remove('printing-slip')")

    # the same ID number again: refused, with a way to the existing record
    css(d, "#btn-new-seeker").click()
    _type(d, "#desk-seeker-name", "赵春梅")
    _type(d, "#desk-seeker-id_number", WALK_IN_ID)
    css(d, "#btn-save-seeker").click()
    dup = wait(d, visible("#desk-seeker-form .open-duplicate"))
    assert dup.get_attribute("data-id") == walk_in
    assert "已登记" in css(d, "#desk-seeker-id_number-err").text
    # a wrong check digit: the field says so, in Chinese only
    _type(d, "#desk-seeker-id_number", WALK_IN_ID[:-1] + ("1" if WALK_IN_ID[-1] != "1" else "2"))
    css(d, "#btn-save-seeker").click()
    wait(d, lambda drv: "校验位" in css(drv, "#desk-seeker-id_number-err").text)
    assert "/" not in css(d, "#desk-seeker-id_number-err").text and "check digit" not in d.page_source

    # -- import a file through the preview -------------------------------------------------------------------
    upload = tmp_path / "求职登记.csv"
    with upload.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["姓名", "身份证号", "手机号", "区划代码", "求职意向"])
        w.writerow(["钱多多", _id_number("13010219920101234"), "13600001111", "130102", "仓库管理员"])
        w.writerow(["孙悦", _id_number("13010219950505345"), "13600002222", "130102", "收银员"])
        w.writerow(["坏行", "130102199001011234", "123", "130102", "保安"])
    Select(css(d, "#import-kind")).select_by_value("seekers")
    css(d, "#import-file").send_keys(str(upload))
    css(d, "#btn-import-preview").click()
    summary = wait(d, visible("#import-summary"))
    assert summary.get_attribute("data-inserted") == "2" and summary.get_attribute("data-rejected") == "1"
    errors = [r.text for r in css_all(d, "#import-preview tr.import-error")]
    assert errors and all(e.startswith("4") for e in errors)  # row 4 of the file
    assert http.get("/v1/seekers", params={"q": "钱多多"}).json()["count"] == 0  # nothing written yet
    screenshot(d, shots / "desk_import_preview.png")
    css(d, "#btn-import-commit").click()
    wait(d, visible("#import-done"))
    assert http.get("/v1/seekers", params={"q": "钱多多"}).json()["count"] == 1

    # -- open a case for the walk-in person and log a follow-up ------------------------------------------------
    css(d, "#tab-seekers").click()
    _type(d, "#seeker-q", "赵春梅")
    css(d, "#seeker-search button[type=submit]").click()
    wait(d, visible(f"button.open-seeker[data-id='{walk_in}']")).click()
    wait(d, visible("#case-open"))
    _type(d, "#case-plan", "推荐白班保洁岗位，每两周电话回访")
    css(d, "#case-open button[type=submit]").click()
    wait(d, visible("#case-summary"))
    form = css(d, "#case-body form.contact-form")
    form.find_element("css selector", ".contact-note").send_keys("电话了解求职意向")
    form.find_element("css selector", ".contact-difficulty").send_keys("需照顾老人，只能做白班")
    _set(d, "#case-body .contact-next", (date.today() + timedelta(days=14)).isoformat())
    form.find_element("css selector", "button[type=submit]").click()
    wait(d, lambda drv: len(css_all(drv, "#case-body tr.contact")) == 1)
    case = http.get("/v1/cases", params={"seeker_id": walk_in}).json()["data"][0]
    assert case["owner"] == "建北站王干事" and case["difficulty"] == "需照顾老人，只能做白班" and case["contacts"] == 1

    # -- book an appointment; it is in tomorrow's day list ---------------------------------------------------
    tomorrow = date.today() + timedelta(days=1)
    _set(d, "#book-at", f"{tomorrow.isoformat()}T09:30")
    _type(d, "#book-note", "来站面试辅导")
    css(d, "#book-form button[type=submit]").click()
    wait(d, lambda drv: http.get("/v1/services", params={"kind": "appointment", "seeker_id": walk_in}).json()["count"] == 1)
    css(d, "#tab-services").click()
    _set(d, "#svc-day", tomorrow.isoformat())
    css(d, "#svc-day-form button[type=submit]").click()
    row = wait(d, visible(f"#svc-day-list tr.appointment[data-seeker='{walk_in}']"))
    assert "09:30" in row.text and "赵春梅" in row.text
    screenshot(d, shots / "services_day_list.png")

    # -- refer with consent, record the hire, see it in the ledger -------------------------------------------------
    css(d, "#tab-seekers").click()
    _type(d, "#seeker-q", "王小明")
    css(d, "#seeker-search button[type=submit]").click()
    wait(d, visible("button.open-seeker[data-id='S-wang']")).click()
    wait(d, visible("#match-list button.refer[data-job='J-weld']"))
    # the distance diagram draws every listed job, also those outside the account's area (唐山)
    listed = len(css_all(d, "#match-list li.match"))
    wait(d, lambda drv: len(css_all(drv, "#distance-view svg g.job-dot")) == listed)
    assert "未登记位置" not in css(d, "#distance-view").text
    css(d, "#match-list input.refer-consent[data-job='J-weld']").click()
    css(d, "#match-list button.refer[data-job='J-weld']").click()
    row = wait(d, visible("#referral-list tr.referral[data-job='J-weld']"))
    ref = http.get("/v1/referrals", params={"seeker_id": "S-wang", "job_id": "J-weld"}).json()["data"][0]
    assert ref["consent"] is True
    Select(row.find_element("css selector", "select.ref-status")).select_by_value("hired")
    row.find_element("css selector", "button.ref-save").click()
    wait(d, visible("#referral-list tr.referral[data-job='J-weld'][data-status='hired']"))
    d.execute_script("window.HJConsole.openSeeker('S-wang')")  # the page again: its ledger has the hire
    entry = wait(d, visible("#ledger-list tr.ledger-entry[data-source='referral']"))
    assert "单位就业" in entry.text and "推荐录用" in entry.text and EMPLOYER["name"] in entry.text
    screenshot(d, shots / "ledger_after_hire.png")

    # -- the quarter's report has the hire; download it as XLSX ---------------------------------------------------
    css(d, "#tab-performance").click()
    perf_row = wait(d, visible(f"#perf-table tr.perf-row[data-id='{STATION['id']}']"))
    cells = [c.text for c in perf_row.find_elements("css selector", "td")]
    assert cells  # services by kind, totals...
    assert http.get("/v1/stats/performance").json()["totals"]["hires"] >= 1
    assert len(css_all(d, "#perf-trend polyline")) == 4
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    d.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    css(d, "#perf-xlsx").click()
    deadline = time.monotonic() + 30
    while not list(downloads.glob("*.xlsx")) and time.monotonic() < deadline:
        time.sleep(0.2)
    files = list(downloads.glob("*.xlsx"))
    assert files, "the report was not downloaded"
    from openpyxl import load_workbook

    ws = load_workbook(files[0]).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    head = rows[1]
    station_row = next(r for r in rows if r[0] == STATION["id"])
    assert station_row[head.index("录用人数")] >= 1
    screenshot(d, shots / "performance.png")
    assert js_errors(d, allow=("status of 409", "status of 422")) == []


def test_county_view_and_employer_referrals(server, http, browser, shots):
    d = browser
    # county administrator: cases of the county, the quarter's report
    open_console(d, server, server.county_token)
    css(d, "#tab-cases").click()
    wait(d, visible("#cases-overview h3"))
    overview = css(d, "#cases-overview").text
    assert "未指定责任人的就业困难人员" in overview and "逾期未跟进" in overview and "困难未解决" in overview
    assert "王小明" in overview  # a 4050 person without a case
    css(d, "#tab-performance").click()
    wait(d, visible("#perf-table"))
    assert "长安区" in css(d, "#perf-title").text
    screenshot(d, shots / "county_cases.png")

    # employer: the referrals made to it (the consented one with the phone)
    open_console(d, server, server.employer_token)
    css(d, "#tab-offers").click()
    row = wait(d, visible("#offers-list tr.offer"))
    assert "电焊工" in row.text and "王小明" in row.text and "13800001234" in row.text
    screenshot(d, shots / "employer_offers.png")
    assert js_errors(d) == []


def test_console_text_is_chinese_only(server, browser):
    d = browser
    open_console(d, server)
    text = css(d, "body").text
    assert "generated" not in text and " / " not in css(d, "#account").text
