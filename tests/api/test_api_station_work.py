"""The station's daily work over HTTP (issue 14), on SQLite and PostgreSQL: the employment ledger,
assistance cases and follow-ups, service records and appointments, 包联 assignments, performance per
quarter (JSON, CSV, XLSX), statistics of a period, desk registration (duplicates), import previews
with optional ids, import templates, and the offline API docs. Each route is also checked against
the area rules: an account of another county gets 404 (never 403) for these records, an employer
403 for the whole resource.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from api_helpers import TODAY, bearer, job, make_token, seeker, store_put

from matcher.performance import parse_quarter, quarter_of
from matcher.records import id_number_check_digit

A, B = "130102", "130203"


def id_number(prefix17: str) -> str:
    return prefix17 + id_number_check_digit(prefix17)


ID_1 = id_number("13010219800101123")
ID_2 = id_number("13010219900202234")


@pytest.fixture
def area(engine):
    """Two counties: 长安区 (two townships, two stations) and 路北区 (one of each)."""
    store_put(engine, "station", [
        {"id": "ST1", "name": "建北街道服务站", "region_code": "130102001"},
        {"id": "ST2", "name": "青园街道服务站", "region_code": "130102002"},
        {"id": "STB", "name": "路北站", "region_code": "130203001"}])
    store_put(engine, "seeker", [
        seeker("S1", name="王小明", region_code="130102001001", station_id="ST1", priority_groups=["older_4050"]),
        seeker("S2", name="李娜", region_code="130102002003", station_id="ST2"),
        seeker("S3", name="张伟", region_code="130102001002", station_id="ST1", priority_groups=["disabled"]),
        seeker("SB", name="赵六", region_code="130203001001", station_id="STB")])
    return engine


def tokens(engine):
    if not engine.store.get_dicts("employer", ["E1"]):
        store_put(engine, "employer", [{"id": "E1", "name": "石家庄顺达物流", "region_code": A}])
    return {"county": bearer(make_token(engine, "county", region=A, name="长安区就业局")),
            "other": bearer(make_token(engine, "county", region=B, name="路北区就业局")),
            "station": bearer(make_token(engine, "station", region="130102001", name="建北站小王")),
            "employer": bearer(make_token(engine, "employer", employer="E1", name="某单位"))}


# -- the employment ledger -------------------------------------------------------------------------------
def test_employment_ledger(client, area):
    t = tokens(area)
    day = (TODAY - timedelta(days=20)).isoformat()
    r = client.post("/v1/seekers/S1/employment", headers=t["station"],
                    json={"form": "灵活就业", "workplace": "外卖配送", "started_at": day, "source": "visit"})
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["form"] == "flexible" and entry["status"] == "employed" and entry["recorded_by"] == "建北站小王"
    assert entry["region_code"] == "130102001001" and entry["source"] == "visit"
    assert client.get("/v1/seekers/S1").json()["status"] == "employed"  # the record follows the ledger

    r = client.post("/v1/seekers/S1/employment", headers=t["county"], json={"form": "unemployed", "source": "phone"})
    assert r.status_code == 201 and r.json()["started_at"] == TODAY.isoformat()
    hist = client.get("/v1/seekers/S1/employment", headers=t["county"]).json()
    assert [e["form"] for e in hist["data"]] == ["flexible", "unemployed"]
    assert hist["current"]["form"] == "unemployed" and hist["status"] == "unemployed"

    # rules: a form is required and must agree with a given status; no future dates
    assert client.post("/v1/seekers/S1/employment", json={"form": "打鱼"}).status_code == 422
    r = client.post("/v1/seekers/S1/employment", json={"form": "employer", "status": "unemployed"})
    assert r.status_code == 422
    future = (TODAY + timedelta(days=3)).isoformat()
    r = client.post("/v1/seekers/S1/employment", json={"form": "employer", "started_at": future})
    assert r.status_code == 422 and r.json()["field"] == "started_at"

    # area rules: another county sees nothing (404 as for a missing person), an employer may not ask
    assert client.get("/v1/seekers/S1/employment", headers=t["other"]).status_code == 404
    assert client.post("/v1/seekers/S1/employment", headers=t["other"], json={"form": "employer"}).status_code == 404
    assert client.get("/v1/seekers/SB/employment", headers=t["station"]).status_code == 404
    assert client.get("/v1/seekers/NOPE/employment").status_code == 404
    assert client.get("/v1/seekers/S1/employment", headers=t["employer"]).status_code == 403


def test_a_referral_hire_writes_the_ledger(client, engine):
    engine.upsert("employer", [{"id": "E1", "name": "石家庄顺达物流", "region_code": A}])
    engine.upsert("seeker", [seeker("S1", name="王小明", desired_occupations=["快递员"])])
    engine.upsert("job", [job("J1", "快递派送员", employer_id="E1", employer_name="石家庄顺达物流", public_welfare=False)])
    rid = client.post("/v1/referrals", json={"seeker_id": "S1", "job_id": "J1"}).json()["id"]
    assert client.patch(f"/v1/referrals/{rid}", json={"status": "hired", "outcome": "月薪5000"}).status_code == 200
    hist = client.get("/v1/seekers/S1/employment").json()
    assert len(hist["data"]) == 1
    e = hist["data"][0]
    assert (e["form"], e["status"], e["source"], e["employer_id"], e["employer_name"], e["referral_id"]) == (
        "employer", "employed", "referral", "E1", "石家庄顺达物流", rid)
    assert e["started_at"] == TODAY.isoformat() and e["workplace"] == "快递派送员" and e["recorded_by"]


def test_employment_statistics_by_township_and_month(client, area):
    t = tokens(area)
    month_ago = TODAY.replace(day=1) - timedelta(days=1)  # a day of last month
    for sid, form, day in (("S1", "employer", month_ago), ("S2", "migrant", TODAY), ("S3", "unemployed", month_ago),
                           ("S3", "self_employed", TODAY)):
        r = client.post(f"/v1/seekers/{sid}/employment", json={"form": form, "started_at": day.isoformat()})
        assert r.status_code == 201, r.text
    since = month_ago.replace(day=1).isoformat()
    until = (TODAY + timedelta(days=1)).isoformat()
    r = client.get("/v1/stats/employment", headers=t["county"], params={"region_code": A, "from": since, "to": until})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["totals"]["persons"] == 3 and d["totals"]["employed"] == 3
    assert d["totals"]["by_form"] == {"employer": 1, "migrant": 1, "self_employed": 1}
    rows = {c["code"]: c for c in d["child_regions"]}
    assert rows["130102001"]["persons"] == 2 and rows["130102001"]["by_form"] == {"employer": 1, "self_employed": 1}
    assert rows["130102002"]["by_form"] == {"migrant": 1}
    months = {(m["month"], m["code"]): m for m in d["monthly"]}
    last, this = month_ago.isoformat()[:7], TODAY.isoformat()[:7]
    assert months[(last, "130102001")]["became_employed"] == 1 and months[(last, "130102001")]["entries"] == 2
    assert months[(this, "130102001")]["became_employed"] == 1  # S3: unemployed -> self-employed
    assert months[(this, "130102002")]["became_employed"] == 1
    # before this month's entries, S3 was not employed
    r = client.get("/v1/stats/employment", headers=t["county"], params={"region_code": A, "to": TODAY.isoformat()})
    assert r.json()["totals"]["employed"] == 1
    assert client.get("/v1/stats/employment", headers=t["other"], params={"region_code": A}).status_code == 404
    r = client.get("/v1/stats/employment", params={"from": TODAY.isoformat(), "to": since})
    assert r.status_code == 422


# -- assistance cases ----------------------------------------------------------------------------------------
def test_cases_mine_overdue_first_and_follow_ups_after_a_hire(client, area):
    t = tokens(area)
    r = client.post("/v1/cases", headers=t["county"],
                    json={"seeker_id": "S1", "owner": "建北站小王", "plan": "推荐保安、保洁岗位，每两周电话回访"})
    assert r.status_code == 201, r.text
    c1 = r.json()
    assert c1["status"] == "open" and c1["owner"] == "建北站小王" and c1["region_code"] == "130102001001"
    assert client.post("/v1/cases", json={"seeker_id": "S1"}).status_code == 409  # one open case per person
    r = client.post("/v1/cases", json={"seeker_id": "S3", "owner": "没有这个人"})
    assert r.status_code == 422 and r.json()["field"] == "owner"
    c3 = client.post("/v1/cases", json={"seeker_id": "S3", "owner": "建北站小王",
                                        "next_due": (TODAY + timedelta(days=5)).isoformat()}).json()

    # a follow-up ten days ago, due three days ago: overdue
    r = client.post(f"/v1/cases/{c1['id']}/contacts", headers=t["station"], json={
        "channel": "phone", "at": (TODAY - timedelta(days=10)).isoformat(), "note": "电话了解求职意向",
        "difficulty": "需照顾老人，只能做白班", "next_due": (TODAY - timedelta(days=3)).isoformat()})
    assert r.status_code == 201, r.text
    assert r.json()["staff"] == "建北站小王" and r.json()["case"]["overdue"] is True
    r = client.post(f"/v1/cases/{c1['id']}/contacts", json={"channel": "visit", "at": TODAY.isoformat(),
                                                            "next_due": (TODAY - timedelta(days=1)).isoformat()})
    assert r.status_code == 422 and r.json()["field"] == "next_due"

    mine = client.get("/v1/cases", headers=t["station"], params={"mine": "true"}).json()
    assert [c["id"] for c in mine["data"]] == [c1["id"], c3["id"]]
    assert mine["data"][0]["overdue"] and not mine["data"][1]["overdue"]
    assert mine["data"][0]["seeker"]["name"] == "王小明"

    # the county view: S3 has an owner, S1 too; nobody else is a target without one... until S2 becomes one
    ov = client.get("/v1/cases/overview", headers=t["county"], params={"region_code": A}).json()
    assert ov["targets_without_owner"]["count"] == 0
    assert [c["id"] for c in ov["overdue"]["data"]] == [c1["id"]]
    assert [c["id"] for c in ov["unresolved"]["data"]] == [c1["id"]]
    client.patch("/v1/seekers/S2", json={"priority_groups": ["graduate"]})
    ov = client.get("/v1/cases/overview", headers=t["county"]).json()
    assert [s["id"] for s in ov["targets_without_owner"]["data"]] == ["S2"]
    assert client.get("/v1/cases", params={"unresolved": "true"}).json()["count"] == 1

    # follow-up continues after a hire: job kept, difficulty solved, next visit in a month
    client.post("/v1/seekers/S1/employment", json={"form": "employer", "employer_name": "长安物业"})
    r = client.post(f"/v1/cases/{c1['id']}/contacts", json={
        "channel": "visit", "note": "上岗一周回访", "job_kept": True, "difficulty_solved": True,
        "next_due": (TODAY + timedelta(days=30)).isoformat()})
    assert r.status_code == 201 and r.json()["job_kept"] is True
    one = client.get(f"/v1/cases/{c1['id']}").json()
    assert one["difficulty"] is None and not one["overdue"] and one["contacts"] == 2
    assert [c["channel"] for c in one["contact_list"]] == ["phone", "visit"]
    assert one["seeker"]["status"] == "employed"
    assert client.get(f"/v1/cases/{c1['id']}/contacts").json()["count"] == 2

    # closing: no more contacts until reopened
    r = client.patch(f"/v1/cases/{c1['id']}", json={"status": "closed"})
    assert r.status_code == 200 and r.json()["closed_at"] == TODAY.isoformat()
    assert client.post(f"/v1/cases/{c1['id']}/contacts", json={"channel": "phone"}).status_code == 409

    # area rules
    assert client.get(f"/v1/cases/{c1['id']}", headers=t["other"]).status_code == 404
    assert client.patch(f"/v1/cases/{c1['id']}", headers=t["other"], json={"plan": "x"}).status_code == 404
    assert client.post(f"/v1/cases/{c3['id']}/contacts", headers=t["other"], json={"channel": "phone"}).status_code == 404
    assert client.get("/v1/cases", headers=t["other"]).json()["count"] == 0
    r = client.post("/v1/cases", headers=t["other"], json={"seeker_id": "S2"})
    assert r.status_code == 404 and r.json()["field"] == "seeker_id"
    assert client.get("/v1/cases/overview", headers=t["other"], params={"region_code": A}).status_code == 404
    assert client.get("/v1/cases", headers=t["employer"]).status_code == 403


# -- services, appointments, 包联 -------------------------------------------------------------------------------
def test_services_and_the_appointment_day_list(client, area):
    t = tokens(area)
    tomorrow = TODAY + timedelta(days=1)
    booked = []
    for hhmm, sid in (("14:00", "S3"), ("09:30", "S1")):
        r = client.post("/v1/services", headers=t["station"], json={
            "kind": "appointment", "seeker_id": sid, "station_id": "ST1", "at": f"{tomorrow.isoformat()}T{hhmm}",
            "note": "来站办理失业登记"})
        assert r.status_code == 201, r.text
        booked.append(r.json())
    assert booked[0]["status"] == "booked" and booked[0]["staff"] == "建北站小王"
    assert booked[0]["region_code"] == "130102001"
    r = client.post("/v1/services", json={"kind": "home_visit", "seeker_id": "S2", "note": "入户了解就业情况"})
    assert r.status_code == 201 and r.json()["status"] == "done" and r.json()["region_code"] == "130102002003"

    day = client.get("/v1/services", headers=t["station"],
                     params={"kind": "appointment", "date": tomorrow.isoformat(), "station_id": "ST1"}).json()
    assert [(s["seeker_id"], s["at"][11:16]) for s in day["data"]] == [("S1", "09:30"), ("S3", "14:00")]
    assert day["data"][0]["seeker_name"] == "王小明"
    assert client.get("/v1/services", params={"kind": "appointment", "date": TODAY.isoformat()}).json()["count"] == 0

    r = client.patch(f"/v1/services/{booked[1]['id']}", json={"status": "done", "note": "已办结"})
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert client.get(f"/v1/services/{booked[1]['id']}").json()["note"] == "已办结"

    # required parties
    r = client.post("/v1/services", json={"kind": "staff_day", "staff": "县局张科长"})
    assert r.status_code == 422
    assert client.post("/v1/services", json={"kind": "appointment", "station_id": "ST1"}).status_code == 422
    assert client.post("/v1/services", json={"kind": "remote", "seeker_id": "S1", "at": "明天"}).status_code == 422

    # area rules: the station's account cannot record at another township's station or for another area's person
    r = client.post("/v1/services", headers=t["station"], json={"kind": "staff_day", "station_id": "ST2"})
    assert r.status_code == 404 and r.json()["field"] == "station_id"
    r = client.post("/v1/services", headers=t["county"], json={"kind": "guidance", "seeker_id": "SB"})
    assert r.status_code == 404 and r.json()["field"] == "seeker_id"
    assert client.get(f"/v1/services/{booked[0]['id']}", headers=t["other"]).status_code == 404
    assert client.patch(f"/v1/services/{booked[0]['id']}", headers=t["other"], json={"status": "done"}).status_code == 404
    assert client.get("/v1/services", headers=t["other"]).json()["count"] == 0
    assert client.get("/v1/services", headers=t["employer"]).status_code == 403


def test_assignments(client, area):
    t = tokens(area)
    r = client.post("/v1/assignments", headers=t["county"], json={"account": "建北站小王", "station_id": "ST1",
                                                                   "note": "县包片"})
    assert r.status_code == 201, r.text
    a1 = r.json()
    assert a1["level"] == "station" and a1["area_code"] == "130102001" and a1["assigned_by"] == "长安区就业局"
    a2 = client.post("/v1/assignments", headers=t["county"], json={"account": "长安区就业局",
                                                                    "region_code": "130102002"}).json()
    assert a2["level"] == "area"
    # exactly one target; a known account; inside the area; county and above only
    assert client.post("/v1/assignments", json={"account": "长安区就业局"}).status_code == 422
    r = client.post("/v1/assignments", json={"account": "谁", "region_code": "130102"})
    assert r.status_code == 422 and r.json()["field"] == "account"
    r = client.post("/v1/assignments", headers=t["other"], json={"account": "路北区就业局", "region_code": A})
    assert r.status_code == 404 and r.json()["field"] == "region_code"
    assert client.post("/v1/assignments", headers=t["station"], json={"account": "建北站小王",
                                                                       "station_id": "ST1"}).status_code == 403

    mine = client.get("/v1/assignments", headers=t["station"], params={"account": "建北站小王"}).json()
    assert [a["id"] for a in mine["data"]] == [a1["id"]]
    assert client.get("/v1/assignments", headers=t["county"]).json()["count"] == 2
    assert client.get("/v1/assignments", headers=t["other"]).json()["count"] == 0
    assert client.delete(f"/v1/assignments/{a2['id']}", headers=t["other"]).status_code == 404
    assert client.delete(f"/v1/assignments/{a2['id']}", headers=t["county"]).status_code == 204
    assert client.get("/v1/assignments", headers=t["county"]).json()["count"] == 1


# -- performance and statistics of a period ---------------------------------------------------------------------
def test_quarterly_performance_json_csv_xlsx(client, engine):
    engine.upsert("station", [{"id": "ST1", "name": "建北街道服务站", "region_code": "130102001"},
                              {"id": "ST2", "name": "青园街道服务站", "region_code": "130102002"}])
    engine.upsert("seeker", [seeker("S1", name="王小明", station_id="ST1", priority_groups=["disabled"]),
                             seeker("S2", name="李娜", station_id="ST2")])
    engine.upsert("job", [job("J1", "保安员", headcount=3)])
    t = tokens(engine)
    quarter = quarter_of(TODAY)
    start, _ = parse_quarter(quarter)
    for offset in (0, 1, 1, 2):  # three distinct days (one of them twice)
        r = client.post("/v1/services", json={"kind": "staff_day", "station_id": "ST1", "staff": "县局张科长",
                                              "at": (start + timedelta(days=offset)).isoformat() + "T09:00"})
        assert r.status_code == 201, r.text
    for when in (date(start.year, 1, 2), start):
        client.post("/v1/services", json={"kind": "expert_visit", "station_id": "ST1", "at": when.isoformat()})
    client.post("/v1/services", json={"kind": "expert_visit", "station_id": "ST2", "at": start.isoformat()})
    client.post("/v1/services", json={"kind": "home_visit", "seeker_id": "S2", "at": start.isoformat()})
    cancelled = client.post("/v1/services", json={"kind": "appointment", "seeker_id": "S2",
                                                  "at": start.isoformat() + "T10:00"}).json()
    client.patch(f"/v1/services/{cancelled['id']}", json={"status": "cancelled"})
    for sid in ("S1", "S2"):
        rid = client.post("/v1/referrals", json={"seeker_id": sid, "job_id": "J1"}).json()["id"]
        if sid == "S1":
            client.patch(f"/v1/referrals/{rid}", json={"status": "hired"})

    r = client.get("/v1/stats/performance", headers=t["county"], params={"region_code": A, "quarter": quarter})
    assert r.status_code == 200, r.text
    d = r.json()
    rows = {s["id"]: s for s in d["stations"]}
    one, two = rows["ST1"], rows["ST2"]
    assert one["staff_days"] == 3 and one["staff_days_met"] is True and two["staff_days_met"] is False
    assert one["services_by_kind"]["staff_day"] == 4
    assert one["expert_visits_year"] == 2 and two["expert_visits_year"] == 1
    assert two["services_by_kind"]["home_visit"] == 1 and two["services_by_kind"]["appointment"] == 0  # cancelled
    assert (one["referrals"], one["hires"], one["target_hires"]) == (1, 1, 1)
    assert (two["referrals"], two["hires"]) == (1, 0)
    assert one["registered"] == 1 and two["registered"] == 1
    assert d["totals"]["hires"] == 1 and d["totals"]["stations"] == 2
    assert [q["quarter"] for q in d["trend"]][-1] == quarter and len(d["trend"]) == 4
    assert d["trend"][-1]["hires"] == 1 and d["trend"][0]["hires"] == 0

    r = client.get("/v1/stats/performance", headers=t["county"], params={"quarter": quarter, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["服务站编号", "服务站", "区划代码"] and "驻站达标（≥3天）" in table[0]
    assert table[-1][1] == "合计" and len(table) == 4

    r = client.get("/v1/stats/performance", headers=t["county"], params={"quarter": quarter, "format": "xlsx"})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(r.content)).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[1][1] == "服务站" and {values[2][0], values[3][0]} == {"ST1", "ST2"}

    assert client.get("/v1/stats/performance", params={"quarter": "2026Q5"}).status_code == 422
    assert client.get("/v1/stats/performance", headers=t["other"], params={"region_code": A}).status_code == 404
    assert client.get("/v1/stats/performance", headers=t["employer"]).status_code == 403

    # /v1/stats with a period
    r = client.get("/v1/stats", headers=t["county"], params={"region_code": A, "by": "status",
                                                             "from": start.isoformat(),
                                                             "to": (TODAY + timedelta(days=1)).isoformat()})
    assert r.status_code == 200, r.text
    period = r.json()["period"]
    assert period["hires"] == 1 and period["referrals"] == 2 and period["services_by_kind"]["staff_day"] == 4
    assert "period" not in client.get("/v1/stats", params={"by": "status"}).json()


# -- desk registration, duplicates, import previews and templates ------------------------------------------------
def test_duplicate_id_number_and_credit_code(client, engine):
    r = client.post("/v1/seekers", json={"name": "王小明", "id_number": ID_1, "region_code": A})
    assert r.status_code == 201, r.text
    first = r.json()["id"]
    r = client.post("/v1/seekers", json={"name": "王晓明", "id_number": ID_1.lower(), "region_code": A})
    assert r.status_code == 409 and r.json()["field"] == "id_number" and first in r.json()["message"]
    assert ID_1 not in r.text  # the ID number itself is never echoed
    assert client.put(f"/v1/seekers/{first}", json={"name": "王小明", "id_number": ID_1, "region_code": A}).status_code == 200
    code = "91130102MA0ABCDE1X"
    assert client.post("/v1/employers", json={"name": "顺达物流", "credit_code": code}).status_code == 201
    r = client.post("/v1/employers", json={"name": "顺达物流有限公司", "credit_code": code.lower()})
    assert r.status_code == 409 and r.json()["field"] == "credit_code"


def _csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8")


def test_import_preview_commit_and_reimport_without_ids(client, engine):
    t = tokens(engine)
    bad = ID_2[:-1] + ("0" if ID_2[-1] != "0" else "1")
    content = _csv([["姓名", "身份证号", "手机号", "区划代码", "就业状态"],
                    ["王小明", ID_1, "13800001234", "130102001001", "失业"],
                    ["李娜", ID_2, "13900005678", "130102002", "失业"],
                    ["坏数据", bad, "13700009999", "130102", "失业"],
                    ["外区人", id_number("13020319800101123"), "13600001111", "130203", "失业"]])
    files = {"file": ("登记表.csv", content, "text/csv")}
    r = client.post("/v1/seekers/import/preview", headers=t["county"], files=files)
    assert r.status_code == 200, r.text
    p = r.json()
    assert (p["rows"], p["inserted"], p["updated"], p["rejected"]) == (4, 2, 0, 2)
    assert [(e["row"], e["field"]) for e in p["errors"]] == [(4, "id_number"), (5, "region_code")]
    assert [s["name"] for s in p["sample"]] == ["王小明", "李娜"] and all(s["id"].startswith("S") for s in p["sample"])
    assert client.get("/v1/seekers").json()["count"] == 0  # a preview writes nothing

    r = client.post("/v1/seekers/import", headers=t["county"], files=files, params={"on_error": "skip"})
    assert r.status_code == 200 and r.json()["inserted"] == 2, r.text
    stored = {s["name"]: s for s in client.get("/v1/seekers").json()["data"]}
    assert set(stored) == {"王小明", "李娜"} and all(s["id"].startswith("S") for s in stored.values())

    # the same people again, with new phone numbers and still no ids: matched by ID number
    again = _csv([["姓名", "身份证号", "手机号", "区划代码"], ["王小明", ID_1, "13800004321", "130102001001"],
                  ["李娜", ID_2, "13900005678", "130102002"]])
    p = client.post("/v1/seekers/import/preview", files={"file": ("a.csv", again, "text/csv")}).json()
    assert (p["inserted"], p["updated"], p["unchanged"], p["matched_by_key"], p["rejected"]) == (0, 1, 1, 2, 0)
    r = client.post("/v1/seekers/import", files={"file": ("a.csv", again, "text/csv")})
    assert r.status_code == 200 and (r.json()["inserted"], r.json()["updated"], r.json()["unchanged"]) == (0, 1, 1)
    assert client.get(f"/v1/seekers/{stored['王小明']['id']}").json()["phone"] == "13800004321"
    assert client.get("/v1/seekers").json()["count"] == 2

    # a row with an id of its own but someone else's ID number is a duplicate
    dup = _csv([["编号", "姓名", "身份证号"], ["S-NEW", "冒名", ID_1]])
    r = client.post("/v1/seekers/import", files={"file": ("d.csv", dup, "text/csv")})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "id_number"
    # employers by credit code
    emp = _csv([["单位名称", "统一社会信用代码", "区划代码"], ["顺达物流", "91130102MA0ABCDE1X", "130102"]])
    assert client.post("/v1/employers/import", files={"file": ("e.csv", emp, "text/csv")}).json()["inserted"] == 1
    assert client.post("/v1/employers/import", files={"file": ("e.csv", emp, "text/csv")}).json()["unchanged"] == 1
    assert client.post("/v1/seekers/import/preview", headers=t["employer"], files=files).status_code == 403


def test_import_templates_have_chinese_headers_and_import_as_they_are(client, engine):
    r = client.get("/v1/seekers/import/template", params={"format": "csv"})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    header = next(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert header[:4] == ["编号（可不填，自动生成）", "姓名", "身份证号", "手机号"]
    assert all(not h.isascii() for h in header)
    r = client.get("/v1/employers/import/template")  # xlsx by default
    from openpyxl import Workbook, load_workbook

    ws = load_workbook(io.BytesIO(r.content)).active
    head = [c.value for c in ws[1]]
    assert head[1:3] == ["单位名称", "统一社会信用代码"]
    # filled in as a desk would (no id), it imports
    wb = Workbook()
    wb.active.append(head)
    wb.active.append([None, "建北惠民超市", "91130102MA0ABCDE1X", "零售", "130102", "建设北大街", "刘经理", "13800001111"])
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post("/v1/employers/import", files={"file": ("e.xlsx", buf.getvalue(), "application/octet-stream")})
    assert r.status_code == 200 and r.json()["inserted"] == 1, r.text


# -- the docs and the front door ------------------------------------------------------------------------------------
def test_docs_are_served_offline_and_root_opens_the_console(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "docs/static/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text.replace("https://fastapi", "")
    assert client.get("/docs/static/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs/static/swagger-ui.css").status_code == 200
    redoc = client.get("/redoc")
    assert redoc.status_code == 200 and "docs/static/redoc.standalone.js" in redoc.text and "cdn" not in redoc.text
    assert client.get("/docs/static/redoc.standalone.js").status_code == 200
    r = client.get("/", follow_redirects=False)
    assert r.status_code in (307, 308) and r.headers["location"].endswith("console")
    assert client.get("/").status_code == 200  # followed: the console page


def test_new_routes_are_in_the_openapi_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/seekers/{id}/employment", "/v1/stats/employment", "/v1/cases", "/v1/cases/{id}",
                 "/v1/cases/{id}/contacts", "/v1/cases/overview", "/v1/services", "/v1/services/{id}",
                 "/v1/assignments", "/v1/assignments/{id}", "/v1/stats/performance",
                 "/v1/seekers/import/preview", "/v1/seekers/import/template"):
        assert path in paths, path
