"""The hostile set (tests/hostile/cases.py) graded in ONE batch next to two correct controls.

Every case must be contained: it ends within its wall limit + 2 s, never scores more than the same
code without the attack, and its messages name the cause. Across the batch: the controls keep 3/3,
nothing secret reaches any file under OUT, nothing outside the jobs' scratch space changes, no
sandbox process survives and no connection reaches the host. Hostile code runs only inside the
sandbox (run_hostile refuses unless ``check_sandbox`` passes).
"""

from __future__ import annotations

import pytest
from hostile.cases import CASES
from hostile.harness import INVARIANTS, run_hostile

REQUIRED_CATEGORIES = {
    "resources",
    "control-flow",
    "tampering",
    "secrets",
    "files",
    "network",
    "malformed",
    "crash",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    report = run_hostile(tmp_path_factory.mktemp("hostile"))
    print(
        f"\n{report.table()}\nbatch {report.seconds:.1f} s, p95 wall per hostile job {report.p95():.2f} s, "
        f"max sandbox processes at once {report.max_processes}, longest-lived job process "
        f"{report.longest_job_process:.1f} s"
    )
    return report


def test_the_set_is_large_and_covers_every_category():
    assert len(CASES) >= 30
    assert {c.category for c in CASES} >= REQUIRED_CATEGORIES
    assert len({c.name for c in CASES}) == len(CASES), "case names must be unique"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_attack_is_contained(report, case):
    problems = report.case_violations.get(case.name, ["not checked"])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("invariant", INVARIANTS)
def test_batch_invariant_holds(report, invariant):
    problems = report.violations.get(invariant, ["not checked"])
    assert not problems, f"{invariant}:\n" + "\n".join(problems)


# ------------------------------------------------------------- the detectors themselves (no sandbox)
def test_the_per_case_checks_catch_each_kind_of_failure():
    from hostile.cases import Case
    from hostile.harness import check_case

    case = Case("x", "crash", 0, pattern=r"exit code 7", wall=5, forbid_in_feedback=("<script>",))
    bad = {
        "score": 1.0,
        "status": "error",
        "execution_time": 9.0,
        "error": "boom",
        "tests": [],
        "cell_errors": [],
        "notes": [],
    }
    problems = check_case(case, bad, "<p><script>alert(1)</script>")
    assert [p.split(":")[1].split()[0] for p in problems] == [
        "took",
        "scored",
        "status",
        "no",
        "feedback.html",
    ]
    assert check_case(case, None, "") == ["x: no result recorded"]


def test_the_leak_and_canary_detectors_see_planted_evidence(tmp_path):
    from hostile.harness import check_leaks, hidden_inputs, make_course, tree_digest

    layout = make_course(tmp_path, "tok")
    out = tmp_path / "out"
    (out / "bob" / "01-toy").mkdir(parents=True)
    clean = check_leaks(
        out,
        layout,
        "tok",
        {"aa-control": "PRIVATE-tok-aa-control"},
        b"s",
        {"carol": {"sha256": "abc", "tests": [{}]}},
    )
    assert clean == []
    reference = repr(float(2 * hidden_inputs(b"s", "abc")[0]))
    (out / "bob" / "01-toy" / "feedback.html").write_text(
        f"HIDDEN-TEST-MARKER-tok rng.normal(size=5) PRIVATE-tok-aa-control toy-secret-tok {reference}"
    )
    problems = check_leaks(
        out,
        layout,
        "tok",
        {"aa-control": "PRIVATE-tok-aa-control"},
        b"s",
        {"carol": {"sha256": "abc", "tests": [{}]}},
    )
    assert len(problems) == 5, problems
    before = tree_digest([layout.root])
    (layout.autograder_dir("01-toy") / "conftest.py").write_text("planted")
    assert tree_digest([layout.root]) != before


def test_the_listener_counts_connections():
    import socket
    import time

    from hostile.watch import Listener

    listener = Listener()
    try:
        socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()
        deadline = time.monotonic() + 3
        while not listener.connections and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(listener.connections) == 1
    finally:
        listener.close()
