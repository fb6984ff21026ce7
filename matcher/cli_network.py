"""The network commands of ``matcher`` (DESIGN.md §8): coverage, cooperation, gigs, events, training."""

from __future__ import annotations

import argparse
import uuid
from datetime import date
from pathlib import Path


def _engine(args):
    from matcher.engine import MatchEngine

    return MatchEngine.open(home=getattr(args, "home", None))


def _print_json(obj) -> None:
    from matcher.cli import print_json

    print_json(obj)


def _day(text: str | None) -> date | None:
    from matcher.records import parse_date

    return parse_date(text) if text else None


def cmd_coverage(args) -> int:
    from matcher.coverage import area_coverage
    from matcher.records import normalize_region_code

    region = normalize_region_code(args.region) if args.region and len(args.region) in (6, 9, 12) else args.region
    with _engine(args) as engine:
        out = area_coverage(engine, region or None, sites=args.sites)
    if args.json:
        _print_json(out)
        return 0

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{v * 100:.1f}%"

    c = out["circle"]
    print(f"服务圈：城市步行{c['urban_walk_minutes']:g}分钟（直线约{c['urban_radius_km']:g}公里），乡村{c['rural_km']:g}公里")
    print(f"登记人员 {out['people']} 人，圈内 {out['covered']} 人（{pct(out['share'])}）；"
          f"就业援助对象 {out['priority_people']} 人，圈内 {out['priority_covered']} 人（{pct(out['priority_share'])}）；"
          f"位置不详 {out['unlocated_people']} 人")
    if out["uncovered_villages"]:
        names = {v["code"]: v["name"] or v["code"] for v in out["villages"]}
        print("圈外的村 / villages outside every circle: " + "、".join(f"{names[c]}（{c}）" for c in out["uncovered_villages"]))
    for n, s in enumerate(out["suggested_sites"], 1):
        print(f"建议站点{n}：{s['name'] or s['code']}（{s['kind']}，{s['lat']:.4f}, {s['lng']:.4f}）新覆盖 {s['newly_covered']} 人，"
              f"其中援助对象 {s['newly_covered_priority']} 人")
    return 0


def cmd_cooperation(args) -> int:
    from matcher.cooperation import KIND_ZH, pair_stats
    from matcher.records import Cooperation, validate_record

    with _engine(args) as engine:
        if args.action == "add":
            rec = validate_record(Cooperation, {
                "id": args.id or "C" + uuid.uuid4().hex[:12].upper(), "from_region": args.from_region,
                "to_region": args.to_region, "kind": args.kind, "active_from": args.active_from,
                "active_to": args.active_to, "from_station_id": args.from_station, "to_station_id": args.to_station})
            out = engine.network.put(rec)
            print(f"已登记对口协作 {out['id']}：{out['from_region'] or out['from_station_id']} ⇄ "
                  f"{out['to_region'] or out['to_station_id']}（{KIND_ZH[out['kind']]}）")
        elif args.action == "list":
            _print_json(engine.network.all("cooperation"))
        else:
            _print_json(pair_stats(engine, args.region))
    return 0


def cmd_gigs(args) -> int:
    from matcher.gigs import gig_board

    with _engine(args) as engine:
        board = gig_board(engine, args.station, _day(args.date))
    if args.json:
        _print_json(board)
        return 0
    print(f"{board['station']['name']} {board['date']} 零工日清单" + ("（该日已结束）" if board["closed"] else ""))
    for g in board["gigs"]:
        pay = f"{g['pay_per_day']:g}元/天" if g["pay_per_day"] else (f"{g['pay_per_hour']:g}元/小时" if g["pay_per_hour"] else "")
        print(f"  [{g['reach_zh']}] {g['shift_start'] or ''}-{g['shift_end'] or ''} {g['title']} {pay} "
              f"{'' if g['distance_km'] is None else str(g['distance_km']) + '公里'} ({g['id']})")
    print(f"当天有空的人员 {len(board['people'])} 人")
    return 0


def cmd_events(args) -> int:
    import json

    from matcher.events import invitations, record_attendance, save_event

    with _engine(args) as engine:
        if args.action == "add":
            data = json.loads(Path(args.file).read_text(encoding="utf-8"))
            data.setdefault("id", "EV" + uuid.uuid4().hex[:12].upper())
            out = save_event(engine, data)
            print(f"已登记活动 {out['id']}：{out['title']}（{out['date']}）")
        elif args.action == "invitations":
            out = invitations(engine, args.event, limit=args.top)
            if args.json:
                _print_json(out)
            else:
                for n, r in enumerate(out["invitations"], 1):
                    print(f"{n}. {r['seeker_id']} {'【援助对象】' if r['priority'] else ''}{r['reach']} "
                          f"{r['job_title']} {r['score']:.1f}")
        else:
            items = json.loads(Path(args.file).read_text(encoding="utf-8"))
            _print_json(record_attendance(engine, args.event, items))
    return 0


def cmd_training(args) -> int:
    from matcher.events import training_suggestions

    with _engine(args) as engine:
        out = training_suggestions(engine, args.seeker)
    if args.json:
        _print_json(out)
        return 0
    if not out["needed"]:
        print("附近已有可到达的相关岗位，无需培训建议 / relevant jobs are reachable")
    for s in out["suggestions"]:
        print(f"- {s['reason']}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    cv = sub.add_parser("coverage", help="服务圈覆盖与新站点建议 / service-circle coverage and suggested sites")
    cv.add_argument("--region", required=True, help="区划代码前缀（县/乡镇等）/ region code (prefix)")
    cv.add_argument("--sites", type=int, default=None, help="建议站点数 / number of suggested sites")
    cv.add_argument("--json", action="store_true")
    cv.set_defaults(func=cmd_coverage)

    co = sub.add_parser("cooperation", help="对口协作 / paired regions")
    cs = co.add_subparsers(dest="action", required=True)
    ca = cs.add_parser("add", help="登记一对协作关系 / add a pair")
    ca.add_argument("--from", dest="from_region")
    ca.add_argument("--to", dest="to_region")
    ca.add_argument("--from-station")
    ca.add_argument("--to-station")
    ca.add_argument("--kind", default="labour_export", help="labour_export|urban_rural|station_pair|other")
    ca.add_argument("--active-from")
    ca.add_argument("--active-to")
    ca.add_argument("--id")
    cs.add_parser("list", help="列出 / list")
    st = cs.add_parser("stats", help="各协作关系的就业人数 / placements per pair")
    st.add_argument("--region")
    co.set_defaults(func=cmd_cooperation)

    gg = sub.add_parser("gigs", help="零工日清单 / same-day gig board of a station")
    gg.add_argument("--station", required=True)
    gg.add_argument("--date", help="日期（默认今天）/ day")
    gg.add_argument("--json", action="store_true")
    gg.set_defaults(func=cmd_gigs)

    ev = sub.add_parser("events", help="招聘活动 / recruitment events")
    es = ev.add_subparsers(dest="action", required=True)
    ea = es.add_parser("add", help="登记活动（JSON 文件）/ add an event from a JSON file")
    ea.add_argument("file", type=Path)
    ei = es.add_parser("invitations", help="邀请名单 / invitation list")
    ei.add_argument("event")
    ei.add_argument("--top", type=int, default=100)
    ei.add_argument("--json", action="store_true")
    et = es.add_parser("attendance", help="登记到场与结果（JSON 列表文件）/ record attendance")
    et.add_argument("event")
    et.add_argument("file", type=Path)
    ev.set_defaults(func=cmd_events)

    tr = sub.add_parser("training", help="培训建议 / training suggestions for a seeker")
    tr.add_argument("--seeker", required=True)
    tr.add_argument("--json", action="store_true")
    tr.set_defaults(func=cmd_training)
