import pytest

from matcher.errors import NotFoundError
from matcher.records import Job, Seeker
from matcher.store import Store


def jobs(n, **extra):
    return [Job.model_validate({"id": f"J{i:03d}", "title": f"岗位{i}", "region_code": "130102", **extra}) for i in range(n)]


def test_upsert_insert_update_unchanged(store):
    r = store.upsert("job", jobs(3))
    assert (r.inserted, r.updated, r.unchanged) == (3, 0, 0)
    r = store.upsert("job", jobs(3))
    assert (r.inserted, r.updated, r.unchanged) == (0, 0, 3)
    changed = jobs(3)
    changed[1] = Job.model_validate({**changed[1].to_dict(), "title": "新标题"})
    r = store.upsert("job", changed)
    assert (r.inserted, r.updated, r.unchanged) == (0, 1, 2)
    assert store.get("job", "J001").title == "新标题"
    assert store.count("job") == 3


def test_versions_and_change_numbers(store):
    store.upsert("job", jobs(2))
    base = store.max_seq("job")
    store.upsert("job", [Job.model_validate({"id": "J000", "title": "改", "region_code": "130102"})])
    changes = store.changes_since("job", base)
    assert [c.id for c in changes] == ["J000"] and changes[0].seq > base
    store.delete("job", "J001")
    changes = store.changes_since("job", base)
    assert [(c.id, c.deleted) for c in changes] == [("J000", False), ("J001", True)]
    assert store.find("job", "J001") is None
    with pytest.raises(NotFoundError) as ei:
        store.get("job", "J001")
    assert "未找到" in ei.value.message


def test_delete_then_reinsert_resurrects(store):
    store.upsert("job", jobs(1))
    assert store.delete("job", "J000") and not store.delete("job", "J000")
    r = store.upsert("job", jobs(1))
    assert r.updated == 1 and store.count("job") == 1


def test_failed_write_leaves_nothing(store):
    good = jobs(2)
    with pytest.raises(RuntimeError), store.engine.begin() as conn:
        store.upsert("job", good, conn=conn)
        raise RuntimeError("crash mid-transaction")
    assert store.count("job") == 0


def test_list_filters_and_paging(store):
    store.upsert("job", jobs(5) + [Job.model_validate({"id": "K1", "title": "x", "region_code": "130602"})])
    page, total = store.list("job", offset=0, limit=2, region_prefix="1301")
    assert total == 5 and [p["id"] for p in page] == ["J000", "J001"]
    assert store.count("job", region_prefix="1306") == 1
    assert [d["id"] for d in store.iter_dicts("job", batch=2)] == ["J000", "J001", "J002", "J003", "J004", "K1"]


def test_seeker_columns(store):
    store.upsert("seeker", [Seeker.model_validate({"id": "S1", "name": "王芳", "phone": "13800138000",
                                                   "priority_groups": "残疾人", "station_id": "ST1"})])
    page, _ = store.list("seeker", phone_tail="8000", is_priority=True)
    assert page[0]["name"] == "王芳"


def test_reopen_keeps_data_and_schema(database_url):
    s = Store.open(database_url)
    s.upsert("job", jobs(2))
    s.close()
    s = Store.open(database_url)
    assert s.count("job") == 2
    s.close()
