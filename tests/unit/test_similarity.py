"""Similarity of cases (shared/similarity.py): Chinese text by character bigrams, the same
category, the same point or within 500 m."""

from __future__ import annotations

import pytest

from shared.similarity import (
    NEARBY_M,
    Place,
    Profile,
    alike,
    best_matches,
    distance_m,
    normalize,
    score,
    text_similarity,
)

BAIYUN = Place(point_id="baiyun", lat=28.0800, lon=119.1400)
PARKING = "小区东门停车场晚上停满了"


def test_normalize_folds_full_width_and_drops_punctuation_and_spaces() -> None:
    assert normalize("ＡＢＣ， 东门　停车场！１２３") == "abc东门停车场123"


def test_two_phrasings_of_the_same_parking_complaint_are_alike() -> None:
    other = "东门停车场晚上总是停满车！"
    assert text_similarity(PARKING, other) > 0.5
    assert alike(Profile("parking", PARKING, BAIYUN), Profile("parking", other, BAIYUN))


def test_parking_and_street_lights_at_the_same_point_are_not_alike() -> None:
    lights = "东门路灯坏了，晚上很黑"
    assert score(Profile("parking", PARKING, BAIYUN), Profile("parking", lights, BAIYUN)) is None
    charging = "希望在小区里增加电动车充电桩"
    assert not alike(Profile("parking", PARKING, BAIYUN), Profile("parking", charging, BAIYUN))


def test_another_category_is_never_the_same_matter() -> None:
    assert score(Profile("parking", PARKING, BAIYUN), Profile("roads", PARKING, BAIYUN)) is None


def test_the_same_text_far_away_is_not_the_same_matter() -> None:
    far = Place(point_id="hexing", lat=28.0900, lon=119.1400)  # about 1.1 km north
    assert distance_m(28.08, 119.14, 28.09, 119.14) == pytest.approx(1112, rel=0.01)
    assert score(Profile("parking", PARKING, BAIYUN), Profile("parking", PARKING, far)) is None


def test_nearby_without_the_same_point_still_counts_less_the_further_it_is() -> None:
    near = Place(lat=28.0810, lon=119.1400)  # about 111 m
    further = Place(lat=28.0840, lon=119.1400)  # about 445 m
    draft = Profile("parking", PARKING, BAIYUN)
    close, farther = (
        score(draft, Profile("parking", PARKING, near)),
        score(draft, Profile("parking", PARKING, further)),
    )
    assert close is not None and farther is not None and close > farther
    assert distance_m(28.08, 119.14, 28.084, 119.14) < NEARBY_M


def test_different_points_without_locations_are_not_the_same_place() -> None:
    a, b = Place(point_id="baiyun"), Place(point_id="hexing")
    assert score(Profile("parking", PARKING, a), Profile("parking", PARKING, b)) is None
    assert score(Profile("parking", PARKING, a), Profile("parking", PARKING, a)) == 1.0


def test_best_matches_keeps_the_alike_best_first_and_at_most_the_limit() -> None:
    draft = Profile("parking", PARKING, BAIYUN)
    candidates = [
        ("lights", Profile("parking", "东门路灯坏了，晚上很黑", BAIYUN)),
        ("close", Profile("parking", "东门停车场晚上总是停满车", BAIYUN)),
        ("same", Profile("parking", "小区东门停车场晚上停满了。", BAIYUN)),
    ]
    found = best_matches(draft, candidates)
    assert [key for key, _ in found] == ["same", "close"]
    assert best_matches(draft, candidates, limit=1)[0][0] == "same"
