"""`nncourse collect`: LMS downloads (built here as real zips) into nbgrader's submitted/ layout."""

import json
import stat
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from nncourse.collect.archive import CollectError
from nncourse.collect.guard import NotCollected, check_not_lms_download
from nncourse.collect.roster import read_roster, read_times
from nncourse.collect.run import collect
from nncourse.collect.store import MARKER
from nncourse.config import CollectLimits

NB = "spiral.ipynb"
ID = "03-spiral"


def notebook(tag: str) -> bytes:
    """A small notebook whose content says which attempt it is."""
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [
                {
                    "cell_type": "code",
                    "metadata": {},
                    "source": f"# {tag}",
                    "outputs": [],
                    "execution_count": None,
                }
            ],
        }
    ).encode()


def make_zip(
    path: Path,
    entries: dict[str, bytes],
    *,
    links: dict[str, str] = (),
    times: dict[str, tuple] = (),
) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=dict(times).get(name, (2027, 2, 1, 12, 0, 0)))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
        for name, target in dict(links).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return path


def run(download, tmp_path, lms="canvas", **kwargs):
    submitted = tmp_path / "submitted"
    report = collect(
        download, assignment=ID, notebook_name=NB, lms=lms, submitted=submitted, **kwargs
    )
    return report, submitted


def collected(submitted: Path, student: str) -> str:
    return json.loads((submitted / student / ID / NB).read_text())["cells"][0]["source"]


def reasons(report) -> dict[str, str]:
    return {r.name: r.reason for r in report.skipped}


def test_canvas_download_latest_resubmission_wins_and_late_flag_is_kept(tmp_path):
    download = make_zip(
        tmp_path / "submissions.zip",
        {
            "doejane_LATE_1001_501_spiral.ipynb": notebook("jane first"),
            "doejane_LATE_1001_502_spiral-1.ipynb": notebook("jane second"),
            "roebob_1002_503_spiral.ipynb": notebook("bob"),
            "roebob_1002_503_report.pdf": b"%PDF",
            "smithann_1003_504_spiral_final.ipynb": notebook("ann renamed"),
            "README.txt": b"hello",
        },
    )
    report, submitted = run(download, tmp_path)
    assert collected(submitted, "1001") == "# jane second", (
        "the resubmission -1 is the latest attempt"
    )
    assert collected(submitted, "1002") == "# bob"
    assert collected(submitted, "1003") == "# ann renamed", (
        "a sole wrongly named notebook is collected"
    )
    why = reasons(report)
    assert "older attempt" in why["doejane_LATE_1001_501_spiral.ipynb"]
    assert "not a notebook (.pdf)" in why["roebob_1002_503_report.pdf"]
    assert "not a notebook" in why["README.txt"]
    marker = json.loads((submitted / "1001" / ID / MARKER).read_text())
    assert marker["lms_late"] is True and marker["source"] == "doejane_LATE_1001_502_spiral-1.ipynb"
    assert any("1003" in line and "renamed" in line for line in report.collected)
    assert not (submitted / "1001" / ID / "timestamp.txt").exists(), "Canvas names carry no time"


def test_roster_maps_ids_and_unknown_ids_are_listed(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("lms_id,student,name\n1001,jdoe,Jane Doe\n")
    download = make_zip(
        tmp_path / "d.zip",
        {
            "doejane_1001_501_spiral.ipynb": notebook("jane"),
            "xyz_9999_502_spiral.ipynb": notebook("stranger"),
        },
    )
    report, submitted = run(download, tmp_path, roster=read_roster(roster))
    assert collected(submitted, "jdoe") == "# jane"
    assert "9999 is not in the roster" in reasons(report)["xyz_9999_502_spiral.ipynb"]
    assert not (submitted / "9999").exists()


def test_wrong_name_next_to_the_right_one_is_listed_not_collected(tmp_path):
    download = make_zip(
        tmp_path / "d.zip",
        {
            "doejane_1001_501_spiral.ipynb": notebook("right"),
            "doejane_1001_502_scratch.ipynb": notebook("scratch"),
        },
    )
    report, submitted = run(download, tmp_path)
    assert collected(submitted, "1001") == "# right"
    assert "wrong name (expected spiral.ipynb)" in reasons(report)["doejane_1001_502_scratch.ipynb"]


def test_duplicate_student_without_order_is_not_guessed(tmp_path):
    download = make_zip(
        tmp_path / "d.zip",
        {
            "a/doejane_1001_501_spiral.ipynb": notebook("one"),
            "b/doejane_1001_501_spiral.ipynb": notebook("two"),
        },
    )
    report, submitted = run(download, tmp_path)
    assert not (submitted / "1001").exists()
    assert all(
        "nothing to order them" in reasons(report)[n]
        for n in ("a/doejane_1001_501_spiral.ipynb", "b/doejane_1001_501_spiral.ipynb")
    )


def test_moodle_folders_nested_and_flat(tmp_path):
    download = make_zip(
        tmp_path / "moodle.zip",
        {
            "Jane Doe_77_assignsubmission_file_/spiral.ipynb": notebook("jane"),
            "Bob Roe_78_assignsubmission_file_/work/deep/spiral.ipynb": notebook("bob nested"),
            "Ann Smith_79_assignsubmission_file_spiral.ipynb": notebook("ann flat"),
            "Carl Ray_80_assignsubmission_onlinetext_onlinetext.html": b"<p>hi</p>",
            "Participant_81_assignsubmission_file_/spiral.ipynb": notebook("blind marking"),
        },
    )
    report, submitted = run(download, tmp_path, lms="moodle")
    assert [collected(submitted, s) for s in ("77", "78", "79", "81")] == [
        "# jane",
        "# bob nested",
        "# ann flat",
        "# blind marking",
    ]
    assert (
        "not a notebook"
        in reasons(report)["Carl Ray_80_assignsubmission_onlinetext_onlinetext.html"]
    )


def test_blackboard_attempts_latest_time_wins_and_timestamp_is_nbgraders_format(tmp_path):
    from nbgrader.utils import parse_utc

    download = make_zip(
        tmp_path / "bb.zip",
        {
            "Spiral_jdoe_attempt_2027-02-12-22-00-00_spiral.ipynb": notebook("early"),
            "Spiral_jdoe_attempt_2027-02-13-09-30-00_spiral.ipynb": notebook("late"),
            "Spiral_jdoe_attempt_2027-02-13-09-30-00.txt": b"Name: Jane Doe",
        },
    )
    report, submitted = run(download, tmp_path, lms="blackboard", timezone="Europe/Berlin")
    assert collected(submitted, "jdoe") == "# late"
    stamp = (submitted / "jdoe" / ID / "timestamp.txt").read_text()
    assert parse_utc(stamp) == datetime(2027, 2, 13, 8, 30), "09:30 in Berlin is 08:30 UTC"
    assert (
        "older attempt" in reasons(report)["Spiral_jdoe_attempt_2027-02-12-22-00-00_spiral.ipynb"]
    )


def test_times_file_gives_canvas_submissions_their_time(tmp_path):
    times = tmp_path / "times.csv"
    times.write_text("lms_id,submitted_at\n1001,2027-02-13T10:00:00+01:00\n1002,\n")
    download = make_zip(
        tmp_path / "d.zip",
        {
            "doejane_1001_501_spiral.ipynb": notebook("jane"),
            "roebob_1002_502_spiral.ipynb": notebook("bob"),
        },
    )
    _, submitted = run(download, tmp_path, times=read_times(times))
    assert (
        submitted / "1001" / ID / "timestamp.txt"
    ).read_text() == "2027-02-13 09:00:00.000000 UTC"
    assert not (submitted / "1002" / ID / "timestamp.txt").exists()
    bad = tmp_path / "bad.csv"
    bad.write_text("lms_id,submitted_at\n1001,2027-02-13T10:00:00\n")
    with pytest.raises(CollectError, match="no time zone"):
        read_times(bad)


def test_unsafe_entries_are_refused_and_the_rest_collected(tmp_path):
    download = make_zip(
        tmp_path / "evil.zip",
        {
            "../../doejane_1001_501_spiral.ipynb": notebook("escape"),
            "/abs/roebob_1002_502_spiral.ipynb": notebook("absolute"),
            "smithann_1003_503_spiral.zip": b"PK\x03\x04 nested",
            "carlray_1004_504_spiral.ipynb": notebook("fine"),
        },
        links={"linkdoe_1005_505_spiral.ipynb": "/etc/passwd"},
    )
    report, submitted = run(download, tmp_path)
    why = reasons(report)
    assert "leaves the download" in why["../../doejane_1001_501_spiral.ipynb"]
    assert "leaves the download" in why["/abs/roebob_1002_502_spiral.ipynb"]
    assert "archive inside" in why["smithann_1003_503_spiral.zip"]
    assert "symbolic link" in why["linkdoe_1005_505_spiral.ipynb"]
    assert collected(submitted, "1004") == "# fine"
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert all(p.startswith(("submitted/1004/", "evil.zip")) for p in written), written


def test_zip_bomb_and_too_many_entries(tmp_path):
    bomb = make_zip(
        tmp_path / "bomb.zip",
        {
            "doejane_1001_501_spiral.ipynb": b"0" * (3 << 20),
            "roebob_1002_502_spiral.ipynb": notebook("bob"),
        },
    )
    assert bomb.stat().st_size < 100_000
    limits = CollectLimits(files=10, total_bytes=10 << 20, notebook_bytes=1 << 20)
    report, submitted = run(bomb, tmp_path, limits=limits)
    assert "limit 1 MiB" in reasons(report)["doejane_1001_501_spiral.ipynb"]
    assert not (submitted / "1001").exists() and collected(submitted, "1002") == "# bob"
    many = make_zip(tmp_path / "many.zip", {f"x{i}_{i}_1_spiral.ipynb": b"{}" for i in range(11)})
    with pytest.raises(CollectError, match="11 entries"):
        run(many, tmp_path, limits=limits)
    total = CollectLimits(files=10, total_bytes=100, notebook_bytes=1 << 20)
    with pytest.raises(CollectError, match="add up to more than"):
        run(
            make_zip(tmp_path / "t.zip", {"a_1_1_spiral.ipynb": notebook("x" * 200)}),
            tmp_path,
            limits=total,
        )


def test_unpacked_folder_with_symlink_is_read_without_following(tmp_path):
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / "doejane_1001_501_spiral.ipynb").write_bytes(notebook("jane"))
    (folder / "roebob_1002_502_spiral.ipynb").symlink_to("/etc/hostname")
    report, submitted = run(folder, tmp_path)
    assert collected(submitted, "1001") == "# jane"
    assert "symbolic link" in reasons(report)["roebob_1002_502_spiral.ipynb"]


def test_rerun_is_idempotent_and_an_older_download_never_overwrites(tmp_path):
    new = make_zip(
        tmp_path / "new.zip",
        {
            "doejane_1001_501_spiral.ipynb": notebook("old"),
            "doejane_1001_502_spiral-1.ipynb": notebook("new"),
        },
    )
    old = make_zip(tmp_path / "old.zip", {"doejane_1001_501_spiral.ipynb": notebook("old")})
    first, submitted = run(new, tmp_path)
    assert len(first.collected) == 1
    before = {p: p.stat().st_mtime_ns for p in (submitted / "1001" / ID).iterdir()}
    again, _ = run(new, tmp_path)
    assert again.collected == [] and len(again.unchanged) == 1
    assert {p: p.stat().st_mtime_ns for p in (submitted / "1001" / ID).iterdir()} == before
    older, _ = run(old, tmp_path)
    assert collected(submitted, "1001") == "# new"
    assert "older than what was collected before" in reasons(older)["doejane_1001_501_spiral.ipynb"]


def test_notebook_not_collected_by_us_is_kept(tmp_path):
    submitted = tmp_path / "submitted"
    (submitted / "1001" / ID).mkdir(parents=True)
    (submitted / "1001" / ID / NB).write_bytes(notebook("by hand"))
    report, _ = run(
        make_zip(tmp_path / "d.zip", {"doejane_1001_501_spiral.ipynb": notebook("lms")}), tmp_path
    )
    assert collected(submitted, "1001") == "# by hand"
    assert "not collected from an LMS download" in reasons(report)["doejane_1001_501_spiral.ipynb"]


def test_unsafe_student_ids_from_names_or_roster_are_refused(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("lms_id,student\n1001,.hidden\n1002,ok\n")
    download = make_zip(
        tmp_path / "d.zip",
        {
            "doejane_1001_501_spiral.ipynb": notebook("a"),
            "roebob_1002_502_spiral.ipynb": notebook("b"),
        },
    )
    report, submitted = run(download, tmp_path, roster=read_roster(roster))
    assert "starts with '.'" in reasons(report)["doejane_1001_501_spiral.ipynb"]
    assert sorted(p.name for p in submitted.iterdir()) == ["ok"]


def test_roster_errors_are_specific(tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("id,student\n1,a\n")
    with pytest.raises(CollectError, match="missing column"):
        read_roster(bad)
    bad.write_text("lms_id,student\n1,a\n1,b\n")
    with pytest.raises(CollectError, match="given twice"):
        read_roster(bad)


def test_not_a_zip(tmp_path):
    (tmp_path / "x.zip").write_text("not a zip")
    with pytest.raises(CollectError, match="not a zip file"):
        run(tmp_path / "x.zip", tmp_path)


def test_grade_refuses_an_lms_download(tmp_path):
    loose = tmp_path / "download"
    loose.mkdir()
    (loose / "doejane_1001_501_spiral.ipynb").write_bytes(notebook("x"))
    with pytest.raises(NotCollected, match="nncourse collect"):
        check_not_lms_download(loose, ID)
    moodle = tmp_path / "moodle"
    (moodle / "Jane Doe_77_assignsubmission_file_").mkdir(parents=True)
    (moodle / "Jane Doe_77_assignsubmission_file_" / NB).write_bytes(notebook("x"))
    with pytest.raises(NotCollected, match="collect"):
        check_not_lms_download(moodle, ID)
    ok = tmp_path / "submitted"
    (ok / "jdoe" / ID).mkdir(parents=True)
    (ok / "jdoe" / ID / NB).write_bytes(notebook("x"))
    check_not_lms_download(ok, ID)  # nbgrader's layout: no complaint
