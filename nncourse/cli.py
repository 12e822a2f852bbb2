"""The `nncourse` command line: thin wrappers over typed functions."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from nncourse.cluster.cli import tls_options, worker_cli
from nncourse.layout import CourseLayout, UnknownAssignment


def _layout() -> CourseLayout:
    try:
        return CourseLayout.find(Path.cwd())
    except FileNotFoundError:
        return CourseLayout.find()


class _Commands(click.Group):
    """Every command: an unknown assignment id (one line with the known ids) or an unreadable course
    secret is one line and exit 2, not a traceback."""

    def invoke(self, ctx: click.Context):
        from nncourse.secret import SecretUnreadable

        try:
            return super().invoke(ctx)
        except (UnknownAssignment, SecretUnreadable) as exc:
            click.echo(str(exc), err=True)
            ctx.exit(2)


@click.group(cls=_Commands)
@click.version_option(package_name="nncourse")
def main() -> None:
    """Release, grade and report the 'Neural Networks in PyTorch' assignments."""


main.add_command(worker_cli)


@main.command("release")
@click.argument("assignments", nargs=-1)
@click.option(
    "--cohort", default=None, help="Cohort id (course id nn-pytorch-<cohort>, own gradebook)."
)
@click.option(
    "--check", is_flag=True, help="Regenerate in a temporary folder and fail on any difference."
)
def release_cli(assignments: tuple[str, ...], cohort: str | None, check: bool) -> None:
    """Build release/ (student versions) and solutions/ from source/, and prove them sound."""
    from nncourse.release.publish import release

    layout = _layout()
    report = release(
        layout,
        assignments=list(assignments) or None,
        cohort=cohort,
        check=check,
        progress=lambda line: click.echo(line, err=True),
    )
    for assignment, seconds in report.seconds.items():
        click.echo(f"{assignment}: solution notebook runs in {seconds:.1f} s")
    for assignment, changes in report.changes.items():
        click.echo(f"{assignment}: student notebook {changes}")
    if not report.ok:
        for problem in report.problems:
            click.echo(f"FAIL {problem}", err=True)
        sys.exit(1)
    click.echo(("release is up to date" if check else "released") + f" (cohort {report.cohort})")


@main.command("grade")
@click.argument("submitted", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--assignment", "-a", required=True, help="Assignment id, e.g. 01-gradient-descent.")
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder: results, feedback pages, grades.csv, report.html (kept between runs).",
)
@click.option("--jobs", "-j", default=1, show_default=True, help="Submissions graded in parallel.")
@click.option("--db", "db_url", default=None, help="Gradebook URL (default: nbgrader_config.py's).")
@click.option(
    "--cohort",
    default=None,
    help="Cohort whose gradebook receives the scores (default: the "
    "released one, release/cohort.txt).",
)
@click.option(
    "--insecure", is_flag=True, help="Grade without the sandbox (only if it cannot be built)."
)
@click.option("--regrade", is_flag=True, help="Grade every submission again, even unchanged ones.")
@click.option(
    "--feedback-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="nbgrader's feedback folder for the pages (default: the course's feedback/).",
)
@click.option(
    "--before-deadline",
    is_flag=True,
    help="Feedback pages show only rubric lines marked visible (scores are never hidden).",
)
@click.option(
    "--due",
    default=None,
    help="Due date for this run (ISO 8601 with time zone); overrides deadlines.toml.",
)
@click.option(
    "--cluster",
    default=None,
    help="Grade on a Dask cluster (scheduler address or file; see `nncourse worker`).",
)
@tls_options
def grade_cli(
    submitted: Path,
    assignment: str,
    out: Path,
    jobs: int,
    db_url: str | None,
    cohort: str | None,
    insecure: bool,
    regrade: bool,
    feedback_dir: Path | None,
    before_deadline: bool,
    due: str | None,
    cluster: str | None,
    tls_ca: Path | None,
    tls_cert: Path | None,
    tls_key: Path | None,
) -> None:
    """Grade SUBMITTED/<student>/<assignment>/*.ipynb into OUT, the gradebook and a report."""
    from nncourse.api import grade
    from nncourse.cluster.address import ClusterRefused
    from nncourse.cluster.cli import tls_files
    from nncourse.cluster.pool import Cluster, ClusterUnavailable, quiet_closed_connections
    from nncourse.deadlines import parse_due
    from nncourse.grading.console import eprint, score_table
    from nncourse.grading.gradebook import GradebookError
    from nncourse.grading.review import to_look_at
    from nncourse.grading.slots import SlotsLost
    from nncourse.sandbox.launcher import SandboxUnavailable

    if insecure:
        eprint(
            "WARNING: --insecure: students' code runs WITHOUT namespaces; use only for trusted notebooks"
        )
    try:
        summary = grade(
            submitted,
            layout=_layout(),
            assignment=assignment,
            out=out,
            jobs=jobs,
            db_url=db_url,
            insecure=insecure,
            progress=eprint,
            cohort=cohort,
            regrade=regrade,
            feedback_dir=feedback_dir,
            before_deadline=before_deadline,
            due=parse_due(due) if due else None,
            cluster=Cluster(cluster, tls_files(tls_ca, tls_cert, tls_key)) if cluster else None,
        )
    except (ClusterRefused, ClusterUnavailable) as exc:
        eprint(f"cannot grade on the cluster: {exc}")
        sys.exit(2)
    except SlotsLost as exc:
        eprint(f"stopped: {exc}. Run the same command again: what was graded is kept.")
        quiet_closed_connections()
        sys.exit(2)
    except SandboxUnavailable as exc:
        eprint(f"cannot grade safely: {exc}")
        sys.exit(2)
    except GradebookError as exc:
        eprint(
            f"stopped: {exc}. Fix it and run the same command again: submissions graded but not yet "
            "recorded are graded again, the others are kept."
        )
        sys.exit(2)
    except ValueError as exc:
        eprint(str(exc))
        sys.exit(2)
    click.echo(score_table(summary.results))
    click.echo(
        f"graded {summary.graded}, already graded {summary.skipped}, in {summary.seconds:.1f} s -> {out}"
    )
    flagged = [r.student for r in summary.results if to_look_at(r.notes)]
    if flagged:
        shown = ", ".join(flagged[:8]) + (
            f" and {len(flagged) - 8} more" if len(flagged) > 8 else ""
        )
        click.echo(
            f"for a TA's look: {len(flagged)} ({shown}); why: grades.csv's review column, "
            "report.html's \"For a TA's look\""
        )


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
    eprint(
        "grade-one records nothing: no gradebook or results.json is written (use 'nncourse grade')"
    )


@main.command("check")
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--assignment", "-a", default=None, help="Default: read from the notebook.")
def check_cli(notebook: Path, assignment: str | None) -> None:
    """Run your notebook's public checks the way the grader runs it (before you submit)."""
    from nncourse.api import check_notebook

    try:
        layout = _layout()
    except FileNotFoundError:  # a student with the notebook only: no course here
        layout = None
    try:
        report = check_notebook(
            notebook,
            layout=layout,
            assignment=assignment,
            progress=lambda line: click.echo(line, err=True),
        )
    except ValueError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    click.echo("\n".join(report.lines()))
    sys.exit(0 if report.all_passed else 1)


@main.command("report")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--assignment", "-a", default=None)
@click.option("--db", "db_url", default=None, help="Gradebook URL (default: the last grade run's).")
@click.option("--cohort", default=None, help="The cohort whose gradebook to read.")
def report_cli(out: Path, assignment: str | None, db_url: str | None, cohort: str | None) -> None:
    """Refresh OUT's written-answer grades from the gradebook and write OUT/report.html."""
    from nncourse.grading.console import eprint
    from nncourse.grading.gradebook import GradebookError
    from nncourse.report.refresh import refresh_report

    try:
        layout = _layout()
    except FileNotFoundError:
        layout = None
    try:
        click.echo(
            refresh_report(
                out,
                layout=layout,
                assignment=assignment,
                db_url=db_url,
                cohort=cohort,
                progress=eprint,
            )
        )
    except (ValueError, GradebookError) as exc:  # several assignments and no --assignment
        click.echo(str(exc), err=True)
        sys.exit(2)


@main.command("similarity")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--submitted",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="SUBMITTED folder (default: the one OUT's last review used).",
)
@click.option("--assignment", "-a", default=None, help="Default: the one OUT's last review used.")
def similarity_cli(out: Path, submitted: Path | None, assignment: str | None) -> None:
    """Compare the students' code: OUT/similarity.csv and report.html's "Similar submissions"."""
    from nncourse.grading.console import eprint
    from nncourse.report.build import build_report
    from nncourse.similarity.review import review_cohort

    try:
        review = review_cohort(
            out, layout=_layout(), submitted=submitted, assignment=assignment, progress=eprint
        )
    except ValueError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    click.echo(build_report(out, assignment=review.assignment))


@main.command("gradescope")
@click.argument("assignment")
@click.option(
    "--out",
    "-o",
    default="dist",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
)
def gradescope_cli(assignment: str, out: Path) -> None:
    """Build OUT/<assignment>-autograder.zip for Gradescope (same engine, same hidden tests)."""
    from nncourse.gradescope.build import build_autograder_zip

    click.echo(build_autograder_zip(_layout(), assignment, out=out))


_CSV = click.Path(exists=True, dir_okay=False, path_type=Path)


@main.command("collect")
@click.argument("download", type=click.Path(exists=True, path_type=Path))
@click.option("--assignment", "-a", required=True, help="Assignment id, e.g. 03-spiral.")
@click.option("--lms", required=True, type=click.Choice(["canvas", "moodle", "blackboard"]))
@click.option(
    "--roster",
    type=_CSV,
    default=None,
    help="CSV with columns lms_id,student (default: the LMS id is the student id).",
)
@click.option(
    "--submitted",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("submitted"),
    show_default=True,
    help="nbgrader's submitted folder.",
)
@click.option(
    "--times",
    type=_CSV,
    default=None,
    help="CSV lms_id,submitted_at (ISO 8601): submission times the download lacks.",
)
@click.option(
    "--timezone",
    default="UTC",
    show_default=True,
    help="Time zone of times in file names (Blackboard), e.g. Europe/Berlin.",
)
def collect_cli(
    download: Path,
    assignment: str,
    lms: str,
    roster: Path | None,
    submitted: Path,
    times: Path | None,
    timezone: str,
) -> None:
    """Turn an LMS bulk download (zip or folder) into SUBMITTED/<student>/<assignment>/."""
    from nncourse.collect.archive import CollectError
    from nncourse.collect.roster import read_roster, read_times
    from nncourse.collect.run import collect

    layout = _layout()
    try:
        layout.check_assignment(assignment)
        report = collect(
            download,
            assignment=assignment,
            lms=lms,
            submitted=submitted,
            notebook_name=layout.notebook_name(assignment),
            timezone=timezone,
            roster=read_roster(roster) if roster else None,
            times=read_times(times) if times else None,
        )
    except (CollectError, ValueError) as exc:
        click.echo(f"nothing collected: {exc}", err=True)
        sys.exit(2)
    for line in report.lines():
        click.echo(line)


@main.command("export")
@click.option("--assignment", "-a", required=True)
@click.option("--format", "fmt", required=True, type=click.Choice(["canvas", "moodle", "csv"]))
@click.option(
    "--roster",
    type=_CSV,
    default=None,
    help="CSV lms_id,student[,name,email,sis_id,sis_login_id,section].",
)
@click.option("--db", "db_url", default=None, help="Gradebook URL (default: nbgrader_config.py's).")
@click.option(
    "--column",
    default=None,
    help="The LMS's grade column (default: the assignment id; "
    "Canvas: 'Name (id)' updates that assignment).",
)
@click.option("--missing-zero", is_flag=True, help="0 instead of an empty cell for no submission.")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path))
def export_cli(
    assignment: str,
    fmt: str,
    roster: Path | None,
    db_url: str | None,
    column: str | None,
    missing_zero: bool,
    out: Path,
) -> None:
    """Write the gradebook's final scores (after late penalties) for the LMS's grade import."""
    from nncourse.collect.archive import CollectError
    from nncourse.collect.roster import read_roster
    from nncourse.export.formats import write_export
    from nncourse.export.scores import assignment_scores as read_scores
    from nncourse.grading.gradebook import GradebookError, GradebookTarget

    target = GradebookTarget.from_config(_layout(), db_url)
    try:
        scores = read_scores(target.db_url, course_id=target.course_id, assignment=assignment)
        warnings = write_export(
            out,
            scores,
            fmt=fmt,
            column=column or assignment,
            roster=read_roster(roster) if roster else None,
            missing_zero=missing_zero,
        )
    except (CollectError, GradebookError, ValueError) as exc:
        click.echo(f"not exported: {exc}", err=True)
        sys.exit(2)
    for line in warnings:
        click.echo(f"warning: {line}", err=True)
    done = sum(s.score is not None for s in scores)
    click.echo(f"{out}: {done} score(s) of {len(scores)} student(s) in the gradebook ({fmt})")


if __name__ == "__main__":
    main()
