"""The HTML of the run report: one page that opens anywhere, with nothing to fetch.

Styles and the table-sorting script are inline and no element points outside the file (no web
fonts, no scripts, no images by address), so a report mailed or copied off a cluster reads the same
with no network. Every string that came from a journal passes through :func:`esc`.
"""

from __future__ import annotations

import html
from typing import Any, Iterable, Optional, Sequence

__all__ = ["esc", "page", "section", "key_values", "table", "cell", "CSS", "SORT_SCRIPT"]

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em auto; max-width: 1200px;
       padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 1.8em;
     border-bottom: 1px solid #ddd; } .sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; font-size: 0.85em; } th, td { padding: 0.2em 0.6em; text-align: left;
        border-bottom: 1px solid #eee; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.sortable th { cursor: pointer; user-select: none; background: #f4f4f4; position: sticky; top: 0; }
table.sortable th[data-dir=asc]::after { content: " \\25B2"; } table.sortable th[data-dir=desc]::after { content: " \\25BC"; }
tr:target { background: #fff6cc; } tr.failed td { color: #a33; } tr.pending td, tr.cached td { color: #777; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.95em; }
pre { white-space: pre-wrap; word-break: break-all; background: #f8f8f8; padding: 0.6em; }
details summary { cursor: pointer; } details code.full { display: block; white-space: pre-wrap; word-break: break-all; }
figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; } figcaption { color: #555; font-size: 0.9em; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8em; } .card { border: 1px solid #ddd; border-radius: 6px;
         padding: 0.4em 0.9em; } .card b { display: block; font-size: 1.3em; }
.wide { overflow-x: auto; } .natural svg { max-width: none; }
"""

#: click a header to sort by it (numbers by value, from data-v), again to reverse; empty cells last
SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var up = th.dataset.dir !== "asc", body = table.tBodies[0];
      table.querySelectorAll("th").forEach(function (h) { delete h.dataset.dir; });
      th.dataset.dir = up ? "asc" : "desc";
      var key = function (row) { var c = row.cells[col], v = c.dataset.v !== undefined ? c.dataset.v : c.textContent;
                                 return v === "" ? null : (isNaN(v) ? v.toLowerCase() : Number(v)); };
      Array.from(body.rows).map(function (r) { return [key(r), r]; }).sort(function (a, b) {
        if (a[0] === null || b[0] === null) { return (a[0] === null) - (b[0] === null); }
        var d = a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; return up ? d : -d;
      }).forEach(function (p) { body.appendChild(p[1]); });
    });
  });
});
"""


def esc(value: Any) -> str:
    """``value`` as HTML text (quotes too, so it is safe in attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def section(title: str, body: str, anchor: str = "") -> str:
    ident = f' id="{esc(anchor)}"' if anchor else ""
    return f"<section{ident}>\n<h2>{esc(title)}</h2>\n{body}\n</section>"


def cell(text: Any, *, value: Any = None, numeric: bool = False, markup: Optional[str] = None) -> str:
    """One ``<td>``: ``text`` escaped (or ``markup`` as it is), ``value`` its sort key."""
    attrs = ' class="num"' if numeric else ""
    if value is not None:
        attrs += f' data-v="{esc(value)}"'
    return f"<td{attrs}>{markup if markup is not None else esc(text)}</td>"


def table(headers: Sequence[str], rows: Iterable[str], *, ident: str = "", sortable: bool = False,
          numeric: Sequence[bool] = ()) -> str:
    """A table of already-built ``<tr>`` rows under escaped headers."""
    attrs = (f' id="{esc(ident)}"' if ident else "") + (' class="sortable"' if sortable else "")
    heads = "".join(f'<th{" class=num" if i < len(numeric) and numeric[i] else ""}>{esc(h)}</th>'
                    for i, h in enumerate(headers))
    body = "\n".join(rows)
    return f"<table{attrs}>\n<thead><tr>{heads}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def key_values(pairs: Iterable[tuple[str, Any]]) -> str:
    """A two-column table of names and values (both escaped)."""
    rows = (f"<tr><th>{esc(k)}</th><td><code>{esc(v)}</code></td></tr>" for k, v in pairs)
    return "<table>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"


def page(title: str, subtitle: str, sections: Iterable[str]) -> str:
    """The whole document."""
    body = "\n\n".join(sections)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"<h1>{esc(title)}</h1>\n<p class=\"sub\">{esc(subtitle)}</p>\n{body}\n"
            f"<script>{SORT_SCRIPT}</script>\n</body>\n</html>\n")
