"""Per-record cost of the gradebook: one nbgrader Gradebook per record versus one kept open.

``python -m benchmarks.gradebook [--records N]`` (or ``make bench``, which prints the same lines)
records N synthetic two-item results into a fresh SQLite gradebook each way, then into a throwaway
PostgreSQL server (the tests' ``tests/pg_server.py``: a Unix socket only, fsync off) when
PostgreSQL is installed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from nncourse.grading.gradebook import GradebookTarget, ensure_assignment, record_result
from nncourse.grading.gradebook_writer import GradebookWriter
from nncourse.grading.results import SubmissionResult, TestResult

POINTS = {"a": 2.0, "b": 1.0}


def _result(student: str) -> SubmissionResult:
    lines = tuple(
        TestResult(
            name=item,
            number=str(n),
            item=item,
            score=points,
            max_score=points,
            status="passed",
            output="",
        )
        for n, (item, points) in enumerate(POINTS.items(), 1)
    )
    return SubmissionResult(
        student=student,
        assignment="01-toy",
        score=sum(POINTS.values()),
        max_score=sum(POINTS.values()),
        execution_time=1.0,
        status="graded",
        error=None,
        tests=lines,
    )


def per_record_ms(db_url: str, records: int, *, kept_open: bool) -> float:
    """Mean milliseconds per record of ``records`` new students (the assignment set up first)."""
    target = GradebookTarget(db_url=db_url, course_id="bench")
    results = [_result(f"s{index:05d}") for index in range(records)]
    if kept_open:
        with GradebookWriter(target, assignment="01-toy", notebook="toy", points=POINTS) as writer:
            writer.ready.result()
            started = time.perf_counter()
            for result in results:
                writer.record(result)
            return (time.perf_counter() - started) * 1000 / records
    ensure_assignment(db_url, course_id="bench", assignment="01-toy", notebook="toy", points=POINTS)
    started = time.perf_counter()
    for result in results:
        record_result(db_url, course_id="bench", notebook="toy", result=result)
    return (time.perf_counter() - started) * 1000 / records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nncourse-gradebook-bench-") as scratch:
        each = per_record_ms(f"sqlite:///{scratch}/each.db", args.records, kept_open=False)
        kept = per_record_ms(f"sqlite:///{scratch}/kept.db", args.records, kept_open=True)
    print(
        f"  gradebook (SQLite, {args.records} records): {each:.1f} ms per record opening one "
        f"Gradebook each, {kept:.1f} ms with one kept open ({each / kept:.1f}x)",
        flush=True,
    )
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from pg_server import PostgresMissing, ThrowawayPostgres

    try:
        server = ThrowawayPostgres().start()
    except (PostgresMissing, RuntimeError, OSError) as exc:
        print(f"  gradebook (PostgreSQL): not measured ({str(exc).splitlines()[0]})", flush=True)
        return 0
    try:
        each = per_record_ms(server.createdb("each"), args.records, kept_open=False)
        kept = per_record_ms(server.createdb("kept"), args.records, kept_open=True)
    finally:
        server.stop()
    print(
        f"  gradebook (PostgreSQL, fsync off, {args.records} records): {each:.1f} ms per record "
        f"opening one Gradebook each, {kept:.1f} ms with one kept open ({each / kept:.1f}x)",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
