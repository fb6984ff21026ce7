"""The one match result shape used everywhere: library, CLI (``--json``) and API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Match(BaseModel):
    """A ranked match: ``id`` of the matched record, ``score``, ``breakdown`` and ``reasons``.

    ``summary`` carries what a person needs to read the match (a job's title, employer and wage;
    a candidate's masked name, age and wishes). It never holds ID numbers, phones or exact
    addresses of seekers."""

    id: str
    score: float
    breakdown: dict[str, Any]
    reasons: list[str]
    summary: dict[str, Any] = Field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:  # dict-style access, as the contract allows
        return getattr(self, key)

    def keys(self):
        return type(self).model_fields.keys()


def mask_name(name: str | None) -> str | None:
    """王小明 -> 王**; names are shown to employers only as a surname."""
    if not name:
        return None
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str | None) -> str | None:
    return None if not phone else phone[:3] + "****" + phone[-4:]


def mask_id_number(id_number: str | None) -> str | None:
    return None if not id_number else id_number[:6] + "********" + id_number[-4:]


def job_summary(job: dict[str, Any]) -> dict[str, Any]:
    keys = ("title", "employer_name", "wage_min", "wage_max", "employment_type", "address", "region_code",
            "headcount", "expires_at", "occupation_code", "lat", "lng")  # a job's place is public: the console draws it
    return {k: job.get(k) for k in keys}


def candidate_summary(seeker: dict[str, Any], age: int | None) -> dict[str, Any]:
    """What an employer may see before a referral with consent: no ID number, phone or address."""
    return {
        "name": mask_name(seeker.get("name")),
        "gender": seeker.get("gender"),
        "age": age,
        "education": seeker.get("education"),
        "desired_occupations": seeker.get("desired_occupations") or [],
        "skills": seeker.get("skills") or [],
        "certificates": seeker.get("certificates") or [],
        "region_code": seeker.get("region_code"),
        "station_id": seeker.get("station_id"),
        # Which assistance group a person belongs to is sensitive: employers see only that
        # the candidate was prioritised (in the reasons), never the group.
    }
