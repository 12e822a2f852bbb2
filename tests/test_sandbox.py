"""The sandbox really isolates: measured properties of a worker, not mocks."""

import json
from pathlib import Path

import pytest

from nncourse.config import FIRST_SLOT_UID, GradingLimits
from nncourse.sandbox.client import Worker
from nncourse.sandbox.launcher import SandboxSpec, acquire_slot, check_sandbox, processes_of

REPO = Path(__file__).resolve().parent.parent

PROBE = r"""
import json, os, socket
facts = {"uid": os.getuid(), "pid": os.getpid(), "hostname": socket.gethostname()}
try:
    socket.create_connection(("127.0.0.1", 22), timeout=1); facts["net"] = "open"
except Exception as exc:
    facts["net"] = type(exc).__name__
for path in ("/work", "/root", "/etc/shadow", "REPO"):
    facts["sees " + path] = os.path.exists(path)
try:
    open("/usr/lib/planted.py", "w"); facts["usr writable"] = True
except OSError:
    facts["usr writable"] = False
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
facts["userns"] = "created" if libc.unshare(0x10000000) == 0 else ctypes.get_errno()
import resource
facts["nproc"] = resource.getrlimit(resource.RLIMIT_NPROC)[0]
facts["core"] = resource.getrlimit(resource.RLIMIT_CORE)[0]
facts["env"] = sorted(os.environ)
FACTS = facts
""".replace("REPO", str(REPO))


@pytest.fixture(scope="module")
def slot():
    check_sandbox(REPO / ".venv")
    number, lock = acquire_slot()
    yield number
    lock.close()


def _facts(slot):
    spec = SandboxSpec(venv=REPO / ".venv", slot=slot, limits=GradingLimits())
    with Worker([{"index": 0, "source": PROBE}], spec) as worker:
        run = worker.run_cells(timeout=30)
        assert run.cells and run.cells[0]["status"] == "ok", run
        session = worker.open_session(seed=1)
        reply, _ = session.request({"op": "global", "name": "FACTS"}, [], timeout=10)
        session.close()
    tree = reply["value"]["dict"]
    return {key: value for key, value in tree}, run


def test_student_code_runs_as_the_slot_uid_without_network_or_host_files(slot):
    facts, run = _facts(slot)
    assert facts["uid"] == FIRST_SLOT_UID + slot
    assert facts["pid"] < 100, "a private pid namespace (host pids are far larger)"
    assert facts["hostname"] == "sandbox"
    assert (
        facts["net"] in ("PermissionError", "OSError", "ConnectionRefusedError")
        and facts["net"] != "open"
    )
    assert not facts["sees /work"] and not facts["sees /root"] and not facts["sees " + str(REPO)]
    assert not facts["usr writable"]
    assert facts["userns"] != "created"
    assert facts["nproc"] == GradingLimits().processes and facts["core"] == 0
    assert "seccomp on" in run.notes


def test_the_environment_is_cleared(slot):
    facts, _ = _facts(slot)
    assert "PIP_FIND_LINKS" not in facts["env"] and "PATH" in facts["env"]


def test_no_process_of_the_slot_uid_outlives_its_worker(slot):
    spec = SandboxSpec(venv=REPO / ".venv", slot=slot, limits=GradingLimits())
    daemon = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(600)\n"
    with Worker([{"index": 0, "source": daemon}], spec) as worker:
        worker.run_cells(timeout=30)
        assert processes_of(spec.uid), "the daemon should be running while the worker lives"
    assert processes_of(spec.uid) == []


def test_results_cross_as_plain_data_never_pickles(slot):
    spec = SandboxSpec(venv=REPO / ".venv", slot=slot, limits=GradingLimits())
    source = "import numpy as np\nclass Evil:\n    def __reduce__(self):\n        return (print, ('pwned',))\nOBJ = Evil()\nARR = np.array([Evil()], dtype=object)\n"
    with Worker([{"index": 0, "source": source}], spec) as worker:
        worker.run_cells(timeout=30)
        session = worker.open_session(seed=1)
        reply, _ = session.request({"op": "global", "name": "OBJ"}, [], timeout=10)
        assert "handle" in reply["value"], "an object crosses as a handle, not as bytes"
        reply, blobs = session.request({"op": "global", "name": "ARR"}, [], timeout=10)
        assert "handle" in json.dumps(reply["value"]) and blobs == [], (
            "object arrays never cross as .npy"
        )
        session.close()


def test_one_slot_runs_submissions_one_after_another_without_leaking_state(slot):
    from nncourse.sandbox.client import SlotServer

    spec = SandboxSpec(venv=REPO / ".venv", slot=slot, limits=GradingLimits())
    mq_open = "import ctypes\nMQ = ctypes.CDLL(None, use_errno=True).mq_open(b'/left', {flags}, 0o600, None)\n"
    first = (
        "import os, time\nopen('/tmp/answers.txt', 'w').write('secret of student one')\n"
        "os.makedirs('/tmp/keep/locked')\nopen('/tmp/keep/locked/answers.txt', 'w').write('secret')\n"
        "os.chmod('/tmp/keep/locked', 0o311)\n"  # a folder its owner can no longer list
        + mq_open.format(flags=0o102)  # O_CREAT | O_RDWR: a queue would outlive the job
        + "if os.fork() == 0:\n    os.setsid()\n    time.sleep(600)\n"
    )
    second = (
        mq_open.format(flags=0o2)
        + "import os\nLEFT = [os.path.exists('/tmp/answers.txt'), os.listdir('/tmp'),\n"
        "        sorted(p for p in os.listdir('/proc') if p.isdigit()), MQ]\n"
    )
    server = SlotServer(spec)
    try:
        job = server.start_job([{"index": 0, "source": first}])
        assert job.run_cells(timeout=30).cells[0]["status"] == "ok"
        assert len(processes_of(spec.uid)) >= 3, "server, job and the daemon run as the slot uid"
        job.close()
        assert server.alive(), "a clean job leaves the slot server reusable"
        assert len(processes_of(spec.uid)) == 1, "only the slot server survives a job"
        job = server.start_job([{"index": 0, "source": second}])
        job.run_cells(timeout=30)
        session = job.open_session(seed=1)
        reply, _ = session.request({"op": "global", "name": "LEFT"}, [], timeout=10)
        session.close()
        job.close()
    finally:
        server.close()
    exists, listing, pids, queue = reply["value"]
    assert exists is False and listing == [], "a job's files, even in folders it locked, are wiped"
    assert queue == -1, "no POSIX message queue survives from one job to the next"
    assert len(pids) <= 5, (
        f"only init, the server, the job, its session and the next one's process: {pids}"
    )


def test_a_closed_test_session_has_ended_before_the_next_one_starts(slot):
    """Closing a session does not wait for its process (the next child is forked ahead of time), yet the
    next test still starts with the previous test's process gone and nothing else running beside it."""
    spec = SandboxSpec(venv=REPO / ".venv", slot=slot, limits=GradingLimits())
    source = (
        "import os\nSTATE = []\ndef visit():\n    STATE.append(os.getpid())\n"
        "    return [os.getpid(), list(STATE), sorted(int(p) for p in os.listdir('/proc') if p.isdigit())]\n"
    )
    seen = []
    with Worker([{"index": 0, "source": source}], spec) as worker:
        assert worker.run_cells(timeout=30).cells[0]["status"] == "ok"
        for seed in (1, 2, 3):
            session = worker.open_session(seed=seed)
            reply, _ = session.request({"op": "global", "name": "visit"}, [], timeout=10)
            reply, _ = session.request(
                {"op": "call", "handle": reply["value"]["handle"]["id"]}, [], timeout=10
            )
            session.close()
            seen.append(reply["value"])
    pids = [pid for pid, _, _ in seen]
    assert len(set(pids)) == 3, "every test runs in a process of its own"
    assert [state for _, state, _ in seen] == [[pid] for pid in pids], (
        "no test sees another test's state"
    )
    for (_, _, running), previous in zip(seen[1:], pids):
        assert previous not in running, (
            "the previous test's process has ended before the next test runs"
        )
        assert len(running) <= 5, (
            "only init, the server, the job, this test's process and the one forked for "
            f"the next test run: {running}"
        )


def test_the_no_torch_guard_stays_on_for_the_rest_of_a_test(slot):
    """A numpy-only result whose torch work runs only when the test reads it later is still refused."""
    spec = SandboxSpec(venv=REPO / ".venv", slot=slot, limits=GradingLimits())
    source = (
        "class Lazy:\n    def numpy(self):\n        import torch\n        return torch.ones(2).numpy()\n"
        "def gradient():\n    return Lazy()\n"
    )

    def handle(reply):
        return reply["value"]["handle"]["id"]

    with Worker([{"index": 0, "source": source}], spec) as worker:
        assert worker.run_cells(timeout=30).cells[0]["status"] == "ok"
        session = worker.open_session(seed=1)
        function, _ = session.request({"op": "global", "name": "gradient"}, [], timeout=10)
        lazy, _ = session.request(
            {"op": "call", "handle": handle(function), "guard": {"no_torch": True}}, [], timeout=10
        )
        method, _ = session.request(
            {"op": "getattr", "handle": handle(lazy), "name": "numpy"}, [], timeout=10
        )
        reply, _ = session.request({"op": "call", "handle": handle(method)}, [], timeout=10)
        session.close()
    assert not reply["ok"] and reply["error"]["type"] == "ForbiddenOperation", reply


def test_a_test_receives_no_more_than_its_budget_from_the_students_code(slot):
    """Results are bytes under a budget per test: past it the grader stops reading, with a clear message."""
    from nncourse.grading.student import Student, StudentError

    spec = SandboxSpec(venv=REPO / ".venv", slot=slot, limits=GradingLimits())
    source = "import numpy as np\ndef big():\n    return np.zeros(100_000)\n"  # 800 kB per call
    with Worker([{"index": 0, "source": source}], spec) as worker:
        assert worker.run_cells(timeout=30).cells[0]["status"] == "ok"
        student = Student(
            lambda: worker.open_session(seed=1), call_seconds=10, budget_bytes=2 << 20
        )
        try:
            assert student.big().shape == (100_000,) and student.big().shape == (100_000,)
            with pytest.raises(StudentError, match="more data than a test accepts"):
                student.big()
        finally:
            student.close()


def test_a_method_of_another_instance_is_looked_up_and_called_in_one_round_trip(slot):
    """Once ``Layer.forward`` was a method, later layers' calls of it take one request (``callattr``),
    in this test and the submission's next ones, with the same results and error labels, and it
    still works as an object."""
    from nncourse.grading.student import Student, StudentError

    spec = SandboxSpec(venv=REPO / ".venv", slot=slot, limits=GradingLimits())
    source = (
        "class Layer:\n    def __init__(self, k):\n        self.k = k\n"
        "    def forward(self, x):\n        return x * self.k\n"
        "    def broken(self):\n        raise ValueError('bad input')\n"
        "def apply(f, x):\n    return f(x)\n"
    )
    ops = []

    class Counting:
        def __init__(self, session):
            self.session = session

        def request(self, header, blobs, *, timeout):
            ops.append(header["op"])
            return self.session.request(header, blobs, timeout=timeout)

        def close(self):
            self.session.close()

    with Worker([{"index": 0, "source": source}], spec) as worker:
        assert worker.run_cells(timeout=30).cells[0]["status"] == "ok"
        methods = set()  # shared by a submission's tests (grading/plugin.py)
        student = Student(
            lambda: Counting(worker.open_session(seed=1)), call_seconds=10, methods=methods
        )
        try:
            first, second = student.Layer(2), student.Layer(3)
            ops.clear()
            assert first.forward(1) == 2 and ops == ["getattr", "call"], ops
            ops.clear()
            assert second.forward(5) == 15 and ops == ["callattr"], ops
            for layer in (first, second):
                with pytest.raises(StudentError, match=r"^Layer.broken raised ValueError"):
                    layer.broken()
            assert student.apply(second.forward, 4) == 12
            assert second.k == 3
        finally:
            student.close()
        # the next test of the submission (same notebook state) starts knowing it
        student = Student(
            lambda: Counting(worker.open_session(seed=2)), call_seconds=10, methods=methods
        )
        try:
            third = student.Layer(4)
            ops.clear()
            assert third.forward(2) == 8 and ops == ["callattr"], ops
        finally:
            student.close()
