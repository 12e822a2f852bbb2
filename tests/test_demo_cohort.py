"""The demo cohort (`make demo`) is a fair picture: its students wrote their code independently, so
the one disguised copy in it is the pair the similarity review lists first."""

from __future__ import annotations

import importlib.util

from conftest import REPO

from nncourse.similarity.review import review_similarity


def _demo():
    spec = importlib.util.spec_from_file_location("demo_script", REPO / "scripts" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_disguised_copy_is_the_top_pair_of_every_assignment(course, tmp_path):
    demo = _demo()
    submitted = tmp_path / "submitted"
    assert demo.build_cohort(course, submitted) == list(demo.STUDENTS)
    for assignment in course.assignments():
        review = review_similarity(
            tmp_path / "out" / assignment,
            submitted=submitted,
            layout=course,
            assignment=assignment,
        )
        top = review.pairs[0]
        assert {top.a, top.b} == {"disguised-copy", "typical-mistake"}, (assignment, review.pairs)
        assert min(top.similarity_a, top.similarity_b) > 0.95, (assignment, top)
        assert review.left_out["stub"] == ["stub"], assignment
        # independent work may contain a short answer of another student's whole (05 has few
        # variants), but no other pair shares most of both notebooks
        others = [p for p in review.pairs[1:] if "disguised-copy" not in (p.a, p.b)]
        assert all(min(p.similarity_a, p.similarity_b) < 0.8 for p in others), (assignment, others)
