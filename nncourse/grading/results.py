"""One result object per submission, serialised as Gradescope's results.json plus our fields."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path

# C0 (but newline and tab), DEL and C1 controls, bidi overrides, line separators and lone surrogates:
# text from a submission that could redraw a terminal, reorder a line or break a UTF-8 file.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


# Caps on every text that can quote a submission (its output, exception types and messages, file or
# folder names): one student's 7 MB file name must not make a 100 MB results.json or journal line.
TEXT_CHARS = 2000  # one rubric line's message, the submission's error, one cell error or note
NAME_CHARS = 200  # an exception type, a "where" (cell and line), a handle's type name
LINES = 100  # cell errors or notes kept per submission


def clip(text: str, limit: int = TEXT_CHARS) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when something was cut."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def visible(text: str) -> str:
    """Text that is safe to show anywhere: each control character becomes a visible escape.

    ``"\\x1b[2J"`` (ESC) becomes the six characters ``\\x1b[2J``; newline and tab stay. Applied to
    every result (the one chokepoint before results.json, grades.csv, HTML pages and the terminal).
    """
    return _INVISIBLE.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )


def _visible_fields(obj: object, names: tuple[str, ...]) -> None:
    """Cap and clean the text fields ``names`` of a frozen dataclass in place (strings and tuples of
    strings): the backstop behind the caps where student text enters."""
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, str):
            object.__setattr__(obj, name, visible(clip(value)))
        elif isinstance(value, (tuple, list)):
            object.__setattr__(
                obj,
                name,
                tuple(visible(clip(v)) if isinstance(v, str) else v for v in value[:LINES]),
            )


@dataclass(frozen=True)
class TestResult:
    """One rubric line: a hidden test with its points."""

    name: str
    number: str
    item: str
    score: float
    max_score: float
    status: str  # "passed" | "failed"
    output: str
    visibility: str = "visible"

    def __post_init__(self) -> None:
        _visible_fields(self, ("name", "number", "item", "output"))


ANSWER_CHARS = 20_000  # a written answer as kept in results.json and shown on the pages

# a written answer's state: a TA has not graded it yet, has graded it, it was left empty (0 points,
# as nbgrader's autograde does) or the notebook has no answer cell for it
WRITTEN_STATES = ("pending", "graded", "empty", "missing")


@dataclass(frozen=True)
class WrittenAnswer:
    """One written answer: the student's text and, once a TA graded it, the score and comment."""

    id: str
    max_score: float
    answer: str
    status: str  # one of WRITTEN_STATES
    score: float | None = None  # None while pending
    comment: str | None = None  # the TA's comment (nbgrader's manual comment)
    question: str = ""  # the question's short title

    def __post_init__(self) -> None:
        object.__setattr__(self, "answer", visible(clip(self.answer, ANSWER_CHARS)))
        _visible_fields(self, ("id", "comment", "question"))


@dataclass(frozen=True)
class SubmissionResult:
    """Everything a TA, a student and the gradebook need about one graded submission."""

    student: str
    assignment: str
    score: float
    max_score: float
    execution_time: float
    status: str  # "graded" | "error"
    error: str | None
    tests: tuple[TestResult, ...] = ()
    cell_errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    sha256: str = ""
    fingerprint: str | None = (
        None  # the grading fingerprint (grading/digest.py) this was graded under
    )
    # lateness (nncourse/late.py); None when unknown. ``score`` is always the final score.
    submitted_at: str | None = None
    due_at: str | None = None
    seconds_late: float | None = None
    raw_score: float | None = None
    penalty: float | None = None
    # written answers graded by a TA (grading/written.py); ``score`` above is the autograded part
    written: tuple[WrittenAnswer, ...] = ()

    def __post_init__(self) -> None:
        # everything below may quote the student's code, output, file or folder names
        _visible_fields(self, ("student", "assignment", "error", "cell_errors", "notes"))

    def item_scores(self) -> dict[str, float]:
        """Points per graded item (nbgrader grade cell ``test_<item>``)."""
        totals: dict[str, float] = {}
        for test in self.tests:
            totals[test.item] = totals.get(test.item, 0.0) + test.score
        return totals

    @property
    def written_score(self) -> float:
        """Points of the written answers graded so far (pending ones count 0)."""
        return sum(w.score or 0.0 for w in self.written)

    @property
    def written_max(self) -> float:
        return sum(w.max_score for w in self.written)

    @property
    def written_pending(self) -> int:
        """How many written answers still wait for a TA."""
        return sum(1 for w in self.written if w.status == "pending")

    def to_json(self) -> dict:
        """Gradescope's schema (score, execution_time, output, tests[]) plus our own fields."""
        data = asdict(self)
        data["tests"] = [asdict(t) for t in self.tests]
        data["written"] = [asdict(w) for w in self.written]
        if not self.written:
            del data["written"]
        data["cell_errors"] = list(self.cell_errors)
        data["notes"] = list(self.notes)
        lines = ([self.error] if self.error else []) + list(self.cell_errors) + list(self.notes)
        data["output"] = "\n".join(lines)
        data["stdout_visibility"] = "hidden"
        return data

    @classmethod
    def from_json(cls, data: dict) -> SubmissionResult:
        tests = tuple(
            TestResult(**{k: t[k] for k in TestResult.__dataclass_fields__}) for t in data["tests"]
        )
        fields = {
            k: data[k]
            for k in cls.__dataclass_fields__
            if k in data and k not in ("tests", "written")
        }
        fields["written"] = tuple(
            WrittenAnswer(**{k: w[k] for k in WrittenAnswer.__dataclass_fields__ if k in w})
            for w in data.get("written") or ()
        )
        fields["cell_errors"] = tuple(fields.get("cell_errors", ()))
        fields["notes"] = tuple(fields.get("notes", ()))
        return cls(**fields, tests=tests)

    def with_student(self, student: str) -> SubmissionResult:
        return replace(self, student=student)

    def write(self, path: Path) -> None:
        """Write atomically, so a killed grader never leaves half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1), encoding="utf-8")
        tmp.replace(path)


def error_result(
    *,
    student: str,
    assignment: str,
    max_score: float,
    error: str,
    sha256: str = "",
    execution_time: float = 0.0,
) -> SubmissionResult:
    """A submission that could not be graded: score 0 with a specific reason."""
    return SubmissionResult(
        student=student,
        assignment=assignment,
        score=0.0,
        max_score=max_score,
        execution_time=execution_time,
        status="error",
        error=error,
        sha256=sha256,
    )


RESULTS_SCHEMA = {
    "type": "object",
    "required": [
        "student",
        "assignment",
        "score",
        "max_score",
        "execution_time",
        "status",
        "error",
        "tests",
    ],
    "properties": {
        "score": {"type": "number"},
        "max_score": {"type": "number"},
        "execution_time": {"type": "number"},
        "status": {"enum": ["graded", "error"]},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "name",
                    "number",
                    "score",
                    "max_score",
                    "status",
                    "output",
                    "visibility",
                ],
                "properties": {
                    "status": {"enum": ["passed", "failed"]},
                    "visibility": {
                        "enum": ["visible", "hidden", "after_due_date", "after_published"]
                    },
                },
            },
        },
    },
}
