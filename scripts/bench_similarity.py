"""The similarity part of `make bench`: how long `nncourse similarity` takes for a large cohort.

Generates N notebooks of one assignment (default 500 of 02-backpropagation): each graded item is
the instructor's solution or one of the catalog's correct solutions or mistakes
(``tests/catalog/``), half of them disguised (names, order, layout, comments:
``tests/catalog/disguise.py``); one student in ten hands in the untouched release notebook, one in
five adds cells of their own. Then times the whole review (read, normalise, fingerprint, compare,
write CSV and pages) and prints ``similarity_s=<seconds> notebooks=<N>``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO)]

OWN = (
    "def moving_average(values, width=5):\n    out = []\n    for i in range(len(values)):\n"
    "        window = values[max(0, i - width + 1): i + 1]\n        out.append(sum(window) / len(window))\n"
    "    return out\n",
    "import numpy as np\n\ndef check_gradient(f, x, h=1e-6):\n    grads = np.zeros_like(x)\n"
    "    for i in range(x.size):\n        step = np.zeros_like(x)\n        step.flat[i] = h\n"
    "        grads.flat[i] = (f(x + step) - f(x - step)) / (2 * h)\n    return grads\n",
    "print('done')\n",
)


def build(assignment: str, n: int, folder: Path, seed: int = 19) -> None:
    """``folder/<student>/<assignment>/<notebook>``: n generated submissions."""
    import importlib.util

    from catalog.disguise import disguise, paste, solution_sources

    from nncourse.layout import CourseLayout

    layout = CourseLayout(REPO)
    number, name = assignment.split("-", 1)
    path = REPO / "tests" / "catalog" / f"{number}_{name.replace('-', '_')}.py"
    spec = importlib.util.spec_from_file_location(f"bench_catalog_{number}", path)
    catalog = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(catalog)
    solutions = solution_sources(layout.source_notebook(assignment))
    choices = {
        item: [source] + [e["source"] for e in catalog.ENTRIES if e["item"] == item]
        for item, source in solutions.items()
    }
    rng = random.Random(seed)
    for index in range(n):
        target = folder / f"s{index:04d}" / assignment / layout.notebook_name(assignment)
        if index % 10 == 9:
            paste(layout.release_notebook(assignment), {}, target)
            continue
        answers = {}
        for item, options in choices.items():
            source = rng.choice(options)
            answers[item] = disguise(source, rng) if rng.random() < 0.5 else source
        extra = tuple(rng.sample(OWN, 2)) if index % 5 == 0 else ()
        paste(layout.release_notebook(assignment), answers, target, extra)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", "-n", type=int, default=500)
    parser.add_argument("--assignment", "-a", default="02-backpropagation")
    args = parser.parse_args(argv)

    from nncourse.layout import CourseLayout
    from nncourse.similarity.review import review_similarity

    work = Path(tempfile.mkdtemp(prefix="nncourse-similarity-"))
    try:
        started = time.monotonic()
        build(args.assignment, args.notebooks, work / "submitted")
        made = time.monotonic() - started
        started, cpu = time.monotonic(), time.process_time()
        review = review_similarity(
            work / "out",
            submitted=work / "submitted",
            layout=CourseLayout(REPO),
            assignment=args.assignment,
        )
        seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    finally:
        shutil.rmtree(work, ignore_errors=True)
    left = ", ".join(f"{len(v)} {k}" for k, v in review.left_out.items() if v) or "none"
    print(
        f"  {args.notebooks} generated notebooks of {args.assignment} (made in {made:.1f} s): "
        f"{review.compared} compared, left out {left}; {review.pairs_sharing_code} pairs share code, "
        f"{len(review.pairs)} shown above {review.threshold:g}"
    )
    print(
        f"  compared in {seconds:.1f} s wall ({cpu:.1f} s CPU), load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    print(f"similarity_s={seconds:.1f} notebooks={args.notebooks}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
