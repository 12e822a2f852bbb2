"""Side-by-side pages of similar pairs, the matching regions highlighted by copydetect.

copydetect's ``highlight_overlap`` escapes every piece of the students' text (markupsafe) before it
wraps the matching ones in ``<mark>``; only that result is passed to the template as markup.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from copydetect.utils import highlight_overlap
from markupsafe import Markup

from nncourse.similarity.compare import Cohort, Match
from nncourse.templating import render

_PAGE = re.compile(r"^\d+\.html$")


def highlighted(text: str, slices: np.ndarray) -> Markup:
    """``text`` escaped for HTML, each (start, end) range of ``slices`` (2 x N) in ``<mark>``."""
    if slices.size == 0:
        return Markup.escape(text)
    marked, _ = highlight_overlap(text, slices, "<mark>", "</mark>", escape_html=True)
    return Markup(marked)


def write_pair_pages(
    folder: Path, cohort: Cohort, matches: list[Match], *, assignment: str
) -> list[str]:
    """Write ``<rank>.html`` for each match (rank from 1); pages of an earlier run are removed.

    Returns:
        The file names, in the order of ``matches``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if _PAGE.match(old.name) and old.is_file() and not old.is_symlink():
            old.unlink()
    index = {d.student: i for i, d in enumerate(cohort.documents)}
    names = []
    for rank, match in enumerate(matches, 1):
        slices_a, slices_b = cohort.slices(index[match.a.student], index[match.b.student])
        name = f"{rank:03d}.html"
        page = render(
            "similar_pair.html",
            title=f"Similar: {match.a.student} and {match.b.student}",
            assignment=assignment,
            rank=rank,
            match=match,
            code_a=highlighted(match.a.text, slices_a),
            code_b=highlighted(match.b.text, slices_b),
        )
        (folder / name).write_text(page, encoding="utf-8")
        names.append(name)
    return names
