"""Limits and constants of the grading engine, in one frozen place."""

from __future__ import annotations

from dataclasses import dataclass

FIRST_SLOT_UID = 60001  # one dedicated unprivileged uid per parallel slot: 60001, 60002, ...


@dataclass(frozen=True)
class GradingLimits:
    """Resource and time limits for one submission.

    Attributes:
        notebook_bytes: largest accepted .ipynb file.
        cells_seconds: wall time for executing all of a notebook's cells.
        call_seconds: wall time for one call into the student's code.
        test_seconds: wall time for one hidden test.
        job_seconds: wall budget for a whole submission; tests still pending after it fail.
        cpu_seconds: RLIMIT_CPU per sandbox process (a backstop behind the wall clocks).
        address_space_bytes: RLIMIT_AS per sandbox process (torch imports fine under 1 GiB).
        processes: RLIMIT_NPROC for the slot uid.
        file_size_bytes: RLIMIT_FSIZE.
        open_files: RLIMIT_NOFILE.
        tmp_bytes: size of the sandbox's private /tmp.
        output_bytes: stdout/stderr kept from the worker (the rest is drained and dropped).
        max_restarts: worker restarts after a hanging cell, each skipping the cell that hung.
        reply_budget_bytes: data one hidden test may receive from the student's code in all (each
            reply is also capped at 256 MiB by the wire).
        grader_memory_bytes: RLIMIT_DATA of the trusted grader process that runs the hidden tests.
        slot_memory_bytes: memory of a whole slot (every process of its sandbox and its /tmp), in a
            cgroup per slot where cgroups are writable (nncourse/sandbox/cgroups.py).
        slot_tasks: processes and threads of a whole slot (the cgroup's pids limit).
        slot_cgroup: whether to make that cgroup (False only to measure what it changes).
    """

    notebook_bytes: int = 20 << 20
    cells_seconds: float = 60.0
    call_seconds: float = 20.0
    test_seconds: float = 60.0
    job_seconds: float = 300.0
    cpu_seconds: int = 300
    address_space_bytes: int = 4 << 30
    processes: int = 64
    file_size_bytes: int = 64 << 20
    open_files: int = 256
    tmp_bytes: int = 256 << 20
    output_bytes: int = 64 << 10
    max_restarts: int = 2
    reply_budget_bytes: int = 512 << 20
    grader_memory_bytes: int = 3 << 30
    slot_memory_bytes: int = 3 << 30
    slot_tasks: int = 128
    slot_cgroup: bool = True

    def worker_rlimits(self) -> dict[str, int]:
        """The rlimits the worker applies to itself before student code runs."""
        return {
            "cpu_seconds": self.cpu_seconds,
            "address_space_bytes": self.address_space_bytes,
            "processes": self.processes,
            "file_size_bytes": self.file_size_bytes,
            "open_files": self.open_files,
        }


@dataclass(frozen=True)
class SimilaritySettings:
    """How a cohort's code is compared (``nncourse similarity``; copydetect's winnowing).

    Attributes:
        noise_tokens: shortest run of matching tokens that counts (copydetect's noise threshold).
        window: winnowing window; every match of ``noise_tokens + window - 1`` tokens is found.
            1 (copydetect's default) keeps every k-gram: winnowing a larger window picks k-grams
            by Python's per-process string hash, so figures would change from run to run.
        threshold: a pair is shown in report.html when this share of one student's compared
            code is found in the other's (chosen above the catalogs' independent solutions).
        min_tokens: ... and the matching code spans at least this many tokens.
        pairs_shown: at most this many pairs in report.html (similarity.csv lists every pair).
        max_chars: a notebook's compared code is cut after this many characters.
    """

    noise_tokens: int = 25
    window: int = 1
    threshold: float = 0.6
    min_tokens: int = 150
    pairs_shown: int = 50
    max_chars: int = 200_000


@dataclass(frozen=True)
class CollectLimits:
    """Caps on an LMS download read by ``nncourse collect`` (a zip bomb stops at these).

    Attributes:
        files: entries in the archive or folder; more stops the collection before any write.
        total_bytes: uncompressed bytes of all notebooks together; more stops the collection.
        notebook_bytes: one notebook, uncompressed (the grader's limit); a larger one is refused.
    """

    files: int = 20000
    total_bytes: int = 2 << 30
    notebook_bytes: int = GradingLimits.notebook_bytes
