"""Pairwise similarity of students' documents with copydetect (winnowed fingerprints, as MOSS).

copydetect tokenises each text with Pygments (names become ``V``/``F``/``O``, strings ``S``,
comments and whitespace go; nothing is run), fingerprints it and removes the boilerplate (the
release notebook's code), so stubs and given helpers never match. Its figures for a pair are the
matching code's length (the union of the shared k-grams) over each side's fingerprinted code;
:func:`similarities` computes exactly those for every pair at once with numpy (calling
``copydetect.compare_files`` 125,000 times for 500 students would take minutes), and
:meth:`Cohort.slices` asks copydetect itself for the regions shown side by side.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from copydetect import CodeFingerprint, compare_files

from nncourse.similarity.extract import Document

LANGUAGE = "python"


@dataclass(frozen=True)
class Match:
    """Two documents that share code.

    ``similarity_a``: share of a's fingerprinted code found in b; ``similarity_b`` the other way;
    ``overlap``: length of the matching code on a's side, in copydetect's tokenised characters.
    """

    a: Document
    b: Document
    similarity_a: float
    similarity_b: float
    overlap: int
    items: tuple[str, ...]

    @property
    def similarity(self) -> float:
        """The pair's rank: the larger direction (one student's code found in the other's)."""
        return max(self.similarity_a, self.similarity_b)


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


def _raw_offsets(print_: CodeFingerprint, positions: np.ndarray) -> np.ndarray:
    """Positions in the tokenised text -> positions in the text (copydetect's own mapping)."""
    offsets = print_.offsets
    if len(offsets) == 0:
        return positions
    at = np.clip(np.searchsorted(offsets[:, 0], positions), 0, offsets.shape[0] - 1)
    return positions + offsets[:, 1][at]


class Cohort:
    """The fingerprints of a cohort's documents, the given code removed."""

    def __init__(self, documents: list[Document], *, given: str, k: int, window: int) -> None:
        empty = np.array([], dtype=np.int64)
        given_hashes = _fingerprint(given, k=k, window=1, boilerplate=empty).hashes
        boilerplate = np.unique(np.array(sorted(given_hashes), dtype=np.int64))
        self.documents, self.k = documents, k
        self.prints = [
            _fingerprint(d.text, k=k, window=window, boilerplate=boilerplate) for d in documents
        ]

    def slices(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """copydetect's matching (start, end) ranges in the texts of documents ``a`` and ``b``."""
        _, _, (slices_a, slices_b) = compare_files(self.prints[a], self.prints[b])
        return slices_a, slices_b


def _positions(cohort: Cohort) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """Per document its fingerprint positions (sorted) with each one's hash id, and which
    documents hold each hash id (a dense boolean matrix: hashes held by one document only share
    id 0, which nobody holds, so the matrix stays as small as what is shared)."""
    holders: dict[int, list[int]] = {}
    for index, print_ in enumerate(cohort.prints):
        for value in print_.hash_idx:
            holders.setdefault(value, []).append(index)
    ids = {value: n + 1 for n, value in enumerate(v for v, who in holders.items() if len(who) > 1)}
    holds = np.zeros((len(cohort.prints), len(ids) + 1), dtype=bool)
    for value, column in ids.items():
        holds[holders[value], column] = True
    found = []
    for print_ in cohort.prints:
        pairs = sorted((p, ids.get(h, 0)) for h, at in print_.hash_idx.items() for p in at)
        array = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        found.append((array[:, 0], array[:, 1]))
    return found, holds


def _parts_of(document: Document, print_: CodeFingerprint, positions: np.ndarray) -> np.ndarray:
    """The part (graded item or own cells) index of each fingerprint position."""
    starts = np.array([p.start for p in document.parts], dtype=np.int64)
    raw = _raw_offsets(print_, positions)
    return np.clip(np.searchsorted(starts, raw, side="right") - 1, 0, max(len(starts) - 1, 0))


def _overlaps(pos: np.ndarray, shared: np.ndarray, k: int) -> np.ndarray:
    """Per row of ``shared`` (which of the sorted positions ``pos`` it shares): the length of the
    union of those k-grams [p, p + k), as copydetect's ``get_copied_slices`` measures it."""
    beyond = pos[-1] + k + 1
    chosen = np.where(shared, pos, beyond)
    following = np.empty_like(chosen)
    following[:, -1] = beyond
    # next chosen position after each one: a running minimum from the right
    following[:, :-1] = np.minimum.accumulate(chosen[:, :0:-1], axis=1)[:, ::-1]
    return np.where(shared, np.minimum(following - pos, k), 0).sum(axis=1)


def similarities(cohort: Cohort) -> list[Match]:
    """Every pair of documents that shares code, most similar first (copydetect's figures)."""
    positions, holds = _positions(cohort)
    n = len(cohort.documents)
    overlap = np.zeros((n, n), dtype=np.int64)
    involved = np.zeros((n, n), dtype=np.int64)  # [i, j]: bit q set when i's part q matches j
    for i, (pos, ids) in enumerate(positions):
        keep = ids > 0  # positions whose k-gram some other document holds too
        pos, ids = pos[keep].astype(np.int32), ids[keep]
        if not len(pos):
            continue
        shared = holds[:, ids]  # [j, t]: document j holds the k-gram at pos[t] (a copy)
        shared[i] = False
        rows = np.nonzero(shared.any(axis=1))[0]
        shared = shared[rows]
        overlap[i, rows] = _overlaps(pos, shared, cohort.k)
        parts = _parts_of(cohort.documents[i], cohort.prints[i], pos)
        for q in np.unique(parts):
            involved[i, rows] |= shared[:, parts == q].any(axis=1).astype(np.int64) << int(q)
    coverage = np.array([max(p.token_coverage, 1) for p in cohort.prints], dtype=float)
    names = [[p.name for p in d.parts] for d in cohort.documents]

    def items(i: int, bits: int) -> list[str]:
        return [name for q, name in enumerate(names[i]) if bits >> q & 1]

    matches = []
    for i, j in zip(*np.nonzero(np.triu(overlap, 1)), strict=True):
        found = items(i, int(involved[i, j])) + items(j, int(involved[j, i]))
        matches.append(
            Match(
                cohort.documents[i],
                cohort.documents[j],
                float(overlap[i, j] / coverage[i]),
                float(overlap[j, i] / coverage[j]),
                int(overlap[i, j]),
                tuple(dict.fromkeys(found)),
            )
        )
    matches.sort(key=lambda m: (-m.similarity, -m.overlap, m.a.student, m.b.student))
    return matches
