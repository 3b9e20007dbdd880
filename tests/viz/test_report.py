"""The HTML run report and the ``runs plot`` / ``runs report`` commands, on journals of small proxy
searches: the page parses with balanced tags, holds one row per trial, escapes what it prints,
inlines its pictures and points at nothing outside itself."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from einspace.search import Journal
from einspace.viz.report import write_report


#: elements that never have a closing tag in HTML
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "wbr", "source", "area", "base", "embed", "track"}


class Tags(HTMLParser):
    """Collects every start tag with its attributes and checks that tags nest and close."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.starts: list[tuple[str, dict, tuple[str, ...]]] = []   # (tag, attrs, open ancestors)
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, dict(attrs), tuple(self.stack)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.starts.append((tag, dict(attrs), tuple(self.stack)))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def report(runs, tmp_path_factory):
    path = write_report(runs[0], tmp_path_factory.mktemp("report") / "sub" / "r.html")
    text = path.read_text(encoding="utf-8")
    tags = Tags()
    tags.feed(text)
    tags.close()
    return text, tags


def inside(tags, tag, ident):
    """Start tags inside the element ``<tag id=ident>``."""
    opened = [i for i, (t, a, _) in enumerate(tags.starts) if t == tag and a.get("id") == ident]
    assert len(opened) == 1
    depth = len(tags.starts[opened[0]][2])
    out = []
    for t, a, ancestors in tags.starts[opened[0] + 1:]:
        if len(ancestors) <= depth:
            break
        out.append((t, a))
    return out


def test_the_report_parses_with_balanced_tags(report):
    _, tags = report
    assert tags.errors == [] and tags.stack == []
    assert [t for t, _, _ in tags.starts[:3]] == ["html", "head", "meta"]


def test_one_row_per_trial_plus_the_header_and_every_id(runs, report):
    _, tags = report
    with Journal(runs[0]) as log:
        trials = log.trials()
    rows = [a for t, a in inside(tags, "table", "trials") if t == "tr"]
    assert len(rows) == len(trials) + 1
    assert [a.get("id") for a in rows[1:]] == [f"t{t.id}" for t in trials]
    cells = [t for t, _ in inside(tags, "table", "trials") if t in ("td", "th")]
    assert cells.count("th") == 8 and cells.count("td") == 8 * len(trials)
    states = {a["class"] for a in rows[1:]}
    assert states == {"finished", "failed", "cached"}


def test_it_points_at_nothing_outside_itself(report):
    text, tags = report
    links = [v for _, a, _ in tags.starts for k, v in a.items() if k in ("src", "href", "xlink:href") and v]
    assert links and all(v.startswith("#") for v in links)
    assert not [t for t, a, _ in tags.starts if t in ("link", "img", "iframe") or (t == "script" and "src" in a)]
    assert "url(http" not in text and "@import" not in text and "<!DOCTYPE svg" not in text


def test_the_plots_and_the_best_tree_are_inline_svg(runs, report):
    text, tags = report
    svgs = [a for t, a, _ in tags.starts if t == "svg"]
    assert len(svgs) == 6   # five plots and the best architecture
    with Journal(runs[0]) as log:
        best = log.best()
    assert 'id="root"' in text   # draw_tree's gid of the root box
    body = "".join(tags.text)
    assert best.arch in body   # printed in full (after unescaping)
    assert "Lineage of trial" in body and "Best score so far" in body


def test_every_string_is_escaped(report, message):
    text, tags = report
    assert message not in text and not re.search(r"computation<(?!/)", text)   # </text> may follow the word
    titles = [a.get("title") for t, a, _ in tags.starts if t == "tr" and a.get("title")]
    assert message in titles   # the failure message, escaped in the attribute, reads back whole
    assert [t for t, _, _ in tags.starts].count("script") == 1


def test_the_configuration_and_counts_are_there(report):
    body = " ".join(report[1].text)
    for word in ("tournament", "population", "finished", "failed", "cached", "pending", "nan"):
        assert word in body


def test_a_report_of_a_run_with_nothing_scored(runs, tmp_path):
    text = write_report(runs[2], tmp_path / "p.html").read_text()
    tags = Tags()
    tags.feed(text)
    assert tags.errors == [] and "No trial has a score yet" in text
    assert len([a for t, a in inside(tags, "table", "trials") if t == "tr"]) == 2


def test_runs_report_and_runs_plot_write_their_files(runs, tmp_path, cli):
    code, out, err = cli("runs", "report", str(runs[0]), "-o", str(tmp_path / "r.html"))
    assert code == 0 and out.strip() == str(tmp_path / "r.html") and (tmp_path / "r.html").stat().st_size > 10_000
    code, out, err = cli("runs", "plot", str(runs[0]), str(runs[1]), "-o", str(tmp_path / "plots"))
    assert code == 0 and len(out.split()) == 14
    assert {p.suffix for p in (tmp_path / "plots").iterdir()} == {".svg", ".png"}


def test_runs_plot_and_report_refuse_bad_input(runs, tmp_path, cli):
    missing = str(tmp_path / "missing.db")
    code, out, err = cli("runs", "report", missing, "-o", str(tmp_path / "r.html"))
    assert code == 1 and "missing.db" in err and not (tmp_path / "r.html").exists()
    code, out, err = cli("runs", "plot", str(runs[0]), missing, "-o", str(tmp_path / "p"))
    assert code == 1 and "missing.db" in err and not (tmp_path / "p").exists()
    (tmp_path / "file").write_text("x")
    assert cli("runs", "plot", str(runs[0]), "-o", str(tmp_path / "file"))[0] == 2
    assert cli("runs", "report", str(runs[0]), "-o", str(tmp_path))[0] == 2
    with pytest.raises(SystemExit) as stop:
        cli("runs", "report", str(runs[0]))
    assert stop.value.code == 2
