"""The ``matcher`` command line (DESIGN.md section 4). Console output is Chinese first."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from matcher.errors import FieldError, MatcherError, ValidationFailed
from matcher.present import print_matches

_DELEGATED = {"evaluate": "evaluation.evaluate", "bench": "evaluation.bench_match",
              "train-encoder": "matcher.encoder_training"}
#: ``matcher bench <name> ...`` runs one of these benchmark tools instead of bench_match.
_BENCH_TOOLS = {"digest": "evaluation.bench_digest", "embed": "evaluation.bench_embed"}
KINDS = {"jobs": "job", "seekers": "seeker", "employers": "employer", "stations": "station", "referrals": "referral"}


def _engine(args):
    from matcher.engine import MatchEngine

    return MatchEngine.open(home=getattr(args, "home", None))


def _print_errors(errors, limit: int = 50) -> None:
    for err in errors[:limit]:
        print(f"  - {err}", file=sys.stderr)
    if len(errors) > limit:
        print(f"  ……另有 {len(errors) - limit} 条错误 / {len(errors) - limit} more errors", file=sys.stderr)


def cmd_import(args) -> int:
    kind = KINDS[args.kind]
    start = time.perf_counter()
    with _engine(args) as engine:
        report = engine.import_file(kind, args.file, on_error=args.on_error, show_progress=not args.quiet)
    elapsed = time.perf_counter() - start
    if report.ignored_columns:
        print(f"已忽略无法识别的列 / ignored columns: {', '.join(report.ignored_columns)}", file=sys.stderr)
    if report.errors:
        print(f"以下 {report.rejected} 行未导入 / these {report.rejected} rows were rejected:", file=sys.stderr)
        _print_errors(report.errors)
    print(report.summary() + f"（{elapsed:.1f} 秒 / s）")
    return 0


def _load_profile(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationFailed([FieldError(None, f"文件不存在：{path} / file not found: {path}")]) from None
    except json.JSONDecodeError as e:
        raise ValidationFailed([FieldError(None, f"JSON 格式错误：{e.msg}（第{e.lineno}行）/ malformed JSON: {e.msg}")]) from None
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError(None, "档案应为一个 JSON 对象 / the profile must be a JSON object")])
    return data


def cmd_match(args) -> int:
    with _engine(args) as engine:
        target = args.seeker if args.seeker else _load_profile(args.profile)
        matches = engine.match_jobs(target, k=args.top)
    if args.json:
        print_json([m.model_dump() for m in matches])
    else:
        print_matches(matches, "job")
    return 0


def cmd_candidates(args) -> int:
    with _engine(args) as engine:
        target = args.job if args.job else _load_profile(args.profile)
        matches = engine.match_candidates(target, k=args.top)
    if args.json:
        print_json([m.model_dump() for m in matches])
    else:
        print_matches(matches, "seeker")
    return 0


def cmd_digest(args) -> int:
    from datetime import date

    from matcher.digests import build_digest, write_digest

    try:
        day = date.fromisoformat(args.date) if args.date else date.today()
    except ValueError:
        raise ValidationFailed([FieldError("date", f"日期格式应为 2026-11-26：{args.date} / date must be YYYY-MM-DD")]) from None
    out = Path(args.out)
    start = time.perf_counter()
    with _engine(args) as engine:
        if args.station or args.region:
            digest = build_digest(engine, station_id=args.station, region_code=args.region, day=day)
            paths = write_digest(digest, out)
            c = digest["concentration"]
            print(f"已生成 {digest['area']['name']} {day} 的推送：圈内岗位 {digest['jobs']['open_count']} 个，"
                  f"求职者 {len(digest['seekers'])} 人，基尼系数 {c['gini']:.2f}")
            for p in paths:
                print(f"  {p}")
        else:  # --all (and no area given): every station, township and county, resumable
            from matcher.digest_all import run_all

            s = run_all(engine, day, out, backend=args.engine, address=args.address, workers=args.workers,
                        show_progress=not args.quiet)
            print(f"已为 {s['areas']} 个区域（服务站 {s['stations']}、乡镇 {s['townships']}、县区 {s['counties']}）生成 {day} "
                  f"的推送（JSON、HTML、CSV），其中 {s['resumed']} 个此前已完成；共推荐 {s['recommendations']} 次，"
                  f"平均基尼系数 {s['mean_gini']:.2f}，目录 {out}（{s['seconds']:.1f} 秒，{s['engine']}）")
            print(f"digests for {s['areas']} areas written to {out} ({s['resumed']} done before; manifest-{day}.json)")
        from matcher.store.runs import record_run

        record_run(engine.store, "digest", time.perf_counter() - start,
                   {"date": day.isoformat(), "scope": args.station or args.region or "all"})
    return 0


def cmd_schedule(args) -> int:
    from matcher.digest_schedule import DigestScheduler

    with _engine(args) as engine:
        s = engine.settings
        at = args.at or s.digest_at or "06:00"
        sched = DigestScheduler(engine, at=at, keep_days=args.keep_days or s.digest_keep_days,
                                out_root=Path(args.out) if args.out else s.resolved_digest_dir,
                                workers=args.workers or s.digest_workers)
        if args.once:
            summary = sched.run_day(sched.today())
            print(f"已生成 {summary['date']} 的推送：{summary['areas']} 个区域，{summary['seconds']:.1f} 秒，目录 "
                  f"{summary['out_dir']} / digests for {summary['areas']} areas written")
            return 0
        print(f"每日 {at} 生成推送，保留 {sched.keep_days} 天，目录 {sched.out_root}（Ctrl-C 退出）/ "
              f"building the digests every day at {at}")
        sched.run_forever()
    return 0


def cmd_index(args) -> int:
    start = time.perf_counter()
    with _engine(args) as engine:
        sizes = engine.rebuild_index(show_progress=not args.quiet)
    print(f"索引已重建：岗位 {sizes['jobs']} 个，求职者 {sizes['seekers']} 人（{time.perf_counter() - start:.1f} 秒）"
          f" / index rebuilt: {sizes}")
    return 0


def _settings(args):
    from matcher.settings import load_settings

    settings = load_settings(home=getattr(args, "home", None))
    settings.home.mkdir(parents=True, exist_ok=True)
    return settings


def cmd_migrate(args) -> int:
    from matcher.backup import migrate

    before, after = migrate(_settings(args))
    if before == after:
        print(f"数据库结构已是最新（{after}）/ the schema is current ({after})")
    else:
        print(f"数据库结构已升级：{before or '空库'} → {after} / schema upgraded: {before or 'empty'} -> {after}")
    return 0


def cmd_backup(args) -> int:
    from matcher.backup import backup

    info = backup(_settings(args), args.out)
    print(f"已备份到 {info['file']}（{info['kind']}，{info['bytes'] / 1e6:.1f} MB，{info['seconds']:.1f} 秒）"
          f" / backup written to {info['file']}")
    return 0


def cmd_restore(args) -> int:
    from matcher.backup import restore

    info = restore(_settings(args), args.file, show_progress=not args.quiet)
    sizes = info["indexes"]
    print(f"已从 {info['file']} 恢复数据库并重建索引：岗位 {sizes.get('jobs', 0)} 个，求职者 {sizes.get('seekers', 0)} 人"
          f"（{info['seconds']:.1f} 秒）/ store restored from {info['file']}, indexes rebuilt: {sizes}")
    return 0


def _store(args):
    from matcher.settings import load_settings
    from matcher.store import Store

    settings = load_settings(home=getattr(args, "home", None))
    settings.home.mkdir(parents=True, exist_ok=True)
    return Store.open(settings.resolved_database_url)


def _describe(acc) -> str:
    from matcher.access import ROLE_ZH

    bound = acc.region_code or acc.employer_id or "全省 / province-wide"
    state = "已停用 / revoked" if acc.revoked_at else "有效 / active"
    return f"{acc.name}  {ROLE_ZH[acc.role]}（{acc.role.value}）  {bound}  {state}"


def cmd_users(args) -> int:
    from matcher import accounts

    store = _store(args)
    try:
        if args.action == "add":
            acc, token = accounts.add_account(store, args.name, args.role, region_code=args.region,
                                              employer_id=args.employer, expires_days=args.expires_days)
            print(f"已创建账号 / account created: {_describe(acc)}")
            _print_token(token, args.expires_days)
        elif args.action == "token":
            token = accounts.issue_token(store, args.name, expires_days=args.expires_days)
            print(f"已为 {args.name} 生成新令牌 / new token for {args.name}")
            _print_token(token, args.expires_days)
        elif args.action == "revoke":
            n = accounts.revoke(store, args.name)
            print(f"账号 {args.name} 已停用，{n} 个令牌失效 / account {args.name} revoked ({n} active tokens)")
        else:
            rows = accounts.list_accounts(store)
            if not rows:
                print("还没有账号：用 matcher users add 创建 / no accounts yet: create one with matcher users add")
            for acc in rows:
                print(_describe(acc))
    finally:
        store.close()
    return 0


def _print_token(token: str, expires_days: float | None) -> None:
    until = f"{expires_days:g} 天后过期 / expires in {expires_days:g} days" if expires_days else "不过期 / no expiry"
    print(f"访问令牌（只显示这一次，请妥善保存）/ access token (shown only once): {until}")
    print(token)


def _split_delegated(argv: list[str]) -> tuple[str | None, str, list[str]] | None:
    i, home = 0, None
    if argv[:1] == ["--home"] and len(argv) >= 2:
        i, home = 2, argv[1]
    elif argv and argv[0].startswith("--home="):
        i, home = 1, argv[0].split("=", 1)[1]
    if i < len(argv) and argv[i] == "bench" and i + 1 < len(argv) and argv[i + 1] in _BENCH_TOOLS:
        return home, _BENCH_TOOLS[argv[i + 1]], argv[i + 2 :]
    if i < len(argv) and argv[i] in _DELEGATED:
        return home, _DELEGATED[argv[i]], argv[i + 1 :]
    return None


def _delegate(module: str, argv: list[str]) -> int:
    """Run an evaluation/benchmark CLI (they live in ``evaluation/``, outside the library)."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ImportError as e:
        print(f"错误 / error: {module} 不可用 / not available: {e}", file=sys.stderr)
        return 2
    return mod.main(argv) or 0


def cmd_demo(args) -> int:
    from matcher.demo import run_demo

    return run_demo(home=args.home, seed=args.seed, jobs=args.jobs, seekers=args.seekers)


def cmd_serve(args) -> int:
    """Run the HTTP API and the station web console with uvicorn (the app is built by its factory)."""
    import os

    import uvicorn

    from matcher.settings import Settings

    if args.home:
        os.environ["MATCHER_HOME"] = str(args.home)
    os.environ.setdefault("MATCHER_GC_FREEZE", "true")  # one long-lived engine per process (Settings.gc_freeze)
    settings = Settings()
    host = args.host or settings.host
    port = args.port or settings.port
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    # prometheus-client's multiprocess mode: set before the app (and prometheus_client) is imported
    from api.multiproc import MULTIPROC_ENV, prepare_multiprocess_dir

    metrics_dir = Path(os.environ.get(MULTIPROC_ENV) or settings.metrics_dir or settings.home / "metrics").resolve()
    prepare_multiprocess_dir(metrics_dir)
    os.environ[MULTIPROC_ENV] = str(metrics_dir)
    print(f"服务启动中：http://{shown}:{port}/console （接口文档 /docs，就绪检查 /readyz）"
          f" / serving on http://{shown}:{port} (API docs at /docs)", flush=True)
    # uvicorn's access log prints the raw path with its query string (``/v1/seekers?q=王小明``):
    # it is off, and the app logs method, route template, status and time instead (matcher.access).
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level=args.log_level,
                access_log=False, log_config=serve_log_config(args.log_level, settings.log_format))
    return 0


def serve_log_config(level: str = "info", fmt: str = "text") -> dict:
    """uvicorn's logging set-up plus the ``matcher`` loggers (the app's access log and errors),
    on the same stderr handler; ``fmt="json"``: one JSON object a line (:mod:`matcher.logjson`)."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["matcher"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    if fmt == "json":
        for name in config["formatters"]:
            config["formatters"][name] = {"()": "matcher.logjson.JsonFormatter"}
    return config


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="matcher",
        description="河北基层公共就业服务岗位匹配引擎 / job-matching engine for Hebei's employment service stations",
    )
    p.add_argument("--home", default=None, help="数据目录（默认 $MATCHER_HOME 或 ./var）/ data folder")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser("demo", help="生成河北示例数据并建立索引 / build the Hebei sample dataset")
    d.add_argument("--seed", type=int, default=2026)
    d.add_argument("--jobs", type=int, default=2000)
    d.add_argument("--seekers", type=int, default=5000)
    d.set_defaults(func=cmd_demo)

    i = sub.add_parser("import", help="导入 CSV/XLSX/JSONL 文件 / import records from a file")
    i.add_argument("kind", choices=sorted(KINDS))
    i.add_argument("file", type=Path)
    i.add_argument("--on-error", choices=["abort", "skip"], default="abort",
                   help="abort：有错误行则整个文件不导入（默认）；skip：只导入正确的行")
    i.add_argument("--quiet", action="store_true", help="不显示进度条 / no progress bar")
    i.set_defaults(func=cmd_import)

    m = sub.add_parser("match", help="为求职者推荐岗位 / ranked jobs for a seeker")
    g = m.add_mutually_exclusive_group(required=True)
    g.add_argument("--seeker", help="已登记求职者编号 / stored seeker id")
    g.add_argument("--profile", type=Path, help="求职者档案 JSON 文件（不保存）/ ad-hoc seeker profile")
    m.add_argument("--top", type=int, default=10)
    m.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    m.set_defaults(func=cmd_match)

    c = sub.add_parser("candidates", help="为岗位推荐求职者 / ranked candidates for a job")
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("--job", help="已登记岗位编号 / stored job id")
    g.add_argument("--profile", type=Path, help="岗位 JSON 文件（不保存）/ ad-hoc job")
    c.add_argument("--top", type=int, default=10)
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_candidates)

    sv = sub.add_parser("serve", help="启动接口服务和服务站网页 / run the HTTP API and the station web console")
    sv.add_argument("--host", default=None, help="监听地址（默认 $MATCHER_HOST 或 127.0.0.1）/ address to listen on")
    sv.add_argument("--port", type=int, default=None, help="端口（默认 $MATCHER_PORT 或 8000）/ port")
    sv.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    sv.set_defaults(func=cmd_serve)

    sub.add_parser("evaluate", help="离线评估匹配质量（参数见 matcher evaluate --help）/ offline quality evaluation")
    sub.add_parser("bench", help="性能基准测试（参数见 matcher bench --help；bench embed：向量化吞吐；bench digest：批量推送）"
                   "/ performance benchmarks (bench embed: embedding throughput; bench digest: batch digests)")
    sub.add_parser("train-encoder", help="用招聘数据微调向量模型（参数见 matcher train-encoder --help）"
                   "/ adapt the encoder to job postings")

    dg = sub.add_parser("digest", help="生成每日推送 / daily digests")
    where = dg.add_mutually_exclusive_group()
    where.add_argument("--station", help="服务站编号 / station id")
    where.add_argument("--region", help="区划代码（乡镇/社区/县）/ region code")
    dg.add_argument("--date", help="日期 YYYY-MM-DD（默认今天）")
    dg.add_argument("--out", default="digests", help="输出目录 / output folder")
    where.add_argument("--all", action="store_true",
                       help="全省所有服务站、乡镇和县区（可断点续做）/ every station, township and county (resumable)")
    dg.add_argument("--engine", choices=["local", "ray"], default="local",
                    help="local：本机；ray：Ray 集群（按县分区）/ where --all runs: here or on a Ray cluster")
    dg.add_argument("--address", default=None, help="Ray 集群地址，如 127.0.0.1:6379（默认在本机启动）/ Ray address")
    dg.add_argument("--workers", type=int, default=1, help="并行进程数（Ray：执行者数）/ worker processes (Ray actors)")
    dg.add_argument("--quiet", action="store_true")
    dg.set_defaults(func=cmd_digest)

    sc = sub.add_parser("schedule", help="每天定时生成全部推送（systemd/cron）/ build every digest daily at a set time")
    sc.add_argument("--at", default=None, help="时间 HH:MM（默认 $MATCHER_DIGEST_AT 或 06:00）/ local time")
    sc.add_argument("--keep-days", type=int, default=None, help="保留天数（默认 $MATCHER_DIGEST_KEEP_DAYS 或 7）")
    sc.add_argument("--out", default=None, help="输出目录（默认 <home>/digests）/ output root")
    sc.add_argument("--workers", type=int, default=None, help="并行进程数 / worker processes")
    sc.add_argument("--once", action="store_true", help="立即生成今天的推送后退出（供 cron 使用）/ build today's now and exit")
    sc.set_defaults(func=cmd_schedule)

    u = sub.add_parser("users", help="账号与访问令牌 / accounts and API tokens")
    us = u.add_subparsers(dest="action", required=True)
    ua = us.add_parser("add", help="新建账号并生成令牌 / create an account and print its token")
    ua.add_argument("name", help="账号名称 / account name")
    ua.add_argument("--role", required=True, choices=["province", "city", "county", "station", "employer", "platform"],
                    help="角色 / role")
    ua.add_argument("--region", help="区划代码：市 4 位、县 6 位、服务站 6/9/12 位 / region code of a staff account")
    ua.add_argument("--employer", help="用人单位编号（employer 角色）/ employer id of an employer account")
    ua.add_argument("--expires-days", type=float, default=None, help="令牌有效天数（默认不过期）/ token lifetime in days")
    ut = us.add_parser("token", help="为已有账号生成新令牌 / a new token for an account")
    ut.add_argument("name")
    ut.add_argument("--expires-days", type=float, default=None)
    ur = us.add_parser("revoke", help="停用账号及其全部令牌 / revoke an account and all its tokens")
    ur.add_argument("name")
    us.add_parser("list", help="列出账号 / list accounts")
    u.set_defaults(func=cmd_users)

    mg = sub.add_parser("migrate", help="把数据库结构升级到当前版本 / upgrade the database schema in place")
    mg.set_defaults(func=cmd_migrate)

    bk = sub.add_parser("backup", help="在线备份数据库（服务可继续运行）/ back up the store while serving")
    bk.add_argument("--out", type=Path, required=True, help="备份文件 / backup file")
    bk.set_defaults(func=cmd_backup)

    rs = sub.add_parser("restore", help="从备份恢复数据库并重建索引（先停止服务）/ restore a backup and rebuild the "
                                        "indexes (stop the servers first)")
    rs.add_argument("file", type=Path, help="matcher backup 生成的文件 / a file made by matcher backup")
    rs.add_argument("--quiet", action="store_true")
    rs.set_defaults(func=cmd_restore)

    x = sub.add_parser("index", help="索引维护 / index maintenance")
    xs = x.add_subparsers(dest="action", required=True)
    r = xs.add_parser("rebuild", help="从数据库重建索引 / rebuild the indexes from the store")
    r.add_argument("--quiet", action="store_true")
    r.set_defaults(func=cmd_index)

    from matcher.cli_network import add_parsers

    add_parsers(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    delegated = _split_delegated(argv)
    if delegated:  # `matcher [--home H] bench|evaluate ...`: the rest goes to that tool as is
        home, module, rest = delegated
        if home:
            import os

            os.environ["MATCHER_HOME"] = home
        return _delegate(module, rest)
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except ValidationFailed as e:
        print(f"错误 / error: {e.message}", file=sys.stderr)
        _print_errors(e.errors)
        return 2
    except MatcherError as e:
        print(f"错误 / error: {e.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断 / interrupted", file=sys.stderr)
        return 130


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    sys.exit(main())
