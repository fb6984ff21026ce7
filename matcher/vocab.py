"""Closed value sets of the record contract (DESIGN.md section 4) and the Chinese words stations
use for them. Import files and forms written in Chinese ("全职", "大专", "残疾人") are mapped to the
canonical English values here, in one place."""

from __future__ import annotations

from enum import StrEnum


class EmploymentType(StrEnum):
    full_time = "full_time"
    part_time = "part_time"
    gig = "gig"
    internship = "internship"
    seasonal = "seasonal"


class Education(StrEnum):
    none = "none"
    primary = "primary"
    junior_high = "junior_high"
    senior_high = "senior_high"
    vocational = "vocational"
    associate = "associate"
    bachelor = "bachelor"
    master = "master"
    doctor = "doctor"

    @property
    def rank(self) -> int:
        return EDUCATION_RANK[self]


# Secondary vocational school (中专/职高/技校) ranks level with senior high school.
EDUCATION_RANK = {
    Education.none: 0,
    Education.primary: 1,
    Education.junior_high: 2,
    Education.senior_high: 3,
    Education.vocational: 3,
    Education.associate: 4,
    Education.bachelor: 5,
    Education.master: 6,
    Education.doctor: 7,
}


class JobStatus(StrEnum):
    open = "open"
    paused = "paused"
    filled = "filled"
    closed = "closed"


class SeekerStatus(StrEnum):
    unemployed = "unemployed"
    employed = "employed"
    seeking = "seeking"


class AreaType(StrEnum):
    urban = "urban"
    rural = "rural"


class Gender(StrEnum):
    male = "male"
    female = "female"


class TravelMode(StrEnum):
    walk = "walk"
    ebike = "ebike"
    bus = "bus"
    car = "car"


class PriorityGroup(StrEnum):
    zero_employment_family = "zero_employment_family"
    disabled = "disabled"
    long_term_unemployed = "long_term_unemployed"
    older_4050 = "older_4050"
    low_income = "low_income"
    poverty_alleviated = "poverty_alleviated"
    relocated = "relocated"
    graduate = "graduate"
    veteran = "veteran"
    migrant_worker = "migrant_worker"


class StationKind(StrEnum):
    community = "community"
    village = "village"
    school = "school"
    relocation_site = "relocation_site"
    industrial_park = "industrial_park"
    gig_market = "gig_market"


class ReferralStatus(StrEnum):
    """推荐 → 面试 → 录用 / 未录用 (or withdrawn)."""

    recommended = "recommended"
    interviewing = "interviewing"
    hired = "hired"
    rejected = "rejected"
    withdrawn = "withdrawn"


PRIORITY_GROUP_ZH = {
    PriorityGroup.zero_employment_family: "零就业家庭",
    PriorityGroup.disabled: "残疾人",
    PriorityGroup.long_term_unemployed: "长期失业人员",
    PriorityGroup.older_4050: "“4050”人员",
    PriorityGroup.low_income: "低保家庭",
    PriorityGroup.poverty_alleviated: "脱贫人口",
    PriorityGroup.relocated: "易地搬迁群众",
    PriorityGroup.graduate: "未就业高校毕业生",
    PriorityGroup.veteran: "退役军人",
    PriorityGroup.migrant_worker: "返乡农民工",
}

EDUCATION_ZH = {
    Education.none: "不限/无学历",
    Education.primary: "小学",
    Education.junior_high: "初中",
    Education.senior_high: "高中",
    Education.vocational: "中专/技校",
    Education.associate: "大专",
    Education.bachelor: "本科",
    Education.master: "硕士",
    Education.doctor: "博士",
}

EMPLOYMENT_TYPE_ZH = {
    EmploymentType.full_time: "全职",
    EmploymentType.part_time: "兼职",
    EmploymentType.gig: "零工",
    EmploymentType.internship: "实习",
    EmploymentType.seasonal: "季节性用工",
}

REFERRAL_STATUS_ZH = {
    ReferralStatus.recommended: "已推荐",
    ReferralStatus.interviewing: "面试中",
    ReferralStatus.hired: "已录用",
    ReferralStatus.rejected: "未录用",
    ReferralStatus.withdrawn: "已撤回",
}

# Chinese (and common informal) spellings accepted on input, per enum.
ALIASES: dict[type[StrEnum], dict[str, str]] = {
    EmploymentType: {
        "全职": "full_time", "全日制": "full_time", "兼职": "part_time", "小时工": "part_time",
        "零工": "gig", "临时工": "gig", "日结": "gig", "灵活用工": "gig", "实习": "internship",
        "见习": "internship", "季节工": "seasonal", "季节性": "seasonal", "季节性用工": "seasonal",
    },
    Education: {
        "无": "none", "不限": "none", "学历不限": "none", "文盲": "none", "小学": "primary",
        "初中": "junior_high", "初中及以上": "junior_high", "高中": "senior_high", "高中及以上": "senior_high",
        "中专": "vocational", "中专/中技": "vocational", "职高": "vocational", "技校": "vocational",
        "中技": "vocational", "中职": "vocational", "中专及以上": "vocational", "大专": "associate",
        "专科": "associate", "高职": "associate", "大专及以上": "associate", "本科": "bachelor",
        "本科及以上": "bachelor", "学士": "bachelor", "硕士": "master", "研究生": "master",
        "硕士及以上": "master", "博士": "doctor",
    },
    JobStatus: {"招聘中": "open", "开放": "open", "暂停": "paused", "已招满": "filled", "招满": "filled",
                "关闭": "closed", "已关闭": "closed", "下架": "closed"},
    SeekerStatus: {"失业": "unemployed", "未就业": "unemployed", "待业": "unemployed", "已就业": "employed",
                   "就业": "employed", "在职": "employed", "求职中": "seeking", "在职求职": "seeking"},
    AreaType: {"城镇": "urban", "城市": "urban", "城区": "urban", "农村": "rural", "乡村": "rural"},
    Gender: {"男": "male", "女": "female", "m": "male", "f": "female"},
    TravelMode: {"步行": "walk", "电动车": "ebike", "电瓶车": "ebike", "自行车": "ebike", "公交": "bus",
                 "公交车": "bus", "汽车": "car", "开车": "car", "自驾": "car"},
    PriorityGroup: {
        "零就业家庭": "zero_employment_family", "残疾人": "disabled", "残疾": "disabled",
        "长期失业": "long_term_unemployed", "长期失业人员": "long_term_unemployed",
        "4050": "older_4050", "4050人员": "older_4050", "“4050”人员": "older_4050", "大龄": "older_4050",
        "低保": "low_income", "低保家庭": "low_income", "低保户": "low_income",
        "脱贫人口": "poverty_alleviated", "脱贫户": "poverty_alleviated", "脱贫": "poverty_alleviated",
        "易地搬迁": "relocated", "搬迁群众": "relocated", "易地搬迁群众": "relocated",
        "高校毕业生": "graduate", "未就业高校毕业生": "graduate", "毕业生": "graduate",
        "退役军人": "veteran", "返乡农民工": "migrant_worker", "农民工": "migrant_worker",
    },
    StationKind: {"社区": "community", "村": "village", "行政村": "village", "中心村": "village",
                  "学校": "school", "高校": "school", "安置点": "relocation_site",
                  "易地搬迁安置点": "relocation_site", "产业园": "industrial_park", "园区": "industrial_park",
                  "零工市场": "gig_market"},
    ReferralStatus: {"推荐": "recommended", "已推荐": "recommended", "面试": "interviewing",
                     "面试中": "interviewing", "录用": "hired", "已录用": "hired", "未录用": "rejected",
                     "不录用": "rejected", "撤回": "withdrawn", "已撤回": "withdrawn"},
}


def canonical(enum: type[StrEnum], value):
    """Map an input value (canonical English, any case, or a Chinese alias) to the enum's value.

    Unknown values are returned unchanged so that validation reports them with the allowed set."""
    if value is None or isinstance(value, enum):
        return value
    text = str(value).strip()
    low = text.lower().replace("-", "_").replace(" ", "_")
    if low in enum.__members__:
        return low
    return ALIASES.get(enum, {}).get(text, ALIASES.get(enum, {}).get(low, text))
