from datetime import date

import pytest
from pydantic import ValidationError

from matcher.records import Job, Referral, Seeker, Station, field_errors, id_number_check_digit, parse_date
from matcher.vocab import Education, EmploymentType, PriorityGroup, StationKind

# The example number printed in the national standard GB 11643-1999.
STANDARD_ID = "11010519491231002X"


def errors_of(model, data):
    with pytest.raises(ValidationError) as ei:
        model.model_validate(data)
    return field_errors(ei.value, row=7)


def test_job_minimal_defaults():
    job = Job.model_validate({"id": "J1", "title": "保安员"})
    assert job.status == "open" and job.headcount == 1 and job.employment_type == EmploymentType.full_time
    assert job.skills == [] and job.priority_groups_welcome == []


def test_job_coerces_spreadsheet_cells():
    job = Job.model_validate({
        "id": 1001.0, "title": "电焊工", "region_code": 130102.0, "skills": "电焊、氩弧焊;焊工证",
        "wage_min": "4500", "wage_max": 6000, "employment_type": "全职", "education_min": "初中",
        "accessible": "是", "priority_groups_welcome": "残疾人、4050", "posted_at": "2025/3/1",
        "expires_at": "2025年6月30日", "status": "", "lat": "", "lng": None,
    })
    assert job.id == "1001" and job.region_code == "130102"
    assert job.skills == ["电焊", "氩弧焊", "焊工证"]
    assert job.education_min == Education.junior_high and job.accessible is True
    assert job.priority_groups_welcome == [PriorityGroup.disabled, PriorityGroup.older_4050]
    assert job.posted_at == date(2025, 3, 1) and job.expires_at == date(2025, 6, 30)
    assert job.lat is None and job.status == "open"


@pytest.mark.parametrize("code", ["13010", "1301021", "ABCDEF", "990102", "1301020010011"])
def test_bad_region_codes_are_rejected_in_both_languages(code):
    errs = errors_of(Job, {"id": "J", "title": "t", "region_code": code})
    assert errs[0].field == "region_code" and errs[0].row == 7
    assert "区划代码" in errs[0].message and "region_code" in errs[0].message


@pytest.mark.parametrize("code", ["130102", "130102001", "130102001001"])
def test_region_code_lengths(code):
    assert Job.model_validate({"id": "J", "title": "t", "region_code": code}).region_code == code


def test_coordinates_inside_china_and_paired():
    assert "中国境内" in errors_of(Job, {"id": "J", "title": "t", "lat": 114.5, "lng": 38.0})[0].message
    assert "同时" in errors_of(Job, {"id": "J", "title": "t", "lat": 38.0})[0].message
    job = Job.model_validate({"id": "J", "title": "t", "lat": 38.04, "lng": 114.51})
    assert job.lat == 38.04


def test_wage_order_and_dates():
    msg = errors_of(Job, {"id": "J", "title": "t", "wage_min": 6000, "wage_max": 4000})[0].message
    assert "最低工资" in msg and "wage_min" in msg
    assert "截止日期" in errors_of(Job, {"id": "J", "title": "t", "posted_at": "2025-03-02", "expires_at": "2025-03-01"})[0].message
    assert "日期" in errors_of(Job, {"id": "J", "title": "t", "posted_at": "2025-02-30"})[0].message
    assert "日期" in errors_of(Job, {"id": "J", "title": "t", "posted_at": "明天"})[0].message


def test_unknown_enum_value_lists_the_allowed_ones():
    err = errors_of(Job, {"id": "J", "title": "t", "employment_type": "forever"})[0]
    assert err.field == "employment_type" and "取值无效" in err.message and "full_time" in err.message


def test_missing_required_field():
    err = errors_of(Job, {"id": "J"})[0]
    assert err.field == "title" and "必填" in err.message


def test_standard_id_number_is_valid_and_fills_birth_and_gender():
    s = Seeker.model_validate({"id": "S1", "id_number": STANDARD_ID.lower(), "phone": "+86 138-0013-8000"})
    assert s.id_number == STANDARD_ID and s.phone == "13800138000"
    assert s.birth_date == date(1949, 12, 31) and s.gender == "female"
    assert id_number_check_digit(STANDARD_ID[:17]) == "X"


@pytest.mark.parametrize(
    "bad, reason",
    [("110105194912310021", "校验位"), ("11010519491331002X", "出生日期"), ("1101051949123100", "18位"), ("abc", "18位")],
)
def test_bad_id_numbers(bad, reason):
    err = errors_of(Seeker, {"id": "S", "id_number": bad})[0]
    assert err.field == "id_number" and reason in err.message
    assert err.value is None, "personal data must not be echoed in error messages"


@pytest.mark.parametrize("bad", ["12345678901", "1380013800", "23800138000", "138001380001"])
def test_bad_phones(bad):
    err = errors_of(Seeker, {"id": "S", "phone": bad})[0]
    assert err.field == "phone" and "手机号" in err.message and err.value is None


def test_birth_date_must_agree_with_id_number():
    assert "不一致" in errors_of(Seeker, {"id": "S", "id_number": STANDARD_ID, "birth_date": "1950-01-01"})[0].message


def test_seeker_chinese_values_and_age():
    s = Seeker.model_validate({
        "id": "S2", "area_type": "农村", "status": "失业", "priority_groups": "脱贫户;残疾人",
        "employment_types": "全职、零工", "consent_to_share": "同意", "birth_date": "1975-06-01", "gender": "男",
    })
    assert s.area_type == "rural" and s.status == "unemployed" and s.consent_to_share is True
    assert s.priority_groups == [PriorityGroup.poverty_alleviated, PriorityGroup.disabled]
    assert s.age_on(date(2025, 5, 31)) == 49 and s.age_on(date(2025, 6, 1)) == 50


def test_station_and_referral():
    st = Station.model_validate({"id": "ST1", "name": "长安区建北街道服务站", "kind": "社区", "region_code": "130102001"})
    assert st.kind == StationKind.community and st.to_dict()["kind"] == "community"
    r = Referral.model_validate({"id": "R1", "seeker_id": "S1", "job_id": "J1", "status": "面试"})
    assert r.status == "interviewing"


@pytest.mark.parametrize("bad_id", ["a b", "a/b", "", "x" * 65])
def test_record_ids(bad_id):
    errs = errors_of(Job, {"id": bad_id, "title": "t"})
    assert errs[0].field == "id"


def test_parse_date_formats():
    for text in ["2025-03-01", "2025/3/1", "2025.03.01", "20250301", "2025年3月1日", "2025-03-01 08:00:00", 45717]:
        assert parse_date(text) == date(2025, 3, 1), text
