"""Pairwise similarity of students' documents with copydetect (winnowed fingerprints, as MOSS).

copydetect tokenises each text with Pygments (names become ``V``/``F``/``O``, strings ``S``,
comments and whitespace go) and never runs it. The release notebook's code is boilerplate: its
fingerprints are removed from every document, so stubs and given helpers never match.
"""

from __future__ import annotations

import io
import itertools
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from copydetect import CodeFingerprint, compare_files

from nncourse.similarity.extract import Document

LANGUAGE = "python"


@dataclass(frozen=True)
class Match:
    """Two documents that share fingerprints.

    ``similarity_a``: share of a's fingerprinted code found in b; ``similarity_b`` the other way.
    ``slices_a``/``slices_b``: the matching (start, end) character ranges in each text.
    """

    a: Document
    b: Document
    similarity_a: float
    similarity_b: float
    overlap: int
    slices_a: tuple[tuple[int, int], ...]
    slices_b: tuple[tuple[int, int], ...]

    @property
    def similarity(self) -> float:
        """The pair's rank: the larger direction (one student's code found in the other's)."""
        return max(self.similarity_a, self.similarity_b)

    @property
    def items(self) -> list[str]:
        """The parts (graded items, own cells) where the two match, in a's order then b's."""
        found = self.a.parts_in(list(self.slices_a)) + self.b.parts_in(list(self.slices_b))
        return list(dict.fromkeys(found))


def _fingerprint(text: str, *, k: int, window: int, boilerplate: np.ndarray) -> CodeFingerprint:
    return CodeFingerprint(
        "submission.py",
        k,
        window,
        boilerplate,
        filter=True,
        language=LANGUAGE,
        fp=io.StringIO(text),
    )


def boilerplate_hashes(given: str, *, k: int) -> np.ndarray:
    """Every k-gram hash of the given code (window 1: all of them, as copydetect does)."""
    return np.unique(
        np.array(list(_fingerprint(given, k=k, window=1, boilerplate=np.array([])).hashes))
    )


def _slices(array: np.ndarray) -> tuple[tuple[int, int], ...]:
    if array.size == 0:
        return ()
    return tuple((int(s), int(e)) for s, e in zip(array[0], array[1], strict=True))


def compare_all(documents: list[Document], *, given: str, k: int, window: int) -> list[Match]:
    """Every pair of documents that shares at least one fingerprint, most similar first.

    Pairs without a shared fingerprint are never compared in detail (an index from fingerprint to
    documents finds the candidates), which keeps a cohort of hundreds well under a minute.
    """
    boilerplate = boilerplate_hashes(given, k=k)
    prints = [_fingerprint(d.text, k=k, window=window, boilerplate=boilerplate) for d in documents]
    holders: dict[int, list[int]] = defaultdict(list)
    for index, fingerprint in enumerate(prints):
        for value in fingerprint.hashes:
            holders[value].append(index)
    candidates = {pair for group in holders.values() for pair in itertools.combinations(group, 2)}
    matches = []
    for i, j in sorted(candidates):
        overlap, (sim_i, sim_j), (slices_i, slices_j) = compare_files(prints[i], prints[j])
        if overlap:
            matches.append(
                Match(
                    documents[i],
                    documents[j],
                    float(sim_i),
                    float(sim_j),
                    int(overlap),
                    _slices(slices_i),
                    _slices(slices_j),
                )
            )
    matches.sort(key=lambda m: (-m.similarity, -m.overlap, m.a.student, m.b.student))
    return matches
