"""HTML pages from the autoescaping Jinja2 templates in ``nncourse/templates/`` (package data).

Every value a template prints is escaped with ``html.escape(..., quote=True)`` unless it is
``Markup`` made here (the stylesheet, numbers formatted by the filters). Texts from students,
test outputs and file names therefore need no escaping by the caller, and must not be marked safe.
"""

from __future__ import annotations

import functools
import html
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent / "templates"
STYLESHEET = "style.css"


def _escape(value: object) -> Markup:
    """Autoescape's finalize step: ``html.escape`` (``'`` -> ``&#x27;``) for every plain value."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def _points(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def _rounded(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{round(value, digits):g}"


def _href(path: str) -> str:
    """A relative link to a file under OUT: every reserved character but ``/`` is quoted."""
    return quote(str(path), safe="/")


def _duration(seconds: float | None) -> str:
    """``5400`` -> ``1 h 30 min``; under a minute -> ``42 s``."""
    if seconds is None:
        return "–"
    total = round(float(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min")]
    return " ".join(f"{n} {unit}" for n, unit in parts if n) or f"{secs} s"


@functools.cache
def environment() -> Environment:
    """The one template environment: autoescaping on, undefined names are errors."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, finalize=_escape,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters.update(points=_points, rounded=_rounded, href=_href, duration=_duration)
    css = (TEMPLATES / STYLESHEET).read_text(encoding="utf-8")
    env.globals["stylesheet"] = Markup(css)
    return env


def render(template: str, **context: object) -> str:
    """Render ``nncourse/templates/<template>`` with ``context``; a complete HTML document."""
    return environment().get_template(template).render(**context)
