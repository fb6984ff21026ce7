"""``matcher demo``: build the generated Hebei sample into the home and say what to do next."""

from __future__ import annotations

import sys
import time
from pathlib import Path


def demo_accounts(store, sample, example: dict) -> list[tuple[str, str, str, str]]:
    """One account per role for the sample (the example seeker's station, county and city; the
    first employer); existing demo accounts get a fresh token. Returns (name, role, binding, token)."""
    from matcher import accounts
    from matcher.errors import Conflict

    region = example.get("region_code") or sample.stations[0]["region_code"]
    plan = [
        ("demo-province", "province", None, None),
        ("demo-city", "city", region[:4], None),
        ("demo-county", "county", region[:6], None),
        ("demo-station", "station", region, None),
        ("demo-employer", "employer", None, sample.employers[0]["id"]),
        ("demo-platform", "platform", None, None),
    ]
    out = []
    for name, role, reg, employer in plan:
        try:
            acc, token = accounts.add_account(store, name, role, region_code=reg, employer_id=employer)
        except Conflict:
            acc, token = accounts.get_account(store, name), accounts.issue_token(store, name)
        bound = acc.employer_id or ("全省" if role in ("province", "platform") else acc.region_code)
        out.append((name, role, bound, token))
    return out


def run_demo(home: str | Path | None = None, seed: int = 2026, jobs: int = 2000, seekers: int = 5000) -> int:
    from matcher.data.sample import SAMPLE_NOTE, generate
    from matcher.engine import MatchEngine

    start = time.perf_counter()
    print(f"正在生成河北示例数据（{SAMPLE_NOTE}，随机种子 {seed}）…… / generating the Hebei sample (seed {seed})")
    sample = generate(seed=seed, n_jobs=jobs, n_seekers=seekers)
    with MatchEngine.open(home=home) as engine:
        for kind, records in (("station", sample.stations), ("employer", sample.employers), ("job", sample.jobs),
                              ("seeker", sample.seekers)):
            result = engine.upsert(kind, records)
            print(f"  {kind:9s} 新增 {result.inserted:5d}  更新 {result.updated:5d}  未变 {result.unchanged:5d}")
        home_path = engine.settings.home.resolve()
        print("正在建立向量索引（首次运行会在本机生成中文模型）…… / building the vector indexes")
        engine.rebuild_index(show_progress=True)
        example = next((s for s in sample.seekers if s["status"] != "employed" and s.get("lat")), sample.seekers[0])
        matches = engine.match_jobs(example["id"], k=5)
        tokens = demo_accounts(engine.store, sample, example)
    elapsed = time.perf_counter() - start
    sizes = sample.sizes()
    print(
        f"完成，用时 {elapsed:.1f} 秒：服务站 {sizes['stations']} 个，用人单位 {sizes['employers']} 家，"
        f"岗位 {sizes['jobs']} 个，求职者 {sizes['seekers']} 人，数据目录 {home_path}"
    )
    print(f"done in {elapsed:.1f}s: {sizes} in {home_path}")
    from matcher.present import print_matches

    wishes = "、".join(example.get("desired_occupations") or [])
    print(f"\n示例：为求职者 {example['id']}（意向：{wishes}）推荐的前5个岗位 / sample match:")
    print_matches(matches, "job")
    print("\n演示账号的访问令牌（每次运行 demo 都会生成新令牌）/ one API token per role for the sample data:")
    for name, role, bound, token in tokens:
        print(f"  {role:9s} {name:15s} {bound:<10s} {token}")
    print('  用法 / use: curl -H "Authorization: Bearer <令牌>" http://127.0.0.1:8000/v1/jobs')
    print("\n下一步 / next steps:")
    print("  matcher match --seeker S00001          # 为求职者推荐岗位 / jobs for a seeker")
    print("  matcher candidates --job J00001        # 为岗位推荐求职者 / candidates for a job")
    print("  matcher import jobs 岗位.xlsx           # 导入本站的岗位台账 / import your own ledger")
    print("  matcher digest --station ST0001        # 服务站今日推送 / today's digest for a station")
    print("  matcher serve                          # 启动接口和服务站网页 http://127.0.0.1:8000/console")
    sys.stdout.flush()
    return 0
