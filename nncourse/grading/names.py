"""Which folder names can be students: no invisible characters, no two names that read the same.

A student's folder name becomes a row in the terminal table, ``grades.csv``, the journal and
nbgrader's gradebook. A newline in it forges a row; a zero-width or non-breaking space makes it look
like another student's name; ``Alice`` and ``alice`` (or ``Å`` written with U+212B ANGSTROM SIGN and
with U+00C5) are one person to a TA.
"""

from __future__ import annotations

import unicodedata

# Control and format characters (newline, ESC, zero-width space, bidi marks, soft hyphen...), line
# and paragraph separators; surrogates come from file names that are not valid UTF-8.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def character_problem(name: str) -> str | None:
    """The first character of ``name`` that a student name may not contain, described; else None.

    Refused: Unicode categories Cc, Cf, Cs, Zl and Zp, and every space (Zs) except U+0020.
    """
    for char in name:
        category = unicodedata.category(char)
        if _refused(char):
            label = unicodedata.name(char, "") if category != "Cs" else ""
            return f"U+{ord(char):04X}" + (f" {label}" if label else "") + f" (category {category})"
    return None


def escaped(name: str) -> str:
    """``name`` with every refused character written as an escape (``\\n``, ``\\u200b``): one line,
    no
    invisible character, safe for the terminal, CSV and HTML."""
    return "".join(
        char.encode("unicode_escape").decode("ascii") if _refused(char) else char for char in name
    )


def _refused(char: str) -> bool:
    category = unicodedata.category(char)
    return category in REFUSED_CATEGORIES or (category == "Zs" and char != " ")


def identity(name: str) -> str:
    """The name as a TA reads it: NFKC normalisation and case folding (Unicode's NFKC_Casefold)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def collisions(names: list[str]) -> dict[str, list[str]]:
    """For each name that reads the same as another one, the other names it collides with."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(identity(name), []).append(name)
    return {
        name: [other for other in group if other != name]
        for group in groups.values()
        if len(group) > 1
        for name in group
    }
