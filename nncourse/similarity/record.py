"""The similarity review as plain data: ``OUT/report/similarity.json``, read by the report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

DATA = "report/similarity.json"


@dataclass(frozen=True)
class Pair:
    """A pair shown in the report (plain data, as similarity.json holds it)."""

    rank: int
    a: str
    b: str
    similarity_a: float
    similarity_b: float
    tokens: int
    items: list[str]
    page: str  # relative to OUT


@dataclass(frozen=True)
class SimilarityReview:
    """What report.html's "Similar submissions" section shows."""

    assignment: str
    submitted: str
    generated: str
    compared: int
    left_out: dict[str, list[str]]  # reason -> students (stub, empty, unreadable, no notebook)
    pairs_sharing_code: int
    threshold: float
    min_tokens: int
    pairs: list[Pair] = field(default_factory=list)
    seconds: float = 0.0

    @classmethod
    def from_json(cls, data: dict) -> SimilarityReview:
        pairs = [Pair(**pair) for pair in data.get("pairs", [])]
        return cls(**{**data, "pairs": pairs})


def load_review_any(out: Path) -> SimilarityReview | None:
    """The last review written in OUT, or None (none yet, or unreadable)."""
    try:
        return SimilarityReview.from_json(json.loads((out / DATA).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def load_review(out: Path, assignment: str) -> SimilarityReview | None:
    """The last review written in OUT for ``assignment``, or None."""
    review = load_review_any(out)
    return review if review is not None and review.assignment == assignment else None
