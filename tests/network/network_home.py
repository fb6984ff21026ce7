"""A generated home with known answers for the network tests (coverage, cooperation, gigs, events).

Geography (real codes; village codes and names are the test's own village list):

* 行唐县 (130125, rural), 南桥镇 (130125101). Village V1 (…201) at (38.50, 114.50) has a village
  station ST-V1 (a demonstration station) and three residents; village V2 (…202) at (38.50, 114.65),
  13 km east, has no station and four residents (one an assistance target).
* 长安区 (130102, urban), 建北街道 (130102001): community station ST-U at (38.05, 114.52) with one
  resident 0.5 km away (inside 15 minutes on foot) and one 1.2 km away (outside); a gig market
  ST-G at (38.05, 114.53).
* 对口协作: 行唐县 ⇄ 长安区 (labour export). A welding job J-COOP in 长安区; a welding job J-FAR in
  灵寿县 (130126, not paired); a local job J-LOCAL by V1.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

TODAY = date.today()
V1, V2 = "130125101201", "130125101202"
V1_LL, V2_LL = (38.50, 114.50), (38.50, 114.65)
KM_LAT = 1 / 111.2  # one km in degrees of latitude


def _north(ll: tuple[float, float], km: float) -> tuple[float, float]:
    return round(ll[0] + km * KM_LAT, 6), ll[1]


def write_village_list(folder: Path) -> Path:
    path = folder / "villages.csv"
    path.write_text("code,name,lat,lng\n"
                    f"{V1},南桥一村,{V1_LL[0]},{V1_LL[1]}\n"
                    f"{V2},南桥二村,,\n", encoding="utf-8")
    return path


def seeker(sid: str, code: str, ll, *, priority=(), desired=("普工",), skills=("包装",), **extra) -> dict:
    return {"id": sid, "name": f"测试{sid}", "region_code": code, "lat": ll[0], "lng": ll[1], "status": "unemployed",
            "desired_occupations": list(desired), "skills": list(skills), "priority_groups": list(priority),
            "consent_to_share": True, **extra}


def build(engine, folder: Path) -> None:
    engine.settings.villages_path = write_village_list(folder)
    engine._villages = None
    engine.upsert_stations([
        {"id": "ST-V1", "name": "南桥一村服务站", "kind": "village", "region_code": V1, "lat": V1_LL[0], "lng": V1_LL[1],
         "demonstration": True},
        {"id": "ST-U", "name": "建北社区服务站", "kind": "community", "region_code": "130102001", "lat": 38.05, "lng": 114.52},
        {"id": "ST-G", "name": "长安零工市场", "kind": "gig_market", "region_code": "130102001", "lat": 38.05, "lng": 114.53},
    ])
    engine.upsert_employers([{"id": "E1", "name": "行唐食品厂", "region_code": "130125"},
                             {"id": "E2", "name": "长安机械厂", "region_code": "130102"}])
    engine.upsert_seekers([
        seeker("P1", V1, _north(V1_LL, 0.3)),
        seeker("P2", V1, _north(V1_LL, 0.6), priority=("older_4050",)),  # the nearby assistance target
        seeker("P3", V1, _north(V1_LL, 0.2), desired=("焊工",), skills=("焊接",)),  # 0.2 km, welder
        *[seeker(f"Q{i}", V2, _north(V2_LL, 0.1 * i), priority=("low_income",) if i == 1 else ()) for i in range(1, 5)],
        seeker("U1", "130102001", _north((38.05, 114.52), 0.5), available_days=["每天"]),
        seeker("U2", "130102001", _north((38.05, 114.52), 1.2), available_days=[TODAY.isoformat()],
               priority=("disabled",)),
        seeker("U3", "130102001", _north((38.05, 114.52), 0.8), available_days=[(TODAY + timedelta(days=1)).isoformat()]),
        seeker("L1", "130126101", (38.31, 114.38), desired=("焊工",), skills=("焊接",)),  # 灵寿县: not paired
    ])
    welder = {"occupation_code": "6-18-02-04", "skills": ["焊接"], "description": "电焊、氩弧焊"}
    engine.upsert_jobs([
        {"id": "J-LOCAL", "title": "食品包装普工", "employer_id": "E1", "employer_name": "行唐食品厂", "region_code": V1,
         "lat": _north(V1_LL, 1.0)[0], "lng": V1_LL[1], "skills": ["包装"], "description": "食品包装、装箱",
         "headcount": 3},
        {"id": "J-COOP", "title": "电焊工", "employer_id": "E2", "employer_name": "长安机械厂", "region_code": "130102001",
         "lat": 38.06, "lng": 114.53, **welder},
        {"id": "J-FAR", "title": "电焊工", "employer_name": "灵寿铸造厂", "region_code": "130126101",
         "lat": 38.30, "lng": 114.40, **welder},
        *[{"id": f"G-{name}", "title": f"搬运零工（{label}）", "employment_type": "gig", "region_code": "130102001",
           "lat": 38.052, "lng": 114.531, "shift_date": day.isoformat(), "shift_start": start, "shift_end": "17:00",
           "pay_per_day": 200, "skills": ["搬运"], "posted_at": (TODAY - timedelta(days=3)).isoformat()}
          for name, label, day, start in (("TODAY", "今天", TODAY, "08:00"), ("TODAY2", "今天下午", TODAY, "13:00"),
                                          ("PAST", "昨天", TODAY - timedelta(days=1), "08:00"),
                                          ("NEXT", "明天", TODAY + timedelta(days=1), "08:00"))],
    ])
    engine.network.put(_pair())


def _pair():
    from matcher.records import Cooperation

    return Cooperation(id="C1", from_region="130125", to_region="130102", kind="labour_export",
                       active_from=TODAY - timedelta(days=30))
