"""Language: which of ten languages four six-letter words come from (1x24x24 one-hot).

Word lists come from Debian dictionaries and two substitutes (Finnish from wordfreq, Zulu from
LibreOffice's Zulu interface translations). Only lowercase entries matching ``[a-x]{6}`` are
kept (no diacritics, no y/z, no proper nouns), and a word found in more than one language is
dropped, so no sample can carry contradictory labels. Each language's vocabulary is split
70/15/15 into disjoint word pools; a sample's four words all come from its split's pool.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from ..encodings import language_images
from ...errors import DataError, SourceError
from ..sources import DebPackage, PipModule, deb_file, deb_root, log, pip_module
from ..splits import SPLIT_NAMES, balanced_labels, partition
from ..tasks import get_task
from .base import Built, Context, Recipe

WORD = re.compile(r"[a-x]{6}")
WORD_FRACTIONS = (0.7, 0.15, 0.15)
WORDFREQ = PipModule("wordfreq", "wordfreq>=3.0")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")   # Debian's Swedish list is ISO-8859-1


def six_letter_words(entries: Iterable[str]) -> set[str]:
    """Keep lowercase entries of exactly six letters a..x (hunspell ``word/FLAGS`` allowed)."""
    out = set()
    for entry in entries:
        word = entry.strip().split("/", 1)[0]
        if WORD.fullmatch(word):
            out.add(word)
    return out


@dataclass(frozen=True)
class WordList:
    """Where one language's words come from: a Debian dictionary file, or a function."""

    language: str
    source: str
    read: Callable[[Context], set[str]]


def _dict_file(package: str, relpath: str) -> Callable[[Context], set[str]]:
    def read(ctx: Context) -> set[str]:
        path = deb_file(DebPackage(package), relpath, ctx.cache)
        return six_letter_words(_decode(path.read_bytes()).splitlines())
    return read


def _finnish(ctx: Context) -> set[str]:
    wordfreq = pip_module(WORDFREQ)
    return six_letter_words(wordfreq.top_n_list("fi", 50000, wordlist="large"))


def _zulu(ctx: Context) -> set[str]:
    """Words of LibreOffice's Zulu UI translations, minus every English word we know of."""
    base = deb_root(DebPackage("libreoffice-l10n-zu"), ctx.cache)
    mo_dir = base / "usr/lib/libreoffice/program/resource/zu/LC_MESSAGES"
    files = sorted(mo_dir.glob("*.mo"))
    if not files:
        raise SourceError(f"no .mo files in {mo_dir}")
    words: set[str] = set()
    for path in files:
        with path.open("rb") as fh:
            catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
        for key, text in catalog.items():
            msgid = key[0] if isinstance(key, tuple) else key
            if text and text != msgid:
                words.update(w.lower() for w in re.findall(r"[^\W\d_]+", text))
    english = _dict_file("wamerican", "usr/share/dict/american-english")(ctx)
    english |= six_letter_words(w.lower() for w in
                                pip_module(WORDFREQ).top_n_list("en", 200000, wordlist="large"))
    return six_letter_words(words) - english


WORD_LISTS = (
    WordList("english", "Debian wamerican (SCOWL)",
             _dict_file("wamerican", "usr/share/dict/american-english")),
    WordList("dutch", "Debian wdutch (OpenTaal)", _dict_file("wdutch", "usr/share/dict/dutch")),
    WordList("german", "Debian wngerman", _dict_file("wngerman", "usr/share/dict/ngerman")),
    WordList("spanish", "Debian wspanish", _dict_file("wspanish", "usr/share/dict/spanish")),
    WordList("french", "Debian wfrench", _dict_file("wfrench", "usr/share/dict/french")),
    WordList("portuguese", "Debian wportuguese", _dict_file("wportuguese", "usr/share/dict/portuguese")),
    WordList("swahili", "Debian hunspell-sw", _dict_file("hunspell-sw", "usr/share/hunspell/sw_TZ.dic")),
    WordList("zulu", "Debian libreoffice-l10n-zu UI translations minus English",
             _zulu),
    WordList("finnish", "PyPI wordfreq (top 50,000 Finnish words)", _finnish),
    WordList("swedish", "Debian wswedish", _dict_file("wswedish", "usr/share/dict/swedish")),
)


def unique_vocabularies(vocab: dict[str, set[str]]) -> dict[str, list[str]]:
    """Drop words shared by two or more languages; sorted lists for determinism."""
    seen: dict[str, int] = {}
    for words in vocab.values():
        for w in words:
            seen[w] = seen.get(w, 0) + 1
    return {lang: sorted(w for w in words if seen[w] == 1) for lang, words in vocab.items()}


def compose_language(vocab: dict[str, list[str]], sizes: tuple[int, int, int],
                     rng: np.random.Generator,
                     ) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, list[set[str]]]]:
    """Samples of four words per split from disjoint per-language word pools.

    Returns the splits and, per language, the three word pools (to check disjointness).
    """
    langs = list(vocab)
    pools: dict[str, list[set[str]]] = {}
    arrays: dict[str, list[np.ndarray]] = {}
    for lang in langs:
        words = np.asarray(vocab[lang])
        parts = partition(len(words), WORD_FRACTIONS, rng)
        arrays[lang] = [words[p] for p in parts]
        pools[lang] = [set(a.tolist()) for a in arrays[lang]]
    splits: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for s, (name, n) in enumerate(zip(SPLIT_NAMES, sizes)):
        labels = balanced_labels(n, len(langs), rng)
        quads = np.empty((n, 4), dtype=object)
        for c, lang in enumerate(langs):
            where = np.flatnonzero(labels == c)
            pool = arrays[lang][s]
            quads[where] = pool[rng.integers(len(pool), size=(len(where), 4))]
        splits[name] = (language_images(quads.tolist()), labels)
    return splits, pools


def make(ctx: Context) -> Built:
    vocab: dict[str, set[str]] = {}
    missing: dict[str, str] = {}
    for wl in WORD_LISTS:
        try:
            words = wl.read(ctx)
        except SourceError as err:
            log(f"language: skipping {wl.language}: {err}")
            missing[wl.language] = str(err)
            continue
        vocab[wl.language] = words
    if len(vocab) < 2:
        raise DataError(f"language: fewer than two word lists available: {missing}")
    unique = unique_vocabularies(vocab)
    log("language: unique six-letter words: "
        + ", ".join(f"{k} {len(v)}" for k, v in unique.items()))
    splits, pools = compose_language(unique, ctx.sizes, ctx.rng("language"))
    notes = {"words": {k: len(v) for k, v in unique.items()},
             "word_pools": {k: [len(p) for p in v] for k, v in pools.items()},
             "missing_languages": missing,
             "sources": {wl.language: wl.source for wl in WORD_LISTS if wl.language in vocab}}
    return Built(splits, tuple(unique), notes)


RECIPES = (
    Recipe("language", make, get_task("language").splits or (50000, 10000, 10000),
           source="word lists: Debian wamerican, wdutch, wngerman, wspanish, wfrench, "
                  "wportuguese, wswedish, hunspell-sw (Swahili), libreoffice-l10n-zu (Zulu UI "
                  "translations); PyPI wordfreq (Finnish)",
           licence="SCOWL (permissive), BSD/CC-BY-3.0 (OpenTaal), GPL-2+ (de, fr, pt, sv), "
                   "public domain (es), LGPL-2.1+ (sw), MPL-2.0 (zu), CC-BY-SA-4.0 data "
                   "(wordfreq fi)",
           split_method="each language's vocabulary split 70/15/15 into disjoint word pools; "
                        "the four words of a sample come from its split's pool only",
           balance="exactly balanced over the available languages (5,000/1,000/1,000 per "
                   "class at full size with all ten)",
           differences="Debian word lists instead of aspell dumps; Finnish from word "
                       "frequencies (some names and loanwords); Zulu from software translations "
                       "(~285 words, some loanwords); words shared by two languages removed; "
                       "a language whose source is unavailable is left out (fewer classes)",
           packages=("deb: wamerican wdutch wngerman wspanish wfrench wportuguese wswedish "
                     "hunspell-sw libreoffice-l10n-zu", "pip: wordfreq")),
)
