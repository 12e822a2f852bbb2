"""Grading on a Dask cluster: a scheduler and two `nncourse worker`s on 127.0.0.1, started and stopped
by these tests (by their pids), grade the toy cohort exactly as `--jobs 2` does; a worker killed
mid-batch costs time only; a remote or TLS scheduler without certificates is refused.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import REPO, TOY, toy_notebook

from nncourse.cluster.address import ClusterRefused, TlsFiles, check_cluster

pytestmark = pytest.mark.timeout(480)

A = "01-toy"
PYTHON = str(REPO / ".venv" / "bin" / "python")
NNCOURSE = str(REPO / ".venv" / "bin" / "nncourse")
FAST = ["--jobs", "2"]


def _start(argv: list[str], *, cwd: Path, log: Path, env: dict | None = None) -> subprocess.Popen:
    with open(log, "wb") as sink:  # its own session: stopped with its children, by its pid
        return subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)  # the group this test started (the pid is its leader)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


def _workers_joined(scheduler_file: Path, count: int, timeout: float = 90) -> None:
    from distributed import Client

    with Client(scheduler_file=str(scheduler_file), timeout=30) as client:
        client.wait_for_workers(count, timeout=timeout)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The toy course, a cohort of six (two of them sleep a little so a batch lasts a while)."""
    tmp = tmp_path_factory.mktemp("cluster")
    root = tmp / "toycourse"
    shutil.copytree(TOY, root)
    (root / ".venv").symlink_to(REPO / ".venv")
    (root / ".nncourse-secret").write_text("toy-secret")
    submitted = tmp / "submitted"
    slow = ["import time\ntime.sleep(2)"]
    toy_notebook(submitted / "alice" / A / "toy.ipynb")
    toy_notebook(submitted / "bob" / A / "toy.ipynb", body="    return x + 2")
    toy_notebook(submitted / "carol" / A / "toy.ipynb", body="    raise ValueError()")
    toy_notebook(submitted / "dave" / A / "toy-2.ipynb", extra_cells=slow)  # a renamed attempt
    toy_notebook(submitted / "erin" / A / "toy.ipynb", extra_cells=slow, body="    return 2 * x")
    (submitted / "frank" / A).mkdir(parents=True)
    (submitted / "frank" / A / "toy.ipynb").write_text("{not a notebook")
    return {"root": root, "submitted": submitted, "tmp": tmp}


@pytest.fixture
def cluster(course, tmp_path):
    """A scheduler and two single-process workers on 127.0.0.1; all stopped after the test."""
    scheduler_file = tmp_path / "scheduler.json"
    started = []
    try:
        started.append(
            _start(
                [PYTHON, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0"]
                + ["--no-dashboard", "--scheduler-file", str(scheduler_file)],
                cwd=tmp_path,
                log=tmp_path / "scheduler.log",
            )
        )
        deadline = time.monotonic() + 60
        while not scheduler_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert scheduler_file.is_file(), (tmp_path / "scheduler.log").read_text()[-2000:]
        for n in range(2):
            started.append(
                _start(
                    [NNCOURSE, "worker", str(scheduler_file), "--nworkers", "1"],
                    cwd=course["root"],
                    log=tmp_path / f"worker{n}.log",
                )
            )
        _workers_joined(scheduler_file, 2)
        yield {"file": scheduler_file, "scheduler": started[0], "workers": started[1:]}
    finally:
        for process in reversed(started):
            _stop(process)


def _grade(course, out: Path, *options: str, background: bool = False):
    argv = [NNCOURSE, "grade", str(course["submitted"]), "-a", A, "-o", str(out), *options]
    argv += ["--db", f"sqlite:///{out.parent / (out.name + '.db')}"]
    if background:
        return subprocess.Popen(
            argv, cwd=course["root"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    return subprocess.run(argv, cwd=course["root"], capture_output=True, text=True, timeout=300)


def _journal(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def local_run(course):
    out = course["tmp"] / "local"
    done = _grade(course, out, *FAST)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_the_cluster_grades_exactly_like_two_local_jobs(course, cluster, local_run):
    out = course["tmp"] / "on-cluster"
    done = _grade(course, out, "--cluster", str(cluster["file"]))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "grading on the Dask cluster at tcp://127.0.0.1:" in done.stderr
    assert (out / "grades.csv").read_text() == (local_run / "grades.csv").read_text()
    for student in ("alice", "bob", "carol", "dave", "erin", "frank"):
        ours = json.loads((out / student / A / "results.json").read_text())
        theirs = json.loads((local_run / student / A / "results.json").read_text())
        for varying in ("execution_time",):
            ours.pop(varying, None), theirs.pop(varying, None)
        assert ours == theirs, f"{student}'s results.json differs from the local run"
    assert "grader error" not in (out / "grades.csv").read_text()


def test_a_worker_killed_mid_batch_costs_only_time(course, cluster):
    out = course["tmp"] / "killed"
    run = _grade(course, out, "--cluster", str(cluster["file"]), background=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (
            (out / "journal.jsonl").is_file() and (out / "journal.jsonl").read_text().strip()
        ):
            time.sleep(0.1)
        victim = _busy_worker(cluster)
        assert victim.poll() is None, "the worker was still running"
        os.killpg(victim.pid, signal.SIGKILL)  # the worker, its nanny and its sandbox
        victim.wait(timeout=20)
        stdout, stderr = run.communicate(timeout=300)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, stderr[-3000:]
    students = [record["student"] for record in _journal(out)]
    assert sorted(students) == ["alice", "bob", "carol", "dave", "erin", "frank"], (
        "each student recorded exactly once"
    )
    grades = (out / "grades.csv").read_text()
    assert "grader error" not in grades, grades
    assert "alice,01-toy,3," in grades and "erin,01-toy,3," in grades
    from distributed import Client

    with Client(scheduler_file=str(cluster["file"]), timeout=30) as client:
        removed = [e for _, e in client.get_events("all") if e.get("action") == "remove-worker"]
    assert removed and removed[0]["processing-tasks"], (
        f"the worker was killed while grading a submission (scheduler's events: {removed})"
    )


def _busy_worker(cluster, seconds: float = 60):
    """The started worker that is grading a submission now (by the scheduler's view), so that the
    kill lands mid-task whichever worker the scheduler gave the next submission to."""
    from distributed import Client

    with Client(scheduler_file=str(cluster["file"]), timeout=30) as client:
        pids = client.run(os.getpid)  # {worker address: its process id}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for address, keys in client.processing().items():
                if keys and address in pids:
                    try:
                        group = os.getpgid(pids[address])
                    except ProcessLookupError:
                        continue
                    for process in cluster["workers"]:
                        if process.pid == group:
                            return process
            time.sleep(0.05)
    raise AssertionError("no worker was grading a submission within a minute")


def test_a_driver_killed_mid_batch_resumes_on_rerun(course, cluster):
    out = course["tmp"] / "driver-killed"
    run = _grade(course, out, "--cluster", str(cluster["file"]), background=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (
            (out / "journal.jsonl").is_file() and (out / "journal.jsonl").read_text().strip()
        ):
            time.sleep(0.1)
        run.send_signal(signal.SIGKILL)  # the driver process this test started
        run.communicate(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
    first = [record["student"] for record in _journal(out)]
    assert 1 <= len(first) < 6, f"killed mid-batch (journal had {first})"
    rerun = _grade(course, out, "--cluster", str(cluster["file"]))
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"already graded {len(first)}" in rerun.stdout, rerun.stdout[-500:]
    students = sorted(record["student"] for record in _journal(out))
    assert students == ["alice", "bob", "carol", "dave", "erin", "frank"], (
        "each student recorded exactly once across the killed run and the rerun"
    )
    assert "grader error" not in (out / "grades.csv").read_text()


def test_a_scheduler_lost_mid_batch_stops_the_batch_without_recording_errors(course, cluster):
    out = course["tmp"] / "scheduler-lost"
    run = _grade(course, out, "--cluster", str(cluster["file"]), background=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (
            (out / "journal.jsonl").is_file() and (out / "journal.jsonl").read_text().strip()
        ):
            time.sleep(0.1)
        os.killpg(cluster["scheduler"].pid, signal.SIGKILL)  # the scheduler this test started
        stdout, stderr = run.communicate(timeout=240)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 2, stderr[-3000:]
    assert "was lost" in stderr and "Run the same command again" in stderr, stderr[-3000:]
    assert "Traceback" not in stderr, "one clear line, not Dask's tracebacks"
    records = _journal(out)
    assert 1 <= len(records) < 6
    assert not [r for r in records if (r["result"]["error"] or "").startswith("grader error")], (
        "the students still pending were not recorded as errors: the rerun grades them"
    )


def test_a_worker_with_another_course_secret_refuses_to_grade(course, tmp_path):
    scheduler_file = tmp_path / "scheduler.json"
    started = [
        _start(
            [PYTHON, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0"]
            + ["--no-dashboard", "--scheduler-file", str(scheduler_file)],
            cwd=tmp_path,
            log=tmp_path / "scheduler.log",
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        started.append(
            _start(
                [NNCOURSE, "worker", str(scheduler_file)],
                cwd=course["root"],
                log=tmp_path / "worker.log",
                env={**os.environ, "NNCOURSE_SECRET": "not-the-course-secret"},
            )
        )
        _workers_joined(scheduler_file, 1)
        out = tmp_path / "out"
        done = _grade(course, out, "--cluster", str(scheduler_file))
    finally:
        for process in reversed(started):
            _stop(process)
    assert done.returncode == 0, done.stderr[-3000:]
    results = [record["result"] for record in _journal(out)]
    assert len(results) == 6
    for result in results:  # each one refused, none graded with the wrong secret
        assert "grades 01-toy differently from the driver" in (result["error"] or ""), result


def test_remote_or_tls_schedulers_need_certificates(tmp_path):
    with pytest.raises(ClusterRefused, match="tls://"):
        check_cluster("tcp://10.1.2.3:8786", tls=None)
    with pytest.raises(ClusterRefused, match="--tls-ca"):
        check_cluster("tls://grader.example.org:8786", tls=None)
    with pytest.raises(ClusterRefused, match="--tls-ca"):
        check_cluster("tls://127.0.0.1:8786", tls=None)
    files = TlsFiles(ca=tmp_path / "ca.pem", cert=tmp_path / "c.pem", key=tmp_path / "c.key")
    for path in (files.ca, files.cert, files.key):
        path.write_text("x")
    files.key.chmod(0o600)
    check_cluster("tls://10.1.2.3:8786", tls=files)  # complete: accepted
    with pytest.raises(ClusterRefused, match="--insecure is refused"):
        check_cluster("tls://10.1.2.3:8786", tls=files, insecure=True)
    files.key.chmod(0o644)
    with pytest.raises(ClusterRefused, match="readable by others"):
        check_cluster("tls://10.1.2.3:8786", tls=files)
    check_cluster("tcp://127.0.0.1:8786", tls=None)  # this machine only: plain tcp is fine


def test_the_grade_command_refuses_a_remote_scheduler_without_tls(course, tmp_path):
    done = _grade(course, tmp_path / "out", "--cluster", "tcp://10.1.2.3:8786")
    assert done.returncode == 2
    assert "a remote scheduler needs tls://" in done.stderr
    assert not (tmp_path / "out" / "journal.jsonl").exists(), "refused before grading anything"


def _certificates(folder: Path) -> tuple[TlsFiles, TlsFiles]:
    """A throwaway CA, and (CA, certificate, key) for the nodes and for the grading client."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=60)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=ca"
    )
    for name in ("node", "client"):
        openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2",
        )  # fmt: skip
        (folder / f"{name}.key").chmod(0o600)
    return tuple(
        TlsFiles(ca=folder / "ca.pem", cert=folder / f"{n}.pem", key=folder / f"{n}.key")
        for n in ("node", "client")
    )


def _handshake(address: str, ca: Path, mine: TlsFiles | None) -> str:
    """ "refused" when the scheduler ends a TLS connection at once, "accepted" when it waits."""
    import socket
    import ssl

    host, port = address.removeprefix("tls://").rsplit(":", 1)
    context = ssl.create_default_context(cafile=str(ca))
    context.check_hostname = False  # Dask's certificates name no host
    if mine is not None:
        context.load_cert_chain(str(mine.cert), str(mine.key))
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        try:
            with context.wrap_socket(raw) as tls:
                tls.settimeout(3)
                return "refused" if tls.recv(1) == b"" else "accepted"
        except TimeoutError:
            return "accepted"  # the scheduler waits for the client to speak
        except (ssl.SSLError, ConnectionError):
            return "refused"


def test_a_tls_cluster_grades_with_certificates_and_refuses_a_client_without(course, tmp_path):
    from distributed import Client

    from nncourse.cluster.address import security

    node, client_files = _certificates(tmp_path)
    scheduler_file = tmp_path / "scheduler.json"
    tls = ["--tls-ca-file", str(node.ca), "--tls-cert", str(node.cert), "--tls-key", str(node.key)]
    started = [
        _start(
            [PYTHON, "-m", "dask", "scheduler", "--protocol", "tls", "--host", "127.0.0.1"]
            + ["--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file), *tls],
            cwd=tmp_path,
            log=tmp_path / "scheduler.log",
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tls://127.0.0.1:")
        assert _handshake(address, node.ca, None) == "refused", "a client without certificate"
        assert _handshake(address, node.ca, client_files) == "accepted", "the same with one"
        started.append(
            _start(
                [NNCOURSE, "worker", address, "--tls-ca", str(node.ca), "--tls-cert"]
                + [str(node.cert), "--tls-key", str(node.key)],
                cwd=course["root"],
                log=tmp_path / "worker.log",
            )
        )
        with Client(address, security=security(client_files), timeout=30) as client:
            client.wait_for_workers(1, timeout=90)
        refused = _grade(course, tmp_path / "no-cert", "--cluster", address)
        assert refused.returncode == 2 and "give --tls-ca" in refused.stderr, refused.stderr
        out = tmp_path / "tls"
        done = _grade(
            course, out, "--cluster", address, "--tls-ca", str(client_files.ca),
            "--tls-cert", str(client_files.cert), "--tls-key", str(client_files.key),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        assert len(_journal(out)) == 6 and "grader error" not in (out / "grades.csv").read_text()
    finally:
        for process in reversed(started):
            _stop(process)


def test_tls_files_come_from_the_options_or_from_dasks_configuration(tmp_path):
    import dask.config

    from nncourse.cluster.cli import tls_files

    a, b, c = (tmp_path / name for name in ("ca.pem", "me.pem", "me.key"))
    assert tls_files(a, b, c) == TlsFiles(ca=a, cert=b, key=c)
    with pytest.raises(ClusterRefused, match="all of --tls-ca"):
        tls_files(a, None, c)
    with dask.config.set({"distributed.comm.tls.ca-file": None}):
        assert tls_files(None, None, None) is None
    configured = {
        "distributed.comm.tls.ca-file": str(a),
        "distributed.comm.tls.worker.cert": str(b),
        "distributed.comm.tls.worker.key": str(c),
    }
    with dask.config.set(configured):
        assert tls_files(None, None, None, role="worker") == TlsFiles(ca=a, cert=b, key=c)
        assert tls_files(None, None, None, role="client") is None, (
            "a worker's files are not a client's"
        )
