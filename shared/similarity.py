"""How alike two cases are: the text, the category and the place. Pure.

Intake suggests open cases like a resident's draft, and routing shows staff the candidate
duplicates of a case: both read this one function, so a resident and the station see the same
cases as "the same matter".

Chinese is written without spaces, so words are not split out: the text is compared by its
character bigrams (Dice coefficient), after NFKC folds full-width forms to half-width and
punctuation and whitespace are dropped. Bigrams catch "东门停车场" in two phrasings without a
dictionary; a single shared character ("晚上" in any two complaints) weighs little.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Final, TypeVar

NEARBY_M: Final = 500.0
"""Two places at most this far apart are the same neighbourhood."""
TEXT_THRESHOLD: Final = 0.3
"""The least text similarity (bigram Dice) at which two texts may be the same matter."""
SCORE_THRESHOLD: Final = 0.45
"""The least overall score of a suggestion or a candidate duplicate."""
TEXT_WEIGHT: Final = 0.7
PLACE_WEIGHT: Final = 0.3
EARTH_RADIUS_M: Final = 6_371_000.0

K = TypeVar("K")


@dataclass(frozen=True)
class Place:
    """Where a case is: its liaison point and its location, either possibly unknown."""

    point_id: str | None = None
    lat: float | None = None
    lon: float | None = None

    @property
    def located(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class Profile:
    """What similarity reads of a case or a draft."""

    category: str
    text: str
    place: Place = Place()


def normalize(text: str) -> str:
    """Full-width to half-width (NFKC), lower case, without punctuation, symbols or spaces."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in folded if unicodedata.category(c)[0] in ("L", "N"))


def bigrams(text: str) -> frozenset[str]:
    """The character bigrams of the normalised text (the text itself when one character)."""
    clean = normalize(text)
    if len(clean) < 2:
        return frozenset({clean}) if clean else frozenset()
    return frozenset(clean[i : i + 2] for i in range(len(clean) - 1))


def text_similarity(a: str, b: str) -> float:
    """Dice coefficient of the two texts' bigrams: 1.0 same, 0.0 nothing in common."""
    left, right = bigrams(a), bigrams(b)
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def place_closeness(a: Place, b: Place) -> float | None:
    """1.0 at the same point or the same spot, falling to 0.0 at `NEARBY_M`; None when too far
    apart (or at different points with no locations to compare); 0.0 when either place is
    unknown (the callers already keep to one station)."""
    if a.located and b.located:
        d = distance_m(a.lat or 0.0, a.lon or 0.0, b.lat or 0.0, b.lon or 0.0)
        if d <= NEARBY_M:
            return max(1.0 if a.point_id and a.point_id == b.point_id else 0.0, 1.0 - d / NEARBY_M)
        return None
    if a.point_id and b.point_id:
        return 1.0 if a.point_id == b.point_id else None
    return 0.0


def score(a: Profile, b: Profile) -> float | None:
    """How likely `a` and `b` are the same matter, in [0, 1]; None when they cannot be (another
    category, another place, too little text in common)."""
    if a.category != b.category:
        return None
    place = place_closeness(a.place, b.place)
    if place is None:
        return None
    text = text_similarity(a.text, b.text)
    if text < TEXT_THRESHOLD:
        return None
    return TEXT_WEIGHT * text + PLACE_WEIGHT * place


def alike(a: Profile, b: Profile) -> bool:
    found = score(a, b)
    return found is not None and found >= SCORE_THRESHOLD


def best_matches(
    draft: Profile, candidates: list[tuple[K, Profile]], *, limit: int = 5
) -> list[tuple[K, float]]:
    """The candidates alike to `draft`, best first (ties keep the candidates' order), at most
    `limit`."""
    scored = [(key, score(draft, profile)) for key, profile in candidates]
    kept = [(key, s) for key, s in scored if s is not None and s >= SCORE_THRESHOLD]
    kept.sort(key=lambda pair: -pair[1])
    return kept[:limit]
