import json
import time

import pandas as pd
import pytest

from matcher.engine import MatchEngine
from matcher.errors import ImportRejected, ValidationFailed
from matcher.importing import import_file

HEADER_ZH = "职位编号,职位名称,职位描述,技能要求,所属区划代码,薪资下限,薪资上限,用工形式,招聘人数\n"
GOOD_ROWS = [
    "J1,保安员,小区夜班保安，包住,保安员证,130102,3500,4500,全职,3",
    "J2,电焊工,钢结构焊接,焊工证、氩弧焊,130104,6000,8000,全职,2",
    "J3,超市收银员,收银理货,收银,130105,3000,3800,兼职,1",
]
BAD_ROW = "J4,叉车司机,仓库叉车,叉车证,999999,5000,4000,全职,1"


def write_csv(path, rows, encoding="utf-8"):
    path.write_text(HEADER_ZH + "\n".join(rows) + "\n", encoding=encoding)
    return path


def test_chinese_headers_map_to_fields(store, tmp_path):
    report = import_file(store, "job", write_csv(tmp_path / "jobs.csv", GOOD_ROWS))
    assert (report.inserted, report.rejected) == (3, 0)
    job = store.get("job", "J2")
    assert job.title == "电焊工" and job.region_code == "130104" and job.wage_max == 8000
    assert job.skills == ["焊工证", "氩弧焊"] and job.headcount == 2


def test_abort_mode_writes_nothing_and_reports_row(store, tmp_path):
    path = write_csv(tmp_path / "jobs.csv", GOOD_ROWS[:2] + [BAD_ROW] + GOOD_ROWS[2:])
    with pytest.raises(ImportRejected) as ei:
        import_file(store, "job", path)
    fields = {(e.row, e.field) for e in ei.value.errors}
    # header is row 1, so the fourth line of the file is spreadsheet row 4
    assert (4, "region_code") in fields
    assert all(e.row == 4 for e in ei.value.errors)
    assert store.count("job") == 0


def test_skip_mode_keeps_good_rows(store, tmp_path):
    path = write_csv(tmp_path / "jobs.csv", GOOD_ROWS[:2] + [BAD_ROW] + GOOD_ROWS[2:])
    report = import_file(store, "job", path, on_error="skip")
    assert (report.inserted, report.rejected, report.rows) == (3, 1, 4)
    assert store.count("job") == 3 and store.find("job", "J4") is None
    assert "拒绝 1 行" in report.summary()


def test_reimport_updates_not_duplicates(store, tmp_path):
    import_file(store, "job", write_csv(tmp_path / "a.csv", GOOD_ROWS))
    changed = GOOD_ROWS[:2] + ["J3,超市收银员,收银理货,收银,130105,3200,3800,兼职,1"]
    report = import_file(store, "job", write_csv(tmp_path / "b.csv", changed))
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    assert store.count("job") == 3 and store.get("job", "J3").wage_min == 3200


def test_gbk_csv_from_chinese_excel(store, tmp_path):
    report = import_file(store, "job", write_csv(tmp_path / "gbk.csv", GOOD_ROWS, encoding="gbk"))
    assert report.inserted == 3 and store.get("job", "J1").title == "保安员"


def test_xlsx_round_trip(store, tmp_path):
    rows = [
        {"编号": "S1", "姓名": "张伟", "身份证号": "11010519491231002X", "手机号": 13800138000, "学历": "初中",
         "求职意向": "保安、门卫", "所属区划代码": 130102001, "城乡类型": "城镇", "就业困难类别": "4050",
         "出生日期": pd.Timestamp("1949-12-31")},
        {"编号": "S2", "姓名": "李娜", "手机号": "13912345678", "学历": "大专", "求职意向": "收银员",
         "所属区划代码": 130181, "同意推荐": "是"},
    ]
    path = tmp_path / "seekers.xlsx"
    pd.DataFrame(rows).to_excel(path, index=False)
    report = import_file(store, "seeker", path)
    assert report.inserted == 2
    s1 = store.get("seeker", "S1")
    assert s1.phone == "13800138000" and s1.region_code == "130102001" and s1.education == "junior_high"
    assert s1.desired_occupations == ["保安", "门卫"] and s1.priority_groups == ["older_4050"]
    # and back out again
    out = tmp_path / "out.xlsx"
    pd.DataFrame([store.get("seeker", i).to_dict() for i in ("S1", "S2")]).to_excel(out, index=False)
    again = pd.read_excel(out, dtype=object)
    assert list(again["id"]) == ["S1", "S2"] and str(again.loc[1, "phone"]) == "13912345678"


def test_broken_xlsx_and_unknown_type(store, tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not a workbook")
    with pytest.raises(ValidationFailed) as ei:
        import_file(store, "job", bad)
    assert "Excel" in ei.value.message
    with pytest.raises(ValidationFailed):
        import_file(store, "job", tmp_path / "x.pdf")


def test_jsonl_with_a_malformed_line(store, tmp_path):
    path = tmp_path / "jobs.jsonl"
    lines = [json.dumps({"id": "J1", "title": "保洁员"}, ensure_ascii=False), "{not json", json.dumps({"id": "J2", "title": "厨师"}, ensure_ascii=False)]
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ImportRejected) as ei:
        import_file(store, "job", path)
    assert ei.value.errors[0].row == 2 and "JSON" in ei.value.errors[0].message
    report = import_file(store, "job", path, on_error="skip")
    assert report.inserted == 2


def test_engine_import_throughput_10k(tmp_path):
    """10k rows through the engine; the rate is printed for the closing note, asserted loosely."""
    rows = [f"J{i},电焊工{i},焊接,焊工证,130102,4000,6000,全职,1" for i in range(10_000)]
    path = write_csv(tmp_path / "big.csv", rows)
    with MatchEngine.open(home=tmp_path / "home") as engine:
        start = time.perf_counter()
        report = engine.import_file("job", path)
        elapsed = time.perf_counter() - start
    assert report.inserted == 10_000
    print(f"import throughput: {10_000 / elapsed:.0f} rows/s")
    assert elapsed < 60
