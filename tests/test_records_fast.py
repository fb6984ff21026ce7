"""The fast path for canonical records (``validate_fast``) gives what the full model gives.

Every field of every model that has a fast path is given awkward values (padded or blank text,
spreadsheet numbers, NaN, Chinese enum words, unnormalised dates, lists with repeats, NUL...): where
the fast path accepts a record, the record must equal the full model's (values, set fields, class);
where the full model refuses one, the fast path must refuse it too (the caller then reports the full
model's bilingual error), and ``coerce_records`` gives the same records and errors either way."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest
from pydantic import ValidationError

from matcher.data.sample import generate
from matcher.engine import coerce_records
from matcher.errors import ValidationFailed
from matcher.records import NETWORK_TYPES, RECORD_TYPES, Job, _fast_validator, validate_fast

ODD_VALUES = [
    None, "", " ", "nan", "NaN", "None", "null", "-", "—", " x ", "x", "x\x00y", "\x1cx", "x\u3000", "X",
    "open", "OPEN", " open", "closed", "全职", "full_time", "兼职", "college", "大专", "disabled", "残疾人",
    "130102", "130102 ", "1301", "990102", "130102001", "130102001001", 130102, 130102.0,
    "2026-11-01", "2026-11-1", "2026/11/01", "20261101", "2026-02-30", "2026-11-01T08:00", date(2026, 11, 1),
    datetime(2026, 11, 1, 8), 45000, "08:00", "8:00", "24:00", "23:59", "25:00",
    0, 1, -1, 3000, 3000.0, 3000.5, 1e7, float("nan"), float("inf"), True, False, "是", "否", "true", "3000",
    [], ["电焊"], ["电焊", "电焊"], [" 电焊"], ["电焊、叉车"], [""], [1], ["disabled"], ["残疾人"],
    ["disabled", "disabled"], "电焊、叉车", ("电焊",), {"a": 1}, "J-1", "J 1", "J/1", "x" * 65, "x" * 201,
    "4-07-05-01", "4-07-5", 38.0, 114.5, 200.0, 16, 80, 81, 30.0,
]

FAST_MODELS = [m for m in (*RECORD_TYPES.values(), *NETWORK_TYPES.values()) if _fast_validator(m) is not None]


def _bases():
    sample = generate(seed=3, n_jobs=40, n_seekers=5)
    jobs = [Job.model_validate(j).to_dict() for j in sample.jobs[:40]]
    gig = {**jobs[0], "shift_date": "2026-12-05", "shift_start": "08:00", "shift_end": "17:00",
           "pay_per_day": 200.0, "age_min": 18, "age_max": 55}
    return {
        "job": [jobs[0], jobs[1], gig, {"id": "J1", "title": "电焊工"}],
        "employer": [{"id": "E1", "name": "某某公司", "credit_code": "91130100MA0ABCDE1X", "region_code": "130102",
                      "lat": 38.0, "lng": 114.5}],
        "station": [{"id": "S1", "name": "某站", "kind": "village", "region_code": "130102001",
                     "rural_circle_km": 5.0}],
        "referral": [{"id": "R1", "seeker_id": "P1", "job_id": "J1", "status": "hired", "referred_at": "2026-11-01"}],
    }


def _slow(model, data):
    try:
        return model.model_validate(data), None
    except (ValidationError, OverflowError) as e:  # parse_date(inf) raises OverflowError (not the fast path's)
        return None, e


def _same(a, b) -> bool:
    return (type(a) is type(b) and a.model_dump() == b.model_dump() and a.model_fields_set == b.model_fields_set
            and a.to_dict() == b.to_dict())


def test_job_employer_station_referral_have_a_fast_path():
    assert {m.record_kind for m in FAST_MODELS} >= {"job", "employer", "station", "referral"}


@pytest.mark.parametrize("kind", ["job", "employer", "station", "referral"])
def test_fast_path_equals_the_full_model_for_every_field_and_odd_value(kind):
    model = RECORD_TYPES[kind]
    accepted = checked = 0
    for base in _bases()[kind]:
        assert validate_fast(model, [base])[0] is not None, "a canonical record takes the fast path"
        records = [base]
        for field in model.model_fields:
            records += [{**base, field: v} for v in ODD_VALUES]
            records.append({k: v for k, v in base.items() if k != field})  # the field left out
        records.append({**base, "extra_column": "x\x00"})
        fast = validate_fast(model, records)
        for data, got in zip(records, fast, strict=True):
            want, err = _slow(model, data)
            checked += 1
            if got is None:
                continue
            accepted += 1
            assert err is None, f"fast path accepted what the model refuses: {data}"
            assert _same(got, want), f"fast path differs from the model for {data}"
    assert accepted > 100 and checked > accepted


def test_coerce_records_same_records_and_errors_as_the_full_model():
    base = _bases()["job"][0]
    records = [base, {**base, "id": "J2", "wage_min": "3000"}, {**base, "id": "J3", "region_code": "99"},
               {**base, "id": "J4", "title": "x\x00"}, {**base, "id": "J5", "wage_min": 9000.0, "wage_max": 3000.0},
               {**base, "id": "J6", "status": "关闭"}, {**base, "id": "J7", "lat": float("nan"), "lng": math.nan}]
    with pytest.raises(ValidationFailed) as fast_err:
        coerce_records("job", records)
    slow_errors = []
    from matcher.records import field_errors
    for n, r in enumerate(records, start=1):
        _, e = _slow(Job, r)
        if e is not None:
            slow_errors.extend(field_errors(e, row=n))
    assert [(e.row, e.field, e.message, e.value) for e in fast_err.value.errors] == \
        [(e.row, e.field, e.message, e.value) for e in slow_errors]
    assert {e.row for e in slow_errors} == {3, 4, 5}
    good = [r for n, r in enumerate(records, start=1) if n not in (3, 4, 5)]
    got = coerce_records("job", good)
    assert all(_same(g, Job.model_validate(r)) for g, r in zip(got, good, strict=True))
    assert got[-1].lat is None and got[1].wage_min == 3000.0  # NaN and "3000" went through the full model
