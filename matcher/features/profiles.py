"""What the encoder and the scorers see of a job or a seeker.

* The encoder text: which fields, in what order. The title (or the seeker's wishes) leads and is
  repeated, because e5-style encoders weight early tokens most and titles/wishes carry the
  occupation; skills follow; free text (description, experience) is cut short so boilerplate
  (benefits, company blurbs) does not drown the occupation.
* Occupation codes with a confidence: a job's own ``occupation_code`` (confidence 1.0), else its
  title mapped through the taxonomy; a seeker's wishes each mapped (the wish text is kept so the
  explanation can quote it: "与您想做的电焊工一致").
* Canonical skills: listed skills and certificates plus those found in free text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from matcher.features.text import normalize

_DESC_CHARS = 160
_EXP_CHARS = 100


@dataclass(frozen=True)
class OccupationHit:
    code: str
    confidence: float
    label: str  # the words that produced it (a title or a wish)


@dataclass(frozen=True)
class Profile:
    text: str
    occupations: tuple[OccupationHit, ...]
    skills: frozenset[str]


def _join(values: Any) -> str:
    return "、".join(v for v in (values or []) if v)


def job_text(job: dict[str, Any]) -> str:
    title = normalize(job.get("title") or "")
    parts = [title, title]
    if job.get("skills"):
        parts.append("技能：" + _join(job["skills"]))
    desc = normalize(job.get("description") or "")[:_DESC_CHARS]
    if desc:
        parts.append(desc)
    return "。".join(p for p in parts if p)


def seeker_text(seeker: dict[str, Any]) -> str:
    wishes = _join(seeker.get("desired_occupations"))
    parts = []
    if wishes:
        parts.append(f"想找{wishes}的工作")
        parts.append(wishes)
    skills = _join(list(seeker.get("skills") or []) + list(seeker.get("certificates") or []))
    if skills:
        parts.append("技能：" + skills)
    exp = normalize(seeker.get("experience") or "")[:_EXP_CHARS]
    if exp:
        parts.append(exp)
    return normalize("。".join(parts)) or "求职"


#: The record fields a :class:`Profile` (its text, occupations and skills) is computed from. A change
#: to any other field (wage, position, status, dates...) leaves the profile and the embedding as they
#: are; keep this in step with :class:`Profiler` and ``job_text`` / ``seeker_text``.
PROFILE_FIELDS = {
    "job": ("title", "occupation_code", "description", "skills", "licenses_required"),
    "seeker": ("desired_occupations", "skills", "certificates", "experience"),
}


def profile_key(kind: str, rec: dict[str, Any]) -> int:
    """A 64-bit key of the fields the profile of ``rec`` depends on: equal keys, equal profiles (and
    encoder texts). Cheap (no normalisation); only compared within one process."""
    parts = []
    for name in PROFILE_FIELDS[kind]:
        v = rec.get(name)
        parts.append(tuple(v) if isinstance(v, list | tuple) else v)
    return hash(tuple(parts))


class Profiler:
    """Turns records into :class:`Profile` with one taxonomy and one skill vocabulary."""

    def __init__(self, taxonomy, vocabulary):
        self.taxonomy = taxonomy
        self.vocabulary = vocabulary

    def _skills(self, listed, free_text: str) -> frozenset[str]:
        found = {self.vocabulary.canonical(s) for s in (listed or []) if s}
        if free_text:
            found.update(self.vocabulary.extract(free_text))
        return frozenset(found)

    def job(self, job: dict[str, Any]) -> Profile:
        title = job.get("title") or ""
        code = job.get("occupation_code")
        hits: list[OccupationHit] = []
        if code and self.taxonomy.get(code) is not None:
            hits.append(OccupationHit(code, 1.0, self.taxonomy.name(code)))
        else:
            hits.extend(OccupationHit(c, conf, title) for c, conf in self.taxonomy.match(title, top=2))
            if not hits and job.get("description"):
                desc = str(job["description"])[:_DESC_CHARS]
                hits.extend(OccupationHit(c, conf * 0.6, title) for c, conf in self.taxonomy.match(desc, top=1))
        skills = self._skills(list(job.get("skills") or []) + list(job.get("licenses_required") or []),
                              f"{title} {(job.get('description') or '')[:_DESC_CHARS]}")
        return Profile(job_text(job), tuple(hits), skills)

    def seeker(self, seeker: dict[str, Any]) -> Profile:
        hits: dict[str, OccupationHit] = {}
        for wish in seeker.get("desired_occupations") or []:
            for c, conf in self.taxonomy.match(wish, top=2):
                if c not in hits or hits[c].confidence < conf:
                    # a short wish ("电焊工") is quoted back as written; a sentence ("想找个看大门的活")
                    # is named by its occupation in explanations
                    label = wish if len(wish) <= 6 and "想" not in wish else (self.taxonomy.name(c) or wish)
                    hits[c] = OccupationHit(c, conf, label)
        if not hits and seeker.get("experience"):
            for c, conf in self.taxonomy.match(str(seeker["experience"])[:_EXP_CHARS], top=1):
                hits[c] = OccupationHit(c, conf * 0.6, self.taxonomy.name(c))
        skills = self._skills(list(seeker.get("skills") or []) + list(seeker.get("certificates") or []),
                              str(seeker.get("experience") or "")[:_EXP_CHARS])
        # what a skill implies (a B2 licence covers C1 jobs) counts for filters and overlap
        skills = frozenset(self.vocabulary.expand(skills))
        ordered = sorted(hits.values(), key=lambda h: -h.confidence)[:4]
        return Profile(seeker_text(seeker), tuple(ordered), skills)
