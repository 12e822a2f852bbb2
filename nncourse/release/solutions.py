"""Solution notebooks: the instructor's notebook, executed with outputs, markers removed."""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from nncourse.release.generate import tag_notebook

_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def execute_solution(
    source: Path, destination: Path, *, cohort: str, assignment: str, timeout: float = 120
) -> float:
    """Execute a source notebook top to bottom and save it with outputs as the solution.

    Returns:
        The wall time of the execution in seconds.

    Raises:
        RuntimeError: a cell failed; the message names the cell.
    """
    notebook = nbformat.read(source, as_version=4)
    env_backup = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MPLBACKEND")}
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ.pop("MPLBACKEND", None)  # the kernel's inline backend draws the plots
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="nncourse-solution-") as workdir:
            # the kernel's own log stays at errors: its warning that a local, short-lived kernel talks
            # over loopback TCP without encryption only alarms an instructor who can do nothing about it
            client = NotebookClient(
                notebook,
                timeout=timeout,
                kernel_name="python3",
                record_timing=False,
                resources={"metadata": {"path": workdir}},
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
            client.execute()
    except CellExecutionError as exc:
        raise RuntimeError(f"{source} does not run clean: {str(exc)[-1500:]}") from None
    finally:
        for key, value in env_backup.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    seconds = time.monotonic() - started
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source = _MARKER.sub("", cell.source)
    destination.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, destination)
    tag_notebook(destination, cohort=cohort, kind="solution", assignment=assignment)
    return seconds
