"""Grade the hostile set in one batch and check every invariant; used by tests and scripts/reliability.py.

Invariants (one violation string each, naming the case and what broke):

* per case: the job ends within its wall limit + 2 s, its score stays at or below the expected
  maximum (and at or above the minimum where the engine promises to grade the rest), the status is
  the expected one, the messages name the cause, the feedback page escapes what it must;
* controls graded first and last keep 3/3;
* every student is in the journal exactly once;
* no hidden-test source, instructor source, secret, hidden input, reference value or other student's
  marker appears in any file under OUT;
* nothing outside the jobs' scratch space changed: the course copy (autograders, source, secret),
  the submitted folder, canaries in /tmp and /root, site-packages listings; no planted marker file;
* no process of a sandbox uid used by this batch survives it, none outlives the longest job;
* no connection reached the loopback listener.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import hmac
import json
import math
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hostile.build import TOY, write_submissions
from hostile.cases import CASES, CONTROLS, LIMITS, Case
from hostile.watch import Listener, ProcessWatch
from nncourse.config import GradingLimits
from nncourse.layout import CourseLayout

REPO = Path(__file__).resolve().parents[2]
SITE_DIRS = (
    REPO / ".venv" / "lib" / "python3.11" / "site-packages",
    Path("/usr/lib/python3/dist-packages"),
    Path("/usr/lib/python3.11"),
    Path("/usr/local/lib/python3.11/dist-packages"),
)
TOLERANCE = 2.0  # seconds a job may exceed its wall limit
RESULT_BYTES = 256 << 10  # results.json, feedback.html, a journal line of a submission (capped)
INVARIANTS = ("controls", "records", "leaks", "canaries", "processes", "network", "self-check")


# ------------------------------------------------------------------------------------ canaries
def make_course(workdir: Path, token: str) -> CourseLayout:
    """A copy of the toy course with distinctive markers in its hidden test, source and secret."""
    root = workdir / "toycourse"
    shutil.copytree(TOY, root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / ".venv").symlink_to(REPO / ".venv")
    (root / ".nncourse-secret").write_text(f"toy-secret-{token}")
    test = root / "autograders" / "01-toy" / "test_double.py"
    test.write_text(test.read_text() + f"\n# HIDDEN-TEST-MARKER-{token}\n")
    source = root / "source" / "01-toy" / "toy.ipynb"
    data = json.loads(source.read_text())
    data["cells"][1]["source"] = (
        "".join(data["cells"][1]["source"]) + f"\n    # SOURCE-MARKER-{token}"
    )
    source.write_text(json.dumps(data, indent=1))
    (root / "solutions" / "01-toy").mkdir(parents=True)
    (root / "solutions" / "01-toy" / "toy.ipynb").write_text(f"SOLUTION-MARKER-{token}")
    return CourseLayout(root)


def tree_digest(paths: list[Path]) -> dict[str, str]:
    """Content, mode and link target of every file and directory under ``paths`` (pycache excluded)."""
    digest = {}
    for top in paths:
        if not os.path.lexists(top):
            digest[str(top)] = "missing"
            continue
        stack = [Path(top)]
        while stack:
            path = stack.pop()
            st = os.lstat(path)
            if os.path.islink(path):
                digest[str(path)] = "link:" + os.readlink(path)
            elif path.is_dir():
                names = sorted(n for n in os.listdir(path) if n != "__pycache__")
                digest[str(path)] = f"dir:{st.st_mode:o}:" + "/".join(names)
                stack += [path / n for n in names]
            else:
                digest[str(path)] = (
                    f"file:{st.st_mode:o}:" + hashlib.sha256(path.read_bytes()).hexdigest()
                )
    return digest


def site_listing() -> dict[str, list[str]]:
    return {str(d): sorted(os.listdir(d)) for d in SITE_DIRS if d.is_dir()}


def planted_markers(token: str) -> list[str]:
    found = []
    for folder in ("/tmp", "/root", str(Path.home()), str(REPO), os.getcwd()):
        found += glob.glob(os.path.join(folder, f"nncpwn-{token}*"))
    return sorted(found)


# --------------------------------------------------------------------------------------- report
@dataclass
class HostileReport:
    cases: tuple[Case, ...]
    results: dict[str, dict]
    case_violations: dict[str, list[str]] = field(default_factory=dict)
    # by invariant, not tied to one case
    violations: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    max_processes: int = 0
    connections: int = 0
    longest_job_process: float = 0.0  # seconds the longest-lived non-server sandbox process lived

    def walls(self) -> dict[str, float]:
        return {
            c.name: float(self.results.get(c.student, {}).get("execution_time", math.nan))
            for c in self.cases
        }

    def p95(self) -> float:
        values = sorted(v for v in self.walls().values() if not math.isnan(v))
        if not values:
            return math.nan
        return values[min(len(values) - 1, math.ceil(0.95 * len(values)) - 1)]

    def contained(self) -> int:
        return sum(1 for c in self.cases if not self.case_violations.get(c.name))

    def all_violations(self) -> list[str]:
        return [v for c in self.cases for v in self.case_violations.get(c.name, [])] + [
            f"{kind}: {v}" for kind, found in self.violations.items() for v in found
        ]

    def table(self) -> str:
        lines = [f"{'case':<26} {'score':>5} {'max':>4} {'wall s':>7} {'limit':>6}  outcome"]
        for case in self.cases:
            result = self.results.get(case.student, {})
            bad = self.case_violations.get(case.name)
            lines.append(
                f"{case.name:<26} {result.get('score', float('nan')):>5g} {case.max_score:>4g} "
                f"{result.get('execution_time', float('nan')):>7.2f} {case.wall:>6g}  "
                + ("NOT CONTAINED: " + "; ".join(bad) if bad else "contained")
            )
        return "\n".join(lines)


def _haystack(result: dict) -> str:
    parts = [result.get("error") or "", *result.get("cell_errors", []), *result.get("notes", [])]
    parts += [f"{t['name']}: {t['output']}" for t in result.get("tests", [])]
    return "\n".join(parts)


def check_case(case: Case, result: dict | None, feedback: str) -> list[str]:
    """Violations of one case's expectations."""
    if result is None:
        return [f"{case.name}: no result recorded"]
    problems = []
    wall = float(result.get("execution_time", 0.0))
    if wall > case.wall + TOLERANCE:
        problems.append(f"{case.name}: took {wall:.1f} s, limit {case.wall:g} s + {TOLERANCE:g} s")
    if result["score"] > case.max_score:
        problems.append(f"{case.name}: scored {result['score']:g} > allowed {case.max_score:g}")
    if case.min_score is not None and result["score"] < case.min_score:
        problems.append(
            f"{case.name}: scored {result['score']:g} < expected {case.min_score:g} "
            "(the rest of the notebook should still be graded)"
        )
    if result["status"] != case.status:
        problems.append(
            f"{case.name}: status {result['status']!r}, expected {case.status!r} "
            f"(error: {result.get('error')})"
        )
    if case.pattern and not re.search(case.pattern, _haystack(result)):
        problems.append(
            f"{case.name}: no message matches /{case.pattern}/; got: {_haystack(result)[:600]!r}"
        )
    for what, size in (("results.json", len(json.dumps(result))), ("feedback.html", len(feedback))):
        if size > RESULT_BYTES:
            problems.append(
                f"{case.name}: {what} is {size} bytes, over {RESULT_BYTES} (uncapped student text)"
            )
    for text in case.forbid_in_feedback:
        if text in feedback:
            problems.append(f"{case.name}: feedback.html contains unescaped {text!r}")
    return problems


def hidden_inputs(secret: bytes, sha256: str) -> np.ndarray:
    """The array test's hidden input for a submission, derived the way GradingPlugin seeds ``rng``."""
    nodeid = "01-toy/test_double.py::test_array:grader"
    digest = hmac.new(secret, f"{sha256}:{nodeid}".encode(), hashlib.sha256).digest()
    seed = int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
    return np.random.default_rng(seed).normal(size=5)


def _number_keys(values: np.ndarray) -> list[str]:
    keys = []
    for value in np.asarray(values, dtype=float).ravel():
        text = repr(float(value))
        # 7 decimals: no chance collisions
        keys.append(text[: text.index(".") + 8] if "." in text else text)
    return keys


def _out_files(out: Path) -> dict[Path, str]:
    return {
        p: p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*") if p.is_file()
    }


def check_leaks(
    out: Path,
    layout: CourseLayout,
    token: str,
    markers: dict[str, str],
    secret: bytes,
    results: dict[str, dict],
) -> list[str]:
    """No hidden-test text, secret, other student's marker, hidden input or reference value under OUT."""
    hidden_source = (layout.autograder_dir("01-toy") / "test_double.py").read_text()
    forbidden = {
        f"HIDDEN-TEST-MARKER-{token}": "the hidden test file",
        f"SOURCE-MARKER-{token}": "the source notebook",
        f"SOLUTION-MARKER-{token}": "the solutions folder",
        f"toy-secret-{token}": "the course secret",
        f"CANARY-SECRET-{token}": "a canary secret in /tmp or /root",
    }
    for line in ("reference_solution.double(x)", "rng.normal(size=5)", "def test_array(student"):
        assert line in hidden_source, f"hidden test changed: {line!r} not in it"
        forbidden[line] = "the hidden test source"
    for student, marker in markers.items():
        forbidden[marker] = f"{student}'s notebook"
    files = _out_files(out)
    problems = []
    for path, text in files.items():
        for needle, what in forbidden.items():
            if needle in text:
                problems.append(f"{path.relative_to(out)} contains text of {what} ({needle!r})")
    for student, result in results.items():
        if not result.get("sha256") or not result.get("tests"):
            continue
        x = hidden_inputs(secret, result["sha256"])
        for label, values in (("hidden input", x), ("reference value", 2 * x)):
            for key in _number_keys(values):
                for path, text in files.items():
                    own = path.name == "journal.jsonl" or path.parts[len(out.parts)] == student
                    if key in text and not (
                        label == "hidden input" and own and student == "h-echo-inputs"
                    ):
                        problems.append(
                            f"{path.relative_to(out)} contains {student}'s {label} {key}"
                        )
    return problems


def check_gradebook(db_url: str, results: dict[str, dict], students: set[str]) -> list[str]:
    """One gradebook submission per student, scored as in its results.json (fake grades never land)."""
    from nncourse.grading.gradebook import open_gradebook

    scores: dict[str, list[float]] = {}
    with open_gradebook(db_url, course_id="toy") as gradebook:
        for submission in gradebook.assignment_submissions("01-toy"):
            scores.setdefault(submission.student.id, []).append(float(submission.score))
    problems = []
    for student in sorted(students | set(scores)):
        expected = [results.get(student, {}).get("score")]
        if scores.get(student) != expected:
            problems.append(
                f"gradebook: {student} has submissions scored {scores.get(student)}, expected {expected}"
            )
    return problems


# ------------------------------------------------------------------------------------------ run
def run_hostile(
    workdir: Path,
    *,
    cases: tuple[Case, ...] = CASES,
    jobs: int = 2,
    limits: GradingLimits = LIMITS,
    progress=None,
) -> HostileReport:
    """Build the set in ``workdir``, grade it in one batch next to the controls, check everything."""
    from nncourse.api import grade
    from nncourse.grading.batch import JOURNAL
    from nncourse.sandbox.launcher import check_sandbox
    from nncourse.secret import load_secret

    token = os.urandom(6).hex()
    workdir.mkdir(parents=True, exist_ok=True)
    layout = make_course(workdir, token)
    check_sandbox(layout.venv)  # hostile code runs only inside the sandbox: refuse otherwise
    submitted, out, db = workdir / "submitted", workdir / "out", workdir / "gradebook.db"
    tmp_canary = Path(f"/tmp/nncourse-canary-{token}")
    tmp_canary.mkdir()
    (tmp_canary / "canary.txt").write_text(f"CANARY-SECRET-{token} in /tmp")
    # root's home as root; without root, the grader's own (what a rootless sandbox must not see)
    home = Path("/root") if os.geteuid() == 0 else Path.home()
    root_canary = home / f"nncourse-canary-{token}.txt"
    root_canary.write_text(f"CANARY-SECRET-{token} in /root")
    listener = Listener()
    context = {
        "REPO": REPO,
        "ROOT": layout.root,
        "AUTOGRADERS": layout.autograders,
        "SUBMITTED": submitted,
        "OUT": out,
        "DB": db,
        "PORT": listener.port,
        "PWN": f"/tmp/nncpwn-{token}",
        "SITE": SITE_DIRS[0],
        "TMPCANARY": tmp_canary / "canary.txt",
        "ROOTCANARY": root_canary,
    }
    try:
        markers = write_submissions(cases, submitted, context, token)
        watched = [layout.root, submitted, tmp_canary, root_canary]
        before, sites_before = tree_digest(watched), site_listing()
        secret = load_secret(layout.secret_file)
        started = time.monotonic()
        with ProcessWatch() as watch:
            grade(
                submitted,
                layout=layout,
                assignment="01-toy",
                out=out,
                jobs=jobs,
                db_url=f"sqlite:///{db}",
                limits=limits,
                progress=progress or (lambda line: None),
                feedback_dir=workdir / "feedback",
            )  # the grader's own writes, outside the watched course
            seconds = time.monotonic() - started
            deadline = time.monotonic() + 3.0
            while watch.alive() and time.monotonic() < deadline:
                time.sleep(0.1)
        results = {}
        for path in out.glob("*/01-toy/results.json"):
            data = json.loads(path.read_text())
            results[data["student"]] = data
        report = HostileReport(
            cases=cases, results=results, seconds=seconds, max_processes=watch.max_count
        )
        for case in cases:
            feedback_path = out / case.student / "01-toy" / "feedback.html"
            feedback = feedback_path.read_text() if feedback_path.is_file() else ""
            report.case_violations[case.name] = check_case(
                case, results.get(case.student), feedback
            )
        v = report.violations = {kind: [] for kind in INVARIANTS}
        for student in CONTROLS:
            got = results.get(student, {})
            if (got.get("status"), got.get("score")) != ("graded", 3.0):
                v["controls"].append(
                    f"control {student} scored {got.get('score')} ({got.get('status')}; "
                    f"{_haystack(got)[:300]!r}), expected 3/3"
                )
        lines = (out / JOURNAL).read_text().splitlines()
        journal = [json.loads(line) for line in lines if line.strip()]
        v["records"] += [
            f"journal: a record of {len(line)} characters, over {RESULT_BYTES} ({line[:60]}…)"
            for line in lines
            if len(line) > RESULT_BYTES
        ]
        counts: dict[str, int] = {}
        for record in journal:
            counts[record["student"]] = counts.get(record["student"], 0) + 1
        expected = {c.student for c in cases} | set(CONTROLS)
        if counts != {s: 1 for s in expected}:
            v["records"].append(
                f"journal: students not recorded exactly once: "
                f"{ {s: counts.get(s, 0) for s in expected | set(counts) if counts.get(s, 0) != 1} }"
            )
        v["records"] += check_gradebook(f"sqlite:///{db}", results, expected)
        rows = list(csv.DictReader((out / "grades.csv").read_text().splitlines()))
        if sorted(r["student"] for r in rows) != sorted(expected):
            v["records"].append(f"grades.csv lists {sorted(r['student'] for r in rows)}")
        for row in rows:
            if (
                row["student"] in results
                and float(row["score"]) != results[row["student"]]["score"]
            ):
                v["records"].append(
                    f"grades.csv: {row['student']} {row['score']} != results.json "
                    f"{results[row['student']]['score']}"
                )
        v["leaks"] += check_leaks(out, layout, token, markers, secret, results)
        echo = results.get("h-echo-inputs")
        if echo and echo.get("tests"):
            keys = _number_keys(hidden_inputs(secret, echo["sha256"]))
            if not all(k in _haystack(echo) for k in keys):
                v["self-check"].append(
                    "the hidden-input derivation does not match what h-echo-inputs saw, "
                    "so the reference-value leak check would be blind"
                )
        after = tree_digest(watched)
        for path in sorted(set(before) | set(after)):
            if before.get(path) != after.get(path):
                v["canaries"].append(
                    f"changed: {path} ({before.get(path, 'absent')[:60]} -> {after.get(path, 'absent')[:60]})"
                )
        sites_after = site_listing()
        for folder, names in sites_after.items():
            added = sorted(set(names) - set(sites_before.get(folder, [])))
            if added:
                v["canaries"].append(f"new files in {folder}: {added}")
        for marker in planted_markers(token):
            v["canaries"].append(f"planted code ran outside the sandbox: {marker} exists")
        left = watch.alive()
        if left:
            v["processes"].append(f"sandbox processes of this batch survived it: {left}")
        longest = max(c.wall for c in cases) + TOLERANCE  # a survivor lives on into later jobs
        report.longest_job_process = max((t for _, t in watch.lifetimes()), default=0.0)
        for pid, lifetime in watch.lifetimes():
            if lifetime > longest:
                v["processes"].append(
                    f"sandbox process {pid} lived {lifetime:.1f} s, longer than any job ({longest:g} s)"
                )
        if not watch.uids:
            v["self-check"].append("the process watch saw no sandbox process at all")
        report.connections = len(listener.connections)
        if listener.connections:
            v["network"].append(
                f"{len(listener.connections)} connection(s) reached the host listener: {listener.connections}"
            )
        return report
    finally:
        listener.close()
        shutil.rmtree(tmp_canary, ignore_errors=True)
        root_canary.unlink(missing_ok=True)
        for marker in planted_markers(token):
            print(f"removing planted marker {marker}", file=sys.stderr)
            os.unlink(marker)
