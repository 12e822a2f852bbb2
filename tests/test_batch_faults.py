"""Batch faults (tests/hostile/faults.py): `nncourse grade` killed with SIGKILL at random points, a torn
journal record, a full output disk. A rerun must record every student exactly once, in the journal,
grades.csv and the gradebook, with the scores of a run without faults.
"""

from __future__ import annotations

import pytest
from hostile import faults

from nncourse.sandbox.launcher import check_sandbox


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("faults")
    cohort = faults.Cohort.create(workdir)
    check_sandbox(cohort.root / ".venv")  # hostile-but-quick notebooks are in the cohort
    reference, run = faults.reference_run(cohort, workdir)
    print(f"\nrun without faults: {run.seconds:.1f} s, scores {reference}")
    return cohort, workdir, reference


def test_the_cohort_mixes_correct_wrong_and_hostile_submissions(cohort):
    _, _, reference = cohort
    scores = sorted(score for score, _ in reference.values())
    assert len(reference) >= 8 and scores[0] == 0 and scores[-1] == 3 and 1.0 in scores


def test_sigkill_at_random_points_then_a_rerun_records_everyone_once(cohort):
    cohort, workdir, reference = cohort
    outcome = faults.scenario_sigkill(cohort, workdir, reference, kills=5)
    print("\n" + "\n".join(outcome.details))
    assert outcome.faults >= 6, "5 kills and a torn record"
    assert not outcome.violations, "\n".join(
        outcome.violations + ["--- what happened:"] + outcome.details
    )


def test_a_full_output_disk_fails_loudly_then_a_rerun_completes(cohort):
    cohort, workdir, reference = cohort
    outcome = faults.scenario_full_disk(cohort, workdir, reference)
    print("\n" + "\n".join(outcome.details))
    assert not outcome.violations, "\n".join(
        outcome.violations + ["--- what happened:"] + outcome.details
    )


def test_a_grader_error_is_graded_again_by_the_next_run(cohort):
    cohort, workdir, reference = cohort
    outcome = faults.scenario_grader_error(cohort, workdir, reference)
    print("\n" + "\n".join(outcome.details))
    assert not outcome.violations, "\n".join(
        outcome.violations + ["--- what happened:"] + outcome.details
    )
