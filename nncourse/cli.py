"""The `nncourse` command line: thin wrappers over typed functions."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from nncourse.layout import CourseLayout


def _layout() -> CourseLayout:
    try:
        return CourseLayout.find(Path.cwd())
    except FileNotFoundError:
        return CourseLayout.find()


@click.group()
@click.version_option(package_name="nncourse")
def main() -> None:
    """Release, grade and report the 'Neural Networks in PyTorch' assignments."""


@main.command("release")
@click.argument("assignments", nargs=-1)
@click.option("--cohort", default=None, help="Cohort id (course id nn-pytorch-<cohort>, own gradebook).")
@click.option("--check", is_flag=True, help="Regenerate in a temporary folder and fail on any difference.")
def release_cli(assignments: tuple[str, ...], cohort: str | None, check: bool) -> None:
    """Build release/ (student versions) and solutions/ from source/, and prove them sound."""
    from nncourse.release.publish import release

    layout = _layout()
    report = release(layout, assignments=list(assignments) or None, cohort=cohort, check=check,
                     progress=lambda line: click.echo(line, err=True))
    for assignment, seconds in report.seconds.items():
        click.echo(f"{assignment}: solution notebook runs in {seconds:.1f} s")
    if not report.ok:
        for problem in report.problems:
            click.echo(f"FAIL {problem}", err=True)
        sys.exit(1)
    click.echo(("release is up to date" if check else "released") + f" (cohort {report.cohort})")


@main.command("grade")
@click.argument("submitted", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--assignment", "-a", required=True, help="Assignment id, e.g. 01-gradient-descent.")
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--jobs", "-j", default=1, show_default=True, help="Submissions graded in parallel.")
@click.option("--db", "db_url", default=None, help="Gradebook URL (default: nbgrader_config.py's).")
@click.option("--insecure", is_flag=True, help="Grade without the sandbox (only if it cannot be built).")
def grade_cli(submitted: Path, assignment: str, out: Path, jobs: int, db_url: str | None, insecure: bool) -> None:
    """Grade SUBMITTED/<student>/<assignment>/*.ipynb into OUT, the gradebook and a report."""
    from nncourse.api import grade
    from nncourse.grading.console import eprint, score_table
    from nncourse.grading.gradebook import GradebookError
    from nncourse.sandbox.launcher import SandboxUnavailable

    if insecure:
        eprint("WARNING: --insecure: students' code runs WITHOUT namespaces; use only for trusted notebooks")
    try:
        summary = grade(submitted, layout=_layout(), assignment=assignment, out=out, jobs=jobs, db_url=db_url,
                        insecure=insecure, progress=eprint)
    except SandboxUnavailable as exc:
        eprint(f"cannot grade safely: {exc}")
        sys.exit(2)
    except GradebookError as exc:
        eprint(f"stopped: {exc}. Fix it and run the same command again: submissions graded but not yet "
               "recorded are graded again, the others are kept.")
        sys.exit(2)
    except ValueError as exc:
        eprint(str(exc))
        sys.exit(2)
    click.echo(score_table(summary.results))
    click.echo(f"graded {summary.graded}, already graded {summary.skipped}, in {summary.seconds:.1f} s -> {out}")


@main.command("grade-one")
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--assignment", "-a", required=True)
@click.option("--insecure", is_flag=True)
@click.option("--json", "as_json", is_flag=True, help="Print results.json instead of the report.")
def grade_one_cli(notebook: Path, assignment: str, insecure: bool, as_json: bool) -> None:
    """Grade one notebook and print a readable report."""
    import json

    from nncourse.api import grade_one
    from nncourse.grading.console import eprint, format_result
    from nncourse.sandbox.launcher import SandboxUnavailable

    try:
        result = grade_one(notebook, layout=_layout(), assignment=assignment, insecure=insecure)
    except SandboxUnavailable as exc:
        eprint(f"cannot grade safely: {exc}")
        sys.exit(2)
    click.echo(json.dumps(result.to_json(), indent=1) if as_json else format_result(result))


@main.command("check")
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--assignment", "-a", default=None, help="Default: read from the notebook.")
def check_cli(notebook: Path, assignment: str | None) -> None:
    """Run your notebook's public checks the way the grader runs it (before you submit)."""
    from nncourse.api import check_notebook

    try:
        report = check_notebook(notebook, layout=_layout(), assignment=assignment,
                                progress=lambda line: click.echo(line, err=True))
    except ValueError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    click.echo("\n".join(report.lines()))
    sys.exit(0 if report.all_passed else 1)


@main.command("report")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--assignment", "-a", default=None)
def report_cli(out: Path, assignment: str | None) -> None:
    """Write OUT/report.html: score distribution, pass rate per rubric line, failures, per-student links."""
    from nncourse.report.build import build_report

    try:
        click.echo(build_report(out, assignment=assignment))
    except ValueError as exc:  # several assignments and no --assignment
        click.echo(str(exc), err=True)
        sys.exit(2)


@main.command("gradescope")
@click.argument("assignment")
@click.option("--out", "-o", default="dist", show_default=True, type=click.Path(file_okay=False, path_type=Path))
def gradescope_cli(assignment: str, out: Path) -> None:
    """Build OUT/<assignment>-autograder.zip for Gradescope (same engine, same hidden tests)."""
    from nncourse.gradescope.build import build_autograder_zip

    click.echo(build_autograder_zip(_layout(), assignment, out=out))


if __name__ == "__main__":
    main()
