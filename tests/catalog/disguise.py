"""Notebooks a student could hand in, and copies disguised the way students disguise them.

Used by ``tests/test_similarity.py`` and the similarity part of ``make bench``. A disguised copy
has its variables renamed, its functions and methods reordered, its layout rewritten and comments
of its own; the graded names (classes, functions, methods, attributes) stay, or it would not pass.
"""

from __future__ import annotations

import ast
import copy
import io
import json
import random
import tokenize
from pathlib import Path

from nncourse import notebook_conventions as conventions

RENAMES = {
    "x": "inputs",
    "grad_out": "upstream",
    "probs": "p_hat",
    "y": "labels",
    "rng": "gen",
    "n_in": "fan_in",
    "n_out": "fan_out",
    "grad": "g",
    "layer": "stage",
    "layers": "stages",
    "eps": "tiny",
    "p": "q",
    "z": "pre",
    "mask": "keep",
    "out": "result",
    "s": "sig",
    "model": "net",
    "loss": "cost",
    "epoch": "ep",
    "logits": "scores",
    "X": "features",
    "tensor": "t",
    "n": "count",
    "i": "idx",
    "batch": "chunk",
    "fig": "figure",
}
COMMENTS = (
    "# my own approach, worked out alone",
    "# TODO tidy up",
    "# as discussed in the lecture",
)


def _rename(source: str, names: dict[str, str]) -> str:
    tokens, previous = [], None
    for tok in tokenize.generate_tokens(io.StringIO(source.strip() + "\n").readline):
        renamed = tok.type == tokenize.NAME and previous != "." and tok.string in names
        tokens.append((tok.type, names[tok.string] if renamed else tok.string))
        previous = tok.string
    return tokenize.untokenize(tokens)


def disguise(source: str, rng: random.Random | None = None) -> str:
    """``source`` renamed, reordered (reversed, or shuffled by ``rng``), re-laid, commented."""
    names = RENAMES if rng is None else {k: v for k, v in RENAMES.items() if rng.random() < 0.7}
    tree = ast.parse(_rename(source, names))
    for node in [tree, *ast.walk(tree)]:
        if isinstance(node, (ast.Module, ast.ClassDef)):
            node.body.reverse() if rng is None else rng.shuffle(node.body)
    lines = []
    for line in ast.unparse(tree).splitlines():
        if line.lstrip().startswith(("def ", "class ")):
            indent = " " * (len(line) - len(line.lstrip()))
            lines.append(indent + (COMMENTS[0] if rng is None else rng.choice(COMMENTS)))
        lines.append(line + ("  # step" if line.endswith(")") else ""))
    return "\n".join(lines) + "\n"


def solution_sources(source_notebook: Path) -> dict[str, str]:
    """grade_id -> source of every solution cell of an instructor's notebook (markers kept)."""
    data = json.loads(source_notebook.read_text(encoding="utf-8"))
    return {
        conventions.grade_id(c): conventions.source_text(c)
        for c in conventions.solution_cells(data)
    }


def paste(
    release_notebook: Path, answers: dict[str, str], target: Path, extra: tuple[str, ...] = ()
) -> Path:
    """Write the release notebook with ``answers`` (grade_id -> source) and own cells at the end."""
    data = copy.deepcopy(json.loads(release_notebook.read_text(encoding="utf-8")))
    for cell in data["cells"]:
        if conventions.grade_id(cell) in answers:
            cell["source"] = answers[conventions.grade_id(cell)].strip("\n") + "\n"
    data["cells"] += [
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": source,
            "id": f"own{i}",
        }
        for i, source in enumerate(extra)
    ]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data), encoding="utf-8")
    return target
