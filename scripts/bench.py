"""`make bench`: how fast `nncourse grade --jobs 2` grades, against stock `nbgrader autograde`, same machine, same run.

1. Times the release of every assignment (`nncourse release --check`: nbgrader's generate_assignment
   plus each solution notebook executed, in a temporary folder; nothing in the repository changes).
2. Builds a cohort of N submissions per assignment that has hidden tests in ``autograders/<id>/``
   (:mod:`benchmarks.cohort`: 60 % correct, 30 % stubbed or buggy items, 10 % slow).
3. Grades it with ``nncourse grade --jobs 2`` (the CLI, one run per assignment, a temporary OUT and
   SQLite gradebook). Per-notebook wall = ``execution_time`` of each ``results.json``.
4. Grades the first K students of each assignment with stock ``nbgrader autograde`` (serial, as
   nbgrader does) in a temporary nbgrader course whose grade cells run the same hidden test files
   inside the kernel (:mod:`benchmarks.stock`, :mod:`benchmarks.kernel_shim`). Per-notebook
   wall = the interval between students in nbgrader's timestamped log.
5. Problem notebooks (:func:`benchmarks.cohort.build_problems`, about 5 % of the cohort: one
   graded function or method loops forever or crashes the interpreter) are graded apart, by both
   graders (nbgrader: the first of each kind, with its own cell timeout), so the lines above stay
   comparable; their wall time is reported per kind, and one more ratio line includes them (each
   grader's cohort wall plus its per-notebook time for every problem notebook, nbgrader's
   extrapolated per kind from the ones it graded).
6. Times the similarity review of 500 generated notebooks (``scripts/bench_similarity.py``), the
   gradebook's cost per record with one nbgrader Gradebook per record and with one kept open
   (:mod:`benchmarks.gradebook`), and, right after step 3, the same cohort on a two-worker Dask
   cluster on 127.0.0.1 versus ``--jobs 2`` (:mod:`benchmarks.cluster`, ``cluster_overhead=``).
7. Prints medians, p95, throughput and their ratio; the last line is
   ``speedup_vs_nbgrader=<ratio> median_s=<our per-notebook median>``.

Throughput is notebooks per minute of end-to-end wall time (CLI start-up, slot start and report
included for us). nbgrader's figure is extrapolated from its subset to the full cohort: its start-up
once per assignment plus N times its mean per-notebook time (this favours nbgrader: its subset has
no slow student, and start-up is spread over N notebooks).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BENCH_SECRET = (
    "nncourse-bench-secret"  # fixed: the run never creates .nncourse-secret in the course
)


def log(line: str = "") -> None:
    print(line, flush=True)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def fmt(value: float, digits: int = 2) -> str:
    return "n/a" if value != value else f"{value:.{digits}f}"


def loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


# ----------------------------------------------------------------------------------------- steps
def benchmarkable(layout) -> tuple[list[str], list[str]]:
    """Assignments with hidden tests and a released notebook; notes for the others."""
    ready, notes = [], []
    for assignment in layout.assignments():
        tests = sorted(layout.autograder_dir(assignment).glob("test_*.py"))
        if not tests:
            notes.append(f"{assignment}: skipped, no hidden tests in autograders/{assignment}/ yet")
        elif not layout.release_notebook(assignment).is_file():
            notes.append(
                f"{assignment}: skipped, no student version in release/{assignment}/ (run 'make release')"
            )
        else:
            ready.append(assignment)
    return ready, notes


def time_release(layout, env: dict) -> tuple[float, dict[str, float], list[str]]:
    """`nncourse release --check` in the course: total wall, each solution's run time, its problems."""
    started = time.monotonic()
    done = subprocess.run(
        [str(layout.venv / "bin" / "nncourse"), "release", "--check"],
        cwd=layout.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - started
    solutions = {
        m.group(1): float(m.group(2))
        for m in re.finditer(
            r"^(\S+): solution notebook runs in ([\d.]+) s$", done.stdout, re.MULTILINE
        )
    }
    problems = [
        line.removeprefix("FAIL ") for line in done.stderr.splitlines() if line.startswith("FAIL ")
    ]
    if done.returncode != 0 and not problems:
        problems.append(f"release --check exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return wall, solutions, problems


def grade_ours(
    layout,
    assignment: str,
    submitted: Path,
    out: Path,
    db: Path,
    jobs: int,
    env: dict,
    options: tuple[str, ...] = (),
) -> dict:
    """`nncourse grade --jobs J` (or with ``options`` instead) for one assignment; per-notebook
    times from results.json."""
    started = time.monotonic()
    done = subprocess.run(
        [
            str(layout.venv / "bin" / "nncourse"),
            "grade",
            str(submitted),
            "--assignment",
            assignment,
            "--out",
            str(out),
            *(options or ("--jobs", str(jobs))),
            "--db",
            f"sqlite:///{db}",
        ],
        cwd=layout.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"nncourse grade {assignment} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    results = {}
    for path in sorted(out.glob(f"*/{assignment}/results.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        results[data["student"]] = data
    batch = re.search(r"in ([\d.]+) s ->", done.stdout)
    return {
        "wall": wall,
        "batch": float(batch.group(1)) if batch else float("nan"),
        "results": results,
    }


# ------------------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--per-assignment", "-n", type=int, default=20, help="submissions per assignment (ours)"
    )
    parser.add_argument(
        "--nbgrader-per-assignment",
        "-k",
        type=int,
        default=5,
        help="of those, how many stock nbgrader grades (the first K; 0 = skip nbgrader)",
    )
    parser.add_argument(
        "--problems",
        type=int,
        default=None,
        help="problem notebooks per assignment, graded apart "
        "(default: 1 per 20 submissions, at least 1; 0 = none)",
    )
    parser.add_argument(
        "--nbgrader-problems",
        type=int,
        default=1,
        help="of those, how many of each kind stock nbgrader grades (0 = none)",
    )
    parser.add_argument("--jobs", "-j", type=int, default=2)
    parser.add_argument(
        "--assignments", nargs="*", help="default: every assignment with hidden tests"
    )
    parser.add_argument("--no-release", action="store_true", help="skip timing the release")
    parser.add_argument(
        "--course", type=Path, default=REPO, help="course checkout (default: this repository)"
    )
    parser.add_argument(
        "--similarity-notebooks",
        type=int,
        default=500,
        help="notebooks for the similarity review's timing (0 = skip)",
    )
    parser.add_argument(
        "--keep", type=Path, help="keep the cohort, outputs and nbgrader course in this folder"
    )
    args = parser.parse_args(argv)

    from benchmarks import cohort
    from benchmarks.stock import StockCourse
    from nncourse.layout import CourseLayout

    layout = CourseLayout(args.course.resolve())
    env = dict(os.environ)
    env.setdefault("NNCOURSE_SECRET", BENCH_SECRET)
    env["PATH"] = str(layout.venv / "bin") + os.pathsep + env.get("PATH", "")
    os.environ["NNCOURSE_SECRET"] = env["NNCOURSE_SECRET"]
    bench_started = time.monotonic()

    log(
        f"== nncourse bench: {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {loadavg()}"
    )
    ready, notes = benchmarkable(layout)
    if args.assignments:
        unknown = sorted(set(args.assignments) - set(layout.assignments()))
        if unknown:
            log(f"unknown assignments: {', '.join(unknown)}")
            return 2
        notes += [
            f"{a}: skipped (not in --assignments)" for a in ready if a not in args.assignments
        ]
        ready = [a for a in ready if a in args.assignments]
    for note in notes:
        log(f"note: {note}")
    if not ready:
        log("nothing to benchmark: no assignment has hidden tests in autograders/<id>/")
        log("speedup_vs_nbgrader=nan median_s=nan")
        return 1
    n, k = args.per_assignment, min(args.nbgrader_per_assignment, args.per_assignment)
    log(
        f"assignments: {', '.join(ready)}; {n} submissions each (ours, {args.jobs} jobs), "
        f"first {k} of each also with stock nbgrader"
    )

    work = (
        Path(tempfile.mkdtemp(prefix="nncourse-bench-"))
        if args.keep is None
        else args.keep.resolve()
    )
    if args.keep is not None:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    try:
        # ---------------------------------------------------------------------------- release
        release_wall, solutions, release_problems = (float("nan"), {}, [])
        if not args.no_release:
            log(
                "\n== release: nncourse release --check (generate_assignment + every solution executed, in a temp folder)"
            )
            release_wall, solutions, release_problems = time_release(layout, env)
            for assignment, seconds in solutions.items():
                log(f"  {assignment:<22} solution notebook runs in {seconds:6.1f} s")
            log(
                f"  all {len(layout.assignments())} assignments released (and checked) in {release_wall:.1f} s"
            )
            for problem in release_problems:
                log(f"  note (drift check): {problem[:300]}")

        # ----------------------------------------------------------------------------- cohort
        submitted = work / "submitted"
        students: dict[str, list] = {}
        for assignment in ready:
            students[assignment], cohort_notes = cohort.build(layout, assignment, n, submitted)
            for note in cohort_notes:
                log(f"note: {note}")
        kinds = {}
        for group in students.values():
            for s in group:
                kinds[s.kind] = kinds.get(s.kind, 0) + 1
        log(
            f"\n== cohort: {sum(len(g) for g in students.values())} notebooks in {submitted} "
            f"({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))})"
        )
        per_assignment = max(1, n // 20) if args.problems is None else args.problems
        problems = {
            a: cohort.build_problems(layout, a, per_assignment, work / "problems") for a in ready
        }
        problems = {a: group for a, group in problems.items() if group}
        if problems:
            log(
                "   problem notebooks, graded apart: "
                + "; ".join(f"{a} {len(g)} x {g[0].detail}" for a, g in problems.items())
            )

        # ------------------------------------------------------------------------------- ours
        log(f"\n== nncourse grade --jobs {args.jobs}")
        ours: dict[str, dict] = {}
        (work / "ours").mkdir(parents=True, exist_ok=True)
        for assignment in ready:
            ours[assignment] = grade_ours(
                layout,
                assignment,
                submitted,
                work / "ours" / assignment,
                work / "ours" / "gradebook.db",
                args.jobs,
                env,
            )
            times = [r["execution_time"] for r in ours[assignment]["results"].values()]
            errors = [s for s, r in ours[assignment]["results"].items() if r["status"] != "graded"]
            log(
                f"  {assignment:<22} {len(times)} notebooks in {ours[assignment]['wall']:6.1f} s wall "
                f"(batch {fmt(ours[assignment]['batch'], 1)} s); per notebook median {fmt(statistics.median(times))} s, "
                f"p95 {fmt(percentile(times, 95))} s"
                + (f"; NOT GRADED: {', '.join(errors)}" if errors else "")
            )
            log(f"  {'':<22} load average {loadavg()}")

        log("\n== the same cohort on a two-worker Dask cluster (127.0.0.1) vs --jobs 2")
        from benchmarks import cluster as cluster_bench

        cluster_bench.compare(layout, ready, submitted, work, env, ours, grade_ours)

        ours_problems: dict[str, dict] = {}
        for assignment in problems:
            ours_problems[assignment] = run = grade_ours(
                layout,
                assignment,
                work / "problems",
                work / "ours-problems" / assignment,
                work / "ours-problems" / "gradebook.db",
                args.jobs,
                env,
            )
            scores = ", ".join(
                f"{name} {r['execution_time']:.1f} s, {r['score']:g}/{r['max_score']:g}"
                for name, r in run["results"].items()
            )
            log(
                f"  {assignment:<22} {len(run['results'])} problem notebook(s) in "
                f"{run['wall']:6.1f} s wall: {scores}"
            )

        # ---------------------------------------------------------------------------- nbgrader
        stock_runs, generate_times, stock_problems = {}, {}, []
        if k > 0:
            log(f"\n== stock nbgrader autograde (serial), first {k} students per assignment")
            course = StockCourse(layout, work / "nbgrader")
            for assignment in ready:
                generate_times[assignment] = course.generate(assignment)
                subset = students[assignment][:k]
                cohort.copy_subset(submitted, assignment, subset, course.root / "submitted")
                run = course.autograde(assignment, [s.name for s in subset])
                stock_runs[assignment] = run
                per = list(run.per_notebook.values())
                log(
                    f"  {assignment:<22} {len(per)} notebooks in {run.wall:6.1f} s wall; per notebook median "
                    f"{fmt(statistics.median(per) if per else float('nan'))} s; generate_assignment "
                    f"{generate_times[assignment]:.1f} s"
                    + (f"; exit {run.returncode}" if run.returncode else "")
                )
                log(f"  {'':<22} load average {loadavg()}")
                if run.returncode or len(per) < len(subset):
                    log(
                        "  nbgrader log (tail):\n"
                        + "\n".join("    " + line for line in run.log_tail.splitlines()[-15:])
                    )
            for assignment, student in first_of_each_kind(problems, args.nbgrader_problems):
                copy = course.root / "submitted"
                cohort.copy_subset(work / "problems", assignment, [student], copy)
                run = course.autograde(assignment, [student.name], student_glob=student.name)
                stock_problems.append((student, run))
                log(
                    f"  {assignment:<22} problem notebook {student.name}: "
                    f"{fmt(run.per_notebook.get(student.name, float('nan')), 1)} s, score "
                    f"{run.scores.get(student.name, 'none')} ({run.wall:.1f} s wall)"
                    + (f"; exit {run.returncode}" if run.returncode else "")
                )
        report_problems(problems, ours_problems, stock_problems)
        if args.similarity_notebooks:
            log(f"\n== nncourse similarity: {args.similarity_notebooks} generated notebooks")
            import bench_similarity  # scripts/, next to this file

            bench_similarity.main(["--notebooks", str(args.similarity_notebooks)])
        log("\n== gradebook: per-record cost, one Gradebook per record vs one kept open")
        from benchmarks import gradebook as gradebook_bench

        gradebook_bench.main(["--records", "100"])
        return report(
            ready,
            students,
            ours,
            stock_runs,
            n,
            k,
            args.jobs,
            release_wall,
            solutions,
            time.monotonic() - bench_started,
            problems,
            ours_problems,
            stock_problems,
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def first_of_each_kind(problems: dict[str, list], count: int) -> list[tuple[str, object]]:
    """(assignment, student) of the first ``count`` problem notebooks of each kind."""
    chosen, taken = [], {}
    for assignment, group in problems.items():
        for student in group:
            if taken.get(student.kind, 0) < count:
                taken[student.kind] = taken.get(student.kind, 0) + 1
                chosen.append((assignment, student))
    return chosen


def problem_times(problems, ours_problems, stock_problems) -> dict[str, dict]:
    """Per kind: ``ours`` and ``nbgrader`` (seconds per notebook), ``count`` in the cohort and
    ``what`` (the problem)."""
    kinds: dict[str, dict] = {}
    for assignment, group in problems.items():
        results = ours_problems.get(assignment, {}).get("results", {})
        for student in group:
            entry = kinds.setdefault(
                student.kind,
                {"ours": [], "nbgrader": [], "count": 0, "what": student.detail.split(" ", 1)[1]},
            )
            entry["count"] += 1
            if student.name in results:
                entry["ours"].append(results[student.name]["execution_time"])
    for student, run in stock_problems:
        if student.name in run.per_notebook:
            kinds[student.kind]["nbgrader"].append(run.per_notebook[student.name])
    return kinds


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report_problems(problems, ours_problems, stock_problems) -> None:
    """Wall seconds per problem notebook, per kind, for both graders."""
    if not problems:
        return
    log("\n== problem notebooks (graded apart), wall seconds per notebook")
    for kind, entry in sorted(problem_times(problems, ours_problems, stock_problems).items()):
        mine, theirs = entry["ours"], entry["nbgrader"]
        log(
            f"  {kind:<6} ({entry['what']}): ours {len(mine)} notebooks, median "
            f"{fmt(_median(mine), 1)} s (max {fmt(max(mine, default=float('nan')), 1)} s); "
            f"nbgrader {len(theirs)} notebook(s), median {fmt(_median(theirs), 1)} s"
        )


def report(
    ready,
    students,
    ours,
    stock_runs,
    n,
    k,
    jobs,
    release_wall,
    solutions,
    total,
    problems=None,
    ours_problems=None,
    stock_problems=(),
) -> int:
    our_times = [r["execution_time"] for a in ready for r in ours[a]["results"].values()]
    our_count = len(our_times)
    our_wall = sum(ours[a]["wall"] for a in ready)
    our_rate = 60 * our_count / our_wall
    our_median, our_p95 = statistics.median(our_times), percentile(our_times, 95)

    log("\n== scores (ours vs nbgrader, same submissions)")
    agree, compared, disagreements = 0, 0, []
    for a in ready:
        run = stock_runs.get(a)
        if run is None:
            continue
        for student in run.students:
            mine = ours[a]["results"].get(student, {}).get("score")
            theirs = run.scores.get(student)
            if mine is None or theirs is None:
                continue
            compared += 1
            if abs(mine - theirs) < 1e-6:
                agree += 1
            else:
                disagreements.append(f"{a} {student}: ours {mine:g}, nbgrader {theirs:g}")
    if compared:
        log(f"  {agree}/{compared} identical" + "".join(f"\n  differs: {d}" for d in disagreements))

    log("\n== summary (wall seconds per notebook)")
    log(f"  {'':<34} {'notebooks':>9} {'median':>8} {'p95':>8} {'nb/min':>8}")
    log(
        f"  {f'nncourse grade --jobs {jobs}':<34} {our_count:>9} {fmt(our_median):>8} {fmt(our_p95):>8} {fmt(our_rate, 1):>8}"
    )
    ratio = float("nan")
    if stock_runs:
        nb_times = [t for run in stock_runs.values() for t in run.per_notebook.values()]
        nb_count = len(nb_times)
        nb_wall = sum(run.wall for run in stock_runs.values())
        nb_rate_raw = 60 * nb_count / nb_wall
        # extrapolated to the full cohort: start-up (wall not attributed to any notebook) once per
        # assignment, plus N times the mean per-notebook time of what nbgrader graded
        full_wall = 0.0
        for a, run in stock_runs.items():
            per = list(run.per_notebook.values())
            if per:
                full_wall += (run.wall - sum(per)) + len(students[a]) * statistics.mean(per)
        nb_rate = (
            60 * sum(len(students[a]) for a in stock_runs) / full_wall
            if full_wall
            else float("nan")
        )
        log(
            f"  {'stock nbgrader autograde (serial)':<34} {nb_count:>9} {fmt(statistics.median(nb_times)):>8} "
            f"{fmt(percentile(nb_times, 95)):>8} {fmt(nb_rate_raw, 1):>8}  (subset as run)"
        )
        log(
            f"  {'  extrapolated to the full cohort':<34} {'':>9} {'':>8} {'':>8} {fmt(nb_rate, 1):>8}"
        )
        subset = [
            ours[a]["results"][s.name]["execution_time"]
            for a in stock_runs
            for s in students[a][:k]
            if s.name in ours[a]["results"]
        ]
        log(
            f"  same {len(subset)} notebooks, ours: median {fmt(statistics.median(subset))} s "
            f"(nbgrader {fmt(statistics.median(nb_times))} s)"
        )
        ratio = our_rate / nb_rate if nb_rate == nb_rate and nb_rate > 0 else float("nan")
        log(
            f"  throughput ratio (ours / nbgrader extrapolated) {fmt(ratio, 1)}x; "
            f"per-notebook median ratio {fmt(statistics.median(nb_times) / our_median, 1)}x"
        )
        if problems and ours_problems:
            # both: the cohort's wall plus each problem notebook's own time, as if graded alone one
            # after the other (our second slot would go on meanwhile: this favours nbgrader);
            # nbgrader's per kind: its mean on the ones it graded times their number
            kinds = problem_times(problems, ours_problems, stock_problems)
            extra = sum(
                e["count"] * statistics.mean(e["nbgrader"]) for e in kinds.values() if e["nbgrader"]
            )
            missing = sorted(kind for kind, e in kinds.items() if not e["nbgrader"])
            added = sum(e["count"] for e in kinds.values())
            problem_wall = sum(sum(e["ours"]) for e in kinds.values())
            mine = 60 * (our_count + added) / (our_wall + problem_wall)
            theirs = (
                60 * (sum(len(students[a]) for a in stock_runs) + added) / (full_wall + extra)
                if full_wall and not missing
                else float("nan")
            )
            log(
                f"  with the {added} problem notebooks: ours {fmt(mine, 1)} nb/min, nbgrader "
                f"{fmt(theirs, 1)} nb/min (extrapolated); throughput ratio {fmt(mine / theirs, 1)}x"
                + (f" (nbgrader graded no {', '.join(missing)} notebook)" if missing else "")
            )
    if release_wall == release_wall:
        log(
            f"  release of all assignments: {release_wall:.1f} s; solution notebooks: "
            + ", ".join(f"{a} {s:.1f} s" for a, s in solutions.items())
        )
    targets = [
        f"median {fmt(our_median)} s {'<=' if our_median <= 1.5 else '>'} 1.5 s",
        f"throughput {fmt(ratio, 1)}x {'>=' if ratio >= 4 else '<'} 4x nbgrader",
    ]
    log(f"  targets: {'; '.join(targets)}")
    log(f"  load average at the end {loadavg()}; bench took {total:.0f} s")
    log(f"speedup_vs_nbgrader={fmt(ratio, 2)} median_s={fmt(our_median, 3)}")
    return 0


if __name__ == "__main__":  # nncourse grade spawns processes: keep the guard
    sys.exit(main())
