"""A reproducible, GENERATED Hebei sample: stations, employers, jobs and seekers.

Everything here is synthetic (生成的示例数据，非真实人员或岗位): names, ID numbers, phones, employers
and postings are made up from templates with a seeded random generator, so the same seed always
gives the same dataset. Places are real: counties and townships come from the gazetteer
(``matcher.geography``) and records are scattered around their county's real centre.

Townships have no published coordinates in the packages we use, so each township gets a synthetic
centre near its county centre, and records of that township cluster around it. That keeps the
demo's geography coherent (a village's seekers live near that village's jobs) without claiming
real township positions.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from matcher.records import id_number_check_digit

SAMPLE_NOTE = "生成的示例数据 / generated sample data"

# City prefix -> (wage factor against Shijiazhuang, counties to use: None = all)
CITIES: dict[str, float] = {
    "1301": 1.00,  # 石家庄市
    "1302": 1.02,  # 唐山市
    "1304": 0.90,  # 邯郸市
    "1306": 0.93,  # 保定市
    "1307": 0.88,  # 张家口市
    "1331": 1.05,  # 雄安新区
}
COUNTIES_PER_CITY = 6


@dataclass(frozen=True)
class Template:
    """One kind of job as stations see it."""

    code: str
    titles: tuple[str, ...]
    duties: tuple[str, ...]
    skills: tuple[str, ...]
    wage: tuple[int, int]  # monthly yuan, Shijiazhuang urban
    education: str | None = None
    weight: float = 1.0
    rural: float = 0.3  # share of these jobs outside towns
    types: tuple[str, ...] = ("full_time",)
    wishes: tuple[str, ...] = ()  # how seekers say they want this work
    welcome: tuple[str, ...] = ()
    accessible: float = 0.05
    age_max: int | None = None
    licenses: tuple[str, ...] = ()


T = Template
TEMPLATES: tuple[Template, ...] = (
    T("4-07-05-01", ("保安员", "小区保安", "夜班保安", "门卫", "物业保安"), ("负责小区门岗值守和夜间巡逻", "登记来访人员车辆，维护秩序", "监控室值班，处理突发情况"),
      ("保安员证", "巡逻", "监控"), (3000, 4200), "junior_high", 2.2, 0.2, wishes=("想找个看大门的活", "当保安", "看门值班"),
      welcome=("older_4050", "veteran"), age_max=60),
    T("4-09-08-01", ("保洁员", "物业保洁", "商场保洁", "医院保洁"), ("负责楼道、公共区域日常清洁", "垃圾分类清运，保持卫生", "商场地面、卫生间保洁"),
      ("清洁", "垃圾分类"), (2300, 3200), None, 2.0, 0.2, ("full_time", "part_time"), ("想找个打扫卫生的活", "做保洁"),
      welcome=("older_4050", "disabled", "low_income"), accessible=0.25, age_max=62),
    T("6-18-02-04", ("电焊工", "焊工", "氩弧焊工", "二保焊工"), ("钢结构件焊接，看懂图纸", "二氧化碳保护焊、氩弧焊作业", "设备维修焊接"),
      ("焊工证", "电焊", "氩弧焊", "二保焊", "看图纸"), (5500, 8500), "junior_high", 1.4, 0.35, wishes=("会电焊，想找工厂的活", "干焊工")),
    T("4-01-02-04", ("收银员", "超市收银员", "便利店收银"), ("超市收银结算，扫码收款", "整理货架，顾客服务", "交接班对账"),
      ("收银", "扫码支付", "商品陈列"), (2600, 3500), "junior_high", 1.6, 0.25, ("full_time", "part_time"), ("超市收银", "在超市上班"),
      welcome=("graduate", "disabled"), accessible=0.3),
    T("4-03-02-01", ("厨师", "中餐厨师", "炒锅师傅", "食堂厨师"), ("负责中餐热菜烹制", "单位食堂大锅菜制作", "菜品研发，控制出品"),
      ("健康证", "厨师证", "炒菜", "刀工"), (4500, 7000), None, 1.2, 0.3, wishes=("会做饭，想去饭店或食堂", "当厨师")),
    T("4-03-02-05", ("餐厅服务员", "饭店服务员", "传菜员"), ("点餐、上菜、收台", "迎宾接待顾客", "餐具摆放与卫生"),
      ("健康证", "服务意识"), (2800, 3800), None, 1.3, 0.25, ("full_time", "part_time"), ("饭店服务员",), welcome=("graduate", "migrant_worker")),
    T("4-10-01-05", ("养老护理员", "护工", "养老院护理员"), ("照料老人日常起居、饮食", "协助老人康复活动", "夜班看护"),
      ("养老护理员证", "护理", "健康证"), (3500, 5000), "junior_high", 1.2, 0.3, wishes=("照顾老人", "当护工"),
      welcome=("older_4050", "low_income", "zero_employment_family"), age_max=58),
    T("4-10-01-06", ("家政服务员", "保姆", "住家保姆", "钟点工"), ("做饭、打扫、照顾家人", "照顾老人或小孩", "按小时上门保洁"),
      ("做饭", "家务", "健康证"), (3500, 6000), None, 1.2, 0.25, ("full_time", "part_time", "gig"), ("做家政", "当保姆"),
      welcome=("older_4050", "poverty_alleviated", "relocated")),
    T("4-10-01-01", ("育婴员", "育儿嫂", "月嫂"), ("照顾0-3岁婴幼儿饮食起居", "产妇和新生儿护理", "婴幼儿早教陪护"),
      ("育婴员证", "母婴护理", "健康证"), (5000, 9000), "junior_high", 0.7, 0.2, wishes=("带孩子", "当月嫂"), welcome=("older_4050",)),
    T("4-02-07-08", ("快递员", "快递派送员", "快递收派员"), ("负责片区快递派送与揽收", "使用巴枪扫描，按时签收", "网点分拣装车"),
      ("电动车驾驶", "分拣", "智能手机"), (4500, 7500), None, 1.3, 0.3, wishes=("送快递",), welcome=("migrant_worker", "veteran")),
    T("4-10-08-01", ("外卖骑手", "网约配送员", "配送员"), ("平台外卖配送，时间自由", "同城即时配送", "按单计酬，多劳多得"),
      ("电动车驾驶", "智能手机", "熟悉路线"), (4000, 8000), None, 1.0, 0.1, ("full_time", "part_time", "gig"), ("送外卖", "跑外卖"),
      welcome=("migrant_worker", "graduate")),
    T("4-02-02-02", ("货车司机", "物流司机", "B2司机"), ("城际干线运输，按时送货", "驾驶厢式货车配送", "车辆日常保养"),
      ("B2驾照", "A2驾照", "驾驶"), (6500, 10000), "junior_high", 1.0, 0.4, wishes=("开货车", "跑运输"), welcome=("veteran",), licenses=("B2驾照",)),
    T("4-02-02-01", ("客车司机", "公交司机", "通勤车司机"), ("驾驶公交车辆，安全运营", "接送员工上下班", "车辆清洁与检查"),
      ("A1驾照", "A3驾照", "驾驶"), (5500, 8000), "junior_high", 0.5, 0.3, wishes=("开大车",), welcome=("veteran",), licenses=("A1驾照",)),
    T("4-02-05-01", ("装卸工", "搬运工", "装车工"), ("物流园装卸货物", "仓库搬运、码垛", "配合叉车装车"),
      ("搬运", "体力好"), (4500, 7000), None, 1.0, 0.4, ("full_time", "gig"), ("干装卸", "出力气活"), welcome=("migrant_worker",), age_max=55),
    T("4-02-06-01", ("仓管员", "仓库管理员", "库管"), ("货物出入库登记", "库存盘点，系统录入", "仓库物料整理"),
      ("Excel", "WMS系统", "盘点"), (3800, 5500), "senior_high", 1.0, 0.3, wishes=("在仓库上班", "管仓库"), welcome=("disabled", "graduate"), accessible=0.2),
    T("4-02-06-02", ("理货员", "超市理货员", "分拣员"), ("商品上架、补货、理货", "快递包裹分拣", "核对货品数量"),
      ("理货", "分拣", "商品陈列"), (3000, 4200), None, 1.0, 0.25, ("full_time", "part_time"), ("理货",), welcome=("disabled", "older_4050"), accessible=0.2),
    T("6-31-01-03", ("电工", "维修电工", "物业电工", "低压电工"), ("厂区设备电气维修", "物业水电维修", "配电室值班"),
      ("电工证", "低压电工作业证", "水电维修", "PLC"), (5000, 7500), "vocational", 1.1, 0.35, wishes=("当电工", "修水电"), licenses=("电工证",)),
    T("6-29-01-01", ("瓦工", "砌筑工", "泥瓦工"), ("砌墙、抹灰，施工现场作业", "农村自建房砌筑", "瓷砖铺贴"),
      ("砌墙", "抹灰", "贴砖"), (6000, 9000), None, 0.9, 0.5, ("full_time", "gig", "seasonal"), ("干瓦工", "工地上干活"), welcome=("migrant_worker",), age_max=58),
    T("6-29-01-04", ("钢筋工", "工地钢筋工"), ("钢筋绑扎、加工制作", "按图纸下料"), ("钢筋绑扎", "看图纸"), (6500, 9500), None, 0.6, 0.4,
      ("full_time", "gig", "seasonal"), ("工地上干活",), welcome=("migrant_worker",), age_max=58),
    T("6-29-04-01", ("装修工", "油漆工", "木工", "水电工"), ("室内装修施工", "刷漆、刮腻子", "吊顶、木作安装"),
      ("刮腻子", "刷漆", "木工", "水电安装"), (6000, 9000), None, 0.8, 0.35, ("full_time", "gig"), ("干装修",), welcome=("migrant_worker",)),
    T("6-31-03-05", ("质检员", "品检员", "检验员"), ("产品外观、尺寸检验", "填写检验记录", "来料检验"),
      ("质检", "卡尺", "Excel"), (3800, 5500), "senior_high", 0.8, 0.3, wishes=("做质检",), welcome=("graduate", "disabled"), accessible=0.2),
    T("6-20-01-01", ("装配工", "普工", "流水线操作工", "组装工"), ("流水线产品组装", "按作业指导书操作设备", "两班倒，包吃住"),
      ("装配", "流水线", "吃苦耐劳"), (4200, 6200), None, 2.2, 0.4, ("full_time", "seasonal"), ("进厂打工", "找个工厂上班", "干普工"),
      welcome=("migrant_worker", "poverty_alleviated", "relocated", "long_term_unemployed"), accessible=0.1, age_max=50),
    T("6-05-01-03", ("缝纫工", "车位工", "服装厂工人"), ("服装缝制，平车操作", "按件计酬"), ("缝纫", "平车", "锁边"), (4000, 6500), None,
      0.8, 0.5, ("full_time", "part_time"), ("做衣服", "会用缝纫机"), welcome=("older_4050", "poverty_alleviated", "relocated"), accessible=0.15),
    T("6-22-02-01", ("汽车装调工", "汽车装配工"), ("整车装配调试", "零部件安装"), ("装配", "汽车"), (5000, 7500), "vocational", 0.5, 0.2,
      welcome=("veteran",)),
    T("4-12-01-01", ("汽车维修工", "汽修工", "汽车修理工"), ("汽车保养、故障诊断维修", "轮胎更换、钣金喷漆"), ("汽车维修", "汽车诊断", "钣金"),
      (4500, 7500), "vocational", 0.8, 0.3, wishes=("修车", "干汽修")),
    T("5-01-02-01", ("农业工人", "大棚种植工", "蔬菜种植员", "采摘工"), ("温室大棚蔬菜种植管理", "采摘、分拣、装箱", "施肥浇水除草"),
      ("种植", "大棚管理", "采摘"), (2800, 4200), None, 1.2, 0.9, ("full_time", "seasonal", "gig"), ("在村里种地打零工", "种大棚"),
      welcome=("poverty_alleviated", "older_4050", "relocated", "low_income")),
    T("5-03-02-01", ("养殖工", "养猪场饲养员", "牛场饲养员"), ("喂养牲畜，清理圈舍", "防疫消毒"), ("养殖", "饲喂", "防疫"), (3500, 5500), None,
      0.7, 0.95, wishes=("养猪养牛",), welcome=("poverty_alleviated",)),
    T("5-03-02-02", ("养鸡场饲养员", "蛋鸡饲养员"), ("鸡舍管理、捡蛋", "饲喂与防疫"), ("养殖", "饲喂"), (3300, 5000), None, 0.4, 0.95,
      welcome=("poverty_alleviated", "relocated")),
    T("4-09-10-01", ("绿化工", "园林工人", "养护工"), ("公园绿地修剪浇水", "苗木栽植养护"), ("绿化养护", "修剪"), (2800, 3800), None, 0.7, 0.5,
      ("full_time", "seasonal"), ("干绿化",), welcome=("older_4050", "low_income"), age_max=62),
    T("4-03-01-02", ("客房服务员", "酒店保洁", "宾馆服务员"), ("客房清扫、布草更换", "酒店公共区域保洁"), ("客房清扫", "服务意识"), (2800, 3800),
      None, 0.6, 0.15, ("full_time", "part_time"), ("在宾馆上班",), welcome=("older_4050",)),
    T("4-01-02-03", ("营业员", "导购员", "店员", "销售员"), ("门店商品销售与介绍", "接待顾客，完成销售指标"), ("销售", "沟通"), (3000, 5500),
      "junior_high", 1.3, 0.2, ("full_time", "part_time"), ("卖东西", "商场导购"), welcome=("graduate",)),
    T("4-01-06-02", ("直播带货主播", "电商主播", "网络主播"), ("直播销售农产品", "短视频拍摄剪辑"), ("直播", "短视频剪辑", "普通话"), (4000, 8000),
      "senior_high", 0.5, 0.3, ("full_time", "part_time"), ("做直播",), welcome=("graduate", "migrant_worker")),
    T("4-01-06-01", ("电商运营", "网店客服", "电商专员"), ("网店日常运营上架", "在线客服答疑"), ("淘宝运营", "拼多多", "Excel", "打字"),
      (3500, 6000), "associate", 0.6, 0.15, wishes=("在网上卖东西",), welcome=("graduate", "disabled"), accessible=0.4),
    T("4-04-05-03", ("客服专员", "话务员", "电话客服"), ("接听客户来电，解答咨询", "回访登记"), ("普通话", "打字", "沟通"), (3200, 4800), "senior_high",
      0.7, 0.1, wishes=("做客服", "坐办公室接电话"), welcome=("disabled", "graduate"), accessible=0.5),
    T("2-06-03-00", ("会计", "出纳", "财务助理"), ("账务处理、报税", "现金收付、银行对账"), ("会计证", "用友", "Excel", "初级会计职称"), (4000, 6500),
      "associate", 0.6, 0.1, wishes=("做会计",), welcome=("graduate",), accessible=0.3),
    T("2-08-03-00", ("幼儿教师", "幼师", "幼儿园老师"), ("幼儿园保教工作", "组织幼儿活动"), ("教师资格证", "弹琴", "普通话"), (3000, 4500),
      "associate", 0.6, 0.3, wishes=("当幼师",), welcome=("graduate",)),
    T("4-04-05-01", ("软件开发工程师", "Java开发", "前端开发"), ("系统功能开发与维护", "编写代码与文档"), ("Java", "Python", "MySQL", "Vue"),
      (7000, 13000), "bachelor", 0.4, 0.02, wishes=("写代码",), welcome=("graduate",), accessible=0.3),
    T("4-14-01-02", ("医疗护理员", "医院护工", "陪护"), ("协助病人生活护理", "陪诊陪护"), ("护理", "健康证"), (3500, 5500), "junior_high", 0.6, 0.2,
      ("full_time", "gig"), ("在医院当护工",), welcome=("older_4050", "low_income")),
    T("4-10-03-02", ("美发师", "理发师", "发型师助理"), ("剪发、染烫", "洗头护理"), ("剪发", "烫染"), (4000, 8000), None, 0.5, 0.2, wishes=("理发",)),
    T("4-07-05-03", ("消防设施操作员", "消控室值班员"), ("消控室24小时值班", "消防设施巡检"), ("消防设施操作员证", "监控"), (3500, 5000),
      "senior_high", 0.4, 0.1, welcome=("veteran",), licenses=("消防设施操作员证",)),
    T("6-18-01-01", ("车工", "数控车床操作工", "CNC操作工"), ("数控车床加工零件", "看图纸，调机"), ("数控车床", "看图纸", "CNC"), (5500, 8000),
      "vocational", 0.6, 0.3, wishes=("开机床",)),
)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN_M = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林成建国志海东亮春生德胜利永"
GIVEN_F = "芳娜敏静丽艳娟霞秀英华慧巧美玲桂兰凤洁琳素云莲真雪荣爱妹霞香月莺媛燕红梅琴"
BRANDS = "华润恒信宏达鑫源金鼎瑞丰永安顺达广聚福泰诚信博远汇通联创新兴德隆中正嘉和天成"
SUFFIX_BY_MAJOR = {"2": "科技有限公司", "4": "服务有限公司", "5": "农业专业合作社", "6": "制造有限公司"}
EDU_BY_AGE = [  # (max age, weights over none..doctor)
    (30, [0, 0.01, 0.12, 0.15, 0.15, 0.27, 0.26, 0.04, 0]),
    (45, [0.01, 0.04, 0.35, 0.2, 0.12, 0.14, 0.12, 0.02, 0]),
    (70, [0.04, 0.2, 0.45, 0.18, 0.06, 0.05, 0.02, 0, 0]),
]
EDUCATION = ["none", "primary", "junior_high", "senior_high", "vocational", "associate", "bachelor", "master", "doctor"]


@dataclass
class Sample:
    stations: list[dict] = field(default_factory=list)
    employers: list[dict] = field(default_factory=list)
    jobs: list[dict] = field(default_factory=list)
    seekers: list[dict] = field(default_factory=list)

    def sizes(self) -> dict[str, int]:
        return {k: len(getattr(self, k)) for k in ("stations", "employers", "jobs", "seekers")}


def _offset(lat: float, lng: float, rng: random.Random, sigma_km: float) -> tuple[float, float]:
    dy, dx = rng.gauss(0, sigma_km), rng.gauss(0, sigma_km)
    return round(lat + dy / 111.0, 6), round(lng + dx / (111.0 * math.cos(math.radians(lat))), 6)


@dataclass
class _Area:
    """A township with a synthetic centre (see module docstring)."""

    code: str
    name: str
    county: str
    county_name: str
    city_factor: float
    urban: bool
    lat: float
    lng: float


def _areas(rng: random.Random) -> list[_Area]:
    from matcher.geography import Gazetteer

    gaz = Gazetteer.load()
    out: list[_Area] = []
    for city, factor in CITIES.items():
        counties = [c for c in gaz.counties(within=city) if c.lat is not None]
        if not counties:
            continue
        # districts first (urban core), then a spread of counties
        counties.sort(key=lambda c: c.code)
        districts = [c for c in counties if gaz.area_type(c.code) == "urban"]
        others = [c for c in counties if c not in districts]
        chosen = districts[:3] + rng.sample(others, min(len(others), COUNTIES_PER_CITY - min(3, len(districts))))
        for county in chosen:
            towns = gaz.townships(county.code)
            if not towns:
                continue
            towns = rng.sample(towns, min(len(towns), 8))
            spread = 4.0 if gaz.area_type(county.code) == "urban" else 12.0
            for t in towns:
                lat, lng = _offset(county.lat, county.lng, rng, spread)
                out.append(_Area(t.code, t.name, county.code, county.full_name, factor,
                                 gaz.area_type(t.code) == "urban", lat, lng))
    return out


def _person_name(rng: random.Random, male: bool) -> str:
    given = GIVEN_M if male else GIVEN_F
    return rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2))))


def _id_number(rng: random.Random, county: str, born: date, male: bool) -> str:
    seq = rng.randrange(0, 99) * 10 + (rng.choice((1, 3, 5, 7, 9)) if male else rng.choice((0, 2, 4, 6, 8)))
    first17 = f"{county[:6]}{born:%Y%m%d}{seq:03d}"
    return first17 + id_number_check_digit(first17)


def _phone(rng: random.Random) -> str:
    return rng.choice(("13", "15", "18", "17", "19")) + f"{rng.randrange(0, 10**9):09d}"


def _credit_code(rng: random.Random, county: str) -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return "91" + county[:6] + "".join(rng.choice(chars) for _ in range(10))


def generate(seed: int = 2026, n_jobs: int = 2000, n_seekers: int = 5000, today: date | None = None) -> Sample:
    """Build the sample. Same seed, sizes and ``today`` -> the same records. Posting and expiry
    dates are relative to ``today`` (default: the day it runs) so the demo always has open jobs."""
    rng = random.Random(seed)
    today = today or date.today()
    areas = _areas(rng)
    urban_areas = [a for a in areas if a.urban] or areas
    rural_areas = [a for a in areas if not a.urban] or areas
    sample = Sample()

    # Stations: one per township (community or village), plus special kinds per city.
    station_of: dict[str, str] = {}
    for i, a in enumerate(areas):
        sid = f"ST{i + 1:04d}"
        station_of[a.code] = sid
        kind = "community" if a.urban else "village"
        label = "社区" if a.urban else "村"
        sample.stations.append({"id": sid, "name": f"{a.county_name}{a.name}{label}就业服务站", "kind": kind,
                                "region_code": a.code, "lat": a.lat, "lng": a.lng, "address": f"{a.county_name}{a.name}"})
    for city in CITIES:
        city_areas = [a for a in areas if a.code.startswith(city)]
        if not city_areas:
            continue
        for kind, label in (("school", "高校就业服务站"), ("industrial_park", "产业园区就业服务站"), ("gig_market", "零工市场"),
                            ("relocation_site", "易地搬迁安置点就业服务站")):
            pool = [a for a in city_areas if a.urban] if kind in ("school", "gig_market") else city_areas
            a = rng.choice(pool or city_areas)
            sid = f"ST{len(sample.stations) + 1:04d}"
            sample.stations.append({"id": sid, "name": f"{a.county_name}{a.name}{label}", "kind": kind, "region_code": a.code,
                                    "lat": a.lat, "lng": a.lng, "address": f"{a.county_name}{a.name}"})

    # Employers: each anchored in one area with a main occupation.
    weights = [t.weight for t in TEMPLATES]
    n_employers = max(20, n_jobs // 5)
    employers = []
    for i in range(n_employers):
        tpl = rng.choices(TEMPLATES, weights)[0]
        area = rng.choice(rural_areas if rng.random() < tpl.rural else urban_areas)
        lat, lng = _offset(area.lat, area.lng, rng, 1.0 if area.urban else 2.0)
        county_short = area.county_name.split("市")[-1] if "市" in area.county_name else area.county_name
        name = f"{county_short[:2]}{rng.choice(BRANDS)}{rng.choice(BRANDS)}{SUFFIX_BY_MAJOR.get(tpl.code[0], '有限公司')}"
        emp = {"id": f"E{i + 1:05d}", "name": name, "credit_code": _credit_code(rng, area.county), "industry": tpl.titles[0],
               "region_code": area.code, "address": f"{area.county_name}{area.name}", "lat": lat, "lng": lng}
        employers.append((emp, tpl, area))
        sample.employers.append(emp)

    # Jobs.
    for i in range(n_jobs):
        emp, main_tpl, area = rng.choice(employers)
        tpl = main_tpl if rng.random() < 0.7 else rng.choices(TEMPLATES, weights)[0]
        factor = area.city_factor * (1.0 if area.urban else 0.88)
        lo = int(round(tpl.wage[0] * factor * rng.uniform(0.92, 1.08), -2))
        hi = max(lo + 200, int(round(tpl.wage[1] * factor * rng.uniform(0.92, 1.1), -2)))
        posted = today - timedelta(days=rng.randrange(0, 40))
        expires = posted + timedelta(days=rng.choice((30, 60, 90)))
        status = rng.choices(("open", "paused", "filled", "closed"), (0.9, 0.03, 0.04, 0.03))[0]
        title = rng.choice(tpl.titles)
        perks = rng.sample(("五险一金", "包吃住", "管午饭", "交通补贴", "月休四天", "双休", "年底奖金", "就近上班"), 2)
        job = {
            "id": f"J{i + 1:05d}", "title": title,
            "description": f"{'。'.join(rng.sample(tpl.duties, min(2, len(tpl.duties))))}。待遇：{'、'.join(perks)}。",
            "skills": rng.sample(tpl.skills, min(len(tpl.skills), rng.randint(1, 3))),
            "occupation_code": tpl.code if rng.random() < 0.6 else None,
            "employer_id": emp["id"], "employer_name": emp["name"], "region_code": area.code,
            "address": emp["address"], "lat": emp["lat"], "lng": emp["lng"],
            "wage_min": lo, "wage_max": hi, "employment_type": rng.choice(tpl.types),
            "education_min": tpl.education if rng.random() < 0.8 else None,
            "experience_years_min": rng.choice((0, 0, 0, 1, 2, 3)), "headcount": rng.choice((1, 1, 2, 2, 3, 5, 10)),
            "accessible": rng.random() < tpl.accessible,
            "priority_groups_welcome": [g for g in tpl.welcome if rng.random() < 0.5],
            "posted_at": posted.isoformat(), "expires_at": expires.isoformat(), "status": status,
            "age_min": 18, "age_max": tpl.age_max, "licenses_required": list(tpl.licenses) if rng.random() < 0.7 else [],
            "public_welfare": False,
        }
        if rng.random() < 0.05:  # some postings only name their county
            job.update(lat=None, lng=None, region_code=area.county, address=area.county_name)
        sample.jobs.append(job)
    # A few public-welfare posts (公益性岗位) reserved for assistance targets, in villages.
    for j in rng.sample(sample.jobs, max(1, n_jobs // 100)):
        j.update(title=rng.choice(("公益性岗位-村级保洁员", "公益性岗位-护林员", "公益性岗位-乡村道路管护员")), public_welfare=True,
                 priority_groups_welcome=["poverty_alleviated", "low_income", "disabled", "zero_employment_family"],
                 occupation_code="4-09-08-01", skills=["清洁"], wage_min=1200, wage_max=1800, education_min=None,
                 licenses_required=[], age_max=65)

    # Seekers.
    for i in range(n_seekers):
        urban = rng.random() < 0.55
        area = rng.choice(urban_areas if urban else rural_areas)
        male = rng.random() < 0.52
        age = min(62, max(18, int(rng.triangular(18, 62, 38))))
        born = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        edu_w = next(w for cap, w in EDU_BY_AGE if age <= cap)
        education = rng.choices(EDUCATION, edu_w)[0]
        pool = [t for t in TEMPLATES if (t.education is None or EDUCATION.index(t.education) <= EDUCATION.index(education) + 1)]
        tpl = rng.choices(pool, [t.weight * (1.6 if (t.rural > 0.5) == (not urban) else 1.0) for t in pool])[0]
        second = rng.choices(pool, [t.weight for t in pool])[0]
        wishes = [rng.choice(tpl.wishes)] if tpl.wishes and rng.random() < 0.5 else [rng.choice(tpl.titles)]
        if second is not tpl and rng.random() < 0.4:
            wishes.append(rng.choice(second.titles))
        groups = []
        if (not male and age >= 40) or (male and age >= 50):
            groups += ["older_4050"] if rng.random() < 0.6 else []
        if age <= 25 and education in ("associate", "bachelor", "master"):
            groups += ["graduate"] if rng.random() < 0.7 else []
        for g, p, only_rural in (("disabled", 0.03, False), ("long_term_unemployed", 0.05, False), ("low_income", 0.04, False),
                                 ("poverty_alleviated", 0.10, True), ("relocated", 0.04, True), ("veteran", 0.03 if male else 0.003, False),
                                 ("migrant_worker", 0.12, True), ("zero_employment_family", 0.01, False)):
            if (not only_rural or not urban) and rng.random() < p:
                groups.append(g)
        lat, lng = _offset(area.lat, area.lng, rng, 1.2 if area.urban else 1.8)
        years = rng.randint(0, max(0, min(20, age - 18)))
        exp = f"在{area.county_name}做过{years}年{rng.choice(tpl.titles)}" if years else "无相关工作经验"
        located = rng.random() > 0.04
        sample.seekers.append({
            "id": f"S{i + 1:05d}", "name": _person_name(rng, male), "id_number": _id_number(rng, area.county, born, male),
            "phone": _phone(rng), "gender": "male" if male else "female", "birth_date": born.isoformat(), "education": education,
            "skills": rng.sample(tpl.skills, min(len(tpl.skills), rng.randint(1, 3))), "desired_occupations": wishes,
            "experience": exp, "certificates": [s for s in tpl.skills if s.endswith(("证", "驾照"))][:1] if rng.random() < 0.5 else [],
            "region_code": area.code, "address": f"{area.county_name}{area.name}",
            "lat": lat if located else None, "lng": lng if located else None,
            "area_type": "urban" if area.urban else "rural",
            "max_commute_minutes": rng.choice((None, None, 20, 30)), "max_distance_km": None,
            "willing_to_relocate": rng.random() < 0.12,
            "desired_wage_min": int(round(tpl.wage[0] * area.city_factor * rng.uniform(0.8, 1.1), -2)) if rng.random() < 0.6 else None,
            "employment_types": list(tpl.types[:2]) if rng.random() < 0.5 else [],
            "priority_groups": groups,
            "status": rng.choices(("unemployed", "seeking", "employed"), (0.7, 0.2, 0.1))[0],
            "station_id": station_of[area.code], "consent_to_share": rng.random() < 0.75,
        })
    return sample
