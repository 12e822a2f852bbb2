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

    def worker_rlimits(self) -> dict[str, int]:
        """The rlimits the worker applies to itself before student code runs."""
        return {"cpu_seconds": self.cpu_seconds, "address_space_bytes": self.address_space_bytes,
                "processes": self.processes, "file_size_bytes": self.file_size_bytes,
                "open_files": self.open_files}
