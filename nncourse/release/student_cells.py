"""The cells a release adds so a student notebook works alone: package install and public checks.

A student may have nothing but the ``.ipynb`` (a course page, an LMS, Google Colab): no ``checks/``
folder, no otter, sometimes not the course's packages. So the student version's first code cell
installs the pinned student packages that are missing (and only those), and the public checks
travel inside the notebook: in its metadata (``nncourse.public_checks``, for tools such as
``nncourse check``) and in a given cell that defines ``grader`` (a kernel cannot read its own
notebook file on Colab). Each ``grader.check("<item>")`` prints one sentence per item, never a
traceback. Hidden tests never come here: only the source notebook's public check cells.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

# the student packages (no grader stack): import name -> project name in pyproject.toml
STUDENT_PACKAGES = {
    "numpy": "numpy",
    "torch": "torch",
    "matplotlib": "matplotlib",
    "tensorboard": "tensorboard",
}
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
INSTALL_ID, CHECKS_ID = "demo_install", "demo_public_checks"

_INSTALL = """# Course packages: installs the ones missing here (on Colab, say), else does nothing.
import importlib.util
import subprocess
import sys

_missing = [pin for module, pin in {pins!r}.items() if importlib.util.find_spec(module) is None]
if _missing:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *_missing], check=True)
print("installed " + ", ".join(_missing) if _missing
      else "the course's packages are all installed")"""

_CHECKS = '''# Public checks: the cell after each exercise runs them, grader.check("<item>");
# grader.check_all() runs every one. They try a simple case and shapes; the hidden tests
# decide the grade.
class _PublicChecks:
    CHECKS = {checks!r}

    def check(self, item):
        """Run the public checks of one item and print one sentence about them."""
        import traceback

        if item not in self.CHECKS:
            print(f"{{item}}: this notebook has no public checks for it (is the name right?)")
            return
        where = f"<public checks of {{item}}>"
        try:
            exec(compile(self.CHECKS[item], where, "exec"), dict(globals()))
        except NotImplementedError:
            print(f"{{item}}: not implemented yet")
        except Exception as error:  # noqa: BLE001 - every failure becomes one sentence
            lines = [n for f, n in traceback.walk_tb(error.__traceback__)
                     if f.f_code.co_filename == where]
            check = self.CHECKS[item].splitlines()[lines[-1] - 1].strip() if lines else ""
            reason = f"{{type(error).__name__}}: {{error}}"
            if isinstance(error, AssertionError) and str(error):
                reason = str(error)
            elif check:
                reason += f" (in the check `{{check}}`)"
            print(f"{{item}}: FAILED: {{reason}}")
        else:
            print(f"{{item}}: all public checks pass")

    def check_all(self):
        for item in self.CHECKS:
            self.check(item)


grader = _PublicChecks()'''


def student_pins(pyproject: Path) -> dict[str, str]:
    """import name -> pinned requirement of each student package (the course's pyproject.toml)."""
    dependencies = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = {dep.split("==")[0].strip().lower(): dep.strip() for dep in dependencies}
    return {module: pins[project] for module, project in STUDENT_PACKAGES.items()}


def install_source(pins: dict[str, str]) -> str:
    """The first code cell of a student notebook."""
    return _INSTALL.format(pins=pins)


def checks_source(checks: dict[str, str]) -> str:
    """The cell that defines ``grader`` with the public checks (item -> asserts) inside it."""
    return _CHECKS.format(checks=checks)


def requirements_text(pins: dict[str, str]) -> str:
    """``release/requirements.txt``: what a student installs (CPU torch; no grading stack)."""
    lines = [
        "# The student environment: pip install -r requirements.txt (written by nncourse release)",
        f"--extra-index-url {TORCH_CPU_INDEX}",
        *sorted(pins.values()),
    ]
    return "\n".join(lines) + "\n"
