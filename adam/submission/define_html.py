"""define.html: the define rendered for reading in a browser (a Jinja template,
autoescaped: every text of the data is shown as text): a table of contents, one table
per dataset (variables with label, type, length, format, codelist, origin and method,
keys, the leaf to the XPT file), the value-level metadata, the codelists with their
terms, the methods and the comments, each linked from where it is used."""

from __future__ import annotations

from pathlib import Path

from adam.submission.define_xml import DefineContent


def render_define_html(content: DefineContent) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    return env.get_template("define.html.j2").render(define=content, anchor=_anchor)


def _anchor(oid: str) -> str:
    """An HTML id for an OID (letters, digits, '-', '_', '.')."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(oid))


def write_define_html(content: DefineContent, path: str | Path, inputs=()) -> Path:
    from adam.io.atomic import write_text

    write_text(Path(path), render_define_html(content), inputs=inputs)
    return Path(path)
