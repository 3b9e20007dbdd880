"""The on-disk cache of compiled Lark parsers: same trees and errors as compiling, safe fallbacks."""

import threading

import lark
import pytest

import einspace
from einspace import ParseError, parse, parse_terminal
from einspace.language import _lark_build, parser as parser_module
from einspace.language.source import source_of

TEXTS = [
    "sequential(routing[im2col(3,1,1), computation<linear(64)>, col2im], computation<relu>)",
    "branching(8){clone(8), branching(2){group(2,2), computation<linear(64)>, computation<linear(128)>, cat(2,3)}, cat(8,3)}",
    "let block(c) = sequential(linear(c), relu)\nsequential(block(16), block(32), norm)",
    "[S [B clone(2)] [M [C linear(64)]] [M [C identity]] [A add(2)]]",
]
BAD = ["sequential(relu)", "branching(2){clone(4), relu, relu, add(2)}", "routing[im2col(3,1,1), relu",
       "computation<relux>", "let a = relu\nlet a = norm\na", "[S [M [C norm]]"]


def corpus() -> list[str]:
    texts = list(TEXTS)
    for name in einspace.seeds.names():
        texts.append(einspace.seeds.text(name))
    texts += [str(einspace.sample("3x32x32", seed=s)) for s in range(40)]
    return texts


def outcome(text: str):
    try:
        return ("tree", parse(text))
    except ParseError as err:
        return ("error", str(err), err.line, err.column, err.expected, err.hint)


@pytest.fixture
def fresh(monkeypatch):
    """Fresh per-thread parsers (built again under the environment each test sets)."""
    def reset():
        monkeypatch.setattr(parser_module, "_LOCAL", threading.local())
    reset()
    return reset


def _files(folder):
    return sorted(p for p in folder.iterdir() if p.suffix == ".lark") if folder.is_dir() else []


def test_cached_parser_gives_the_same_trees_and_errors(tmp_path, monkeypatch, fresh):
    texts = corpus() + BAD
    monkeypatch.setenv(_lark_build.CACHE_ENV, "")
    fresh()
    expected = [outcome(t) for t in texts]
    terminal = parse_terminal("im2col(3,1,1)")
    assert not _lark_build.loaded_from_cache(parser_module._parsers(source_of(None)).arch)

    monkeypatch.setenv(_lark_build.CACHE_ENV, str(tmp_path))
    for round in ("cold", "warm"):
        fresh()
        parsers = parser_module._parsers(source_of(None))
        assert _lark_build.loaded_from_cache(parsers.arch) == (round == "warm")
        assert [outcome(t) for t in texts] == expected
        assert parse_terminal("im2col(3,1,1)") == terminal
        assert len(_files(tmp_path)) == 3  # arch, derivation, terminal


def test_a_corrupt_cache_file_is_compiled_and_written_again(tmp_path, monkeypatch, fresh):
    monkeypatch.setenv(_lark_build.CACHE_ENV, str(tmp_path))
    want = parse(TEXTS[0])
    (arch,) = _files(tmp_path)
    for garbage in (b"", b"not a cache\n", arch.read_bytes()[:200]):
        arch.write_bytes(garbage)
        fresh()
        assert parse(TEXTS[0]) == want
        fresh()
        assert parse(TEXTS[0]) == want
        assert _lark_build.loaded_from_cache(parser_module._parsers(source_of(None)).arch)


@pytest.mark.parametrize("where", ["file", "below a file"])
def test_an_unusable_cache_folder_falls_back_to_compiling(tmp_path, monkeypatch, fresh, where):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    monkeypatch.setenv(_lark_build.CACHE_ENV, str(blocker if where == "file" else blocker / "sub"))
    assert str(parse(TEXTS[0])) == TEXTS[0]
    assert not _lark_build.loaded_from_cache(parser_module._parsers(source_of(None)).arch)
    assert blocker.read_text() == "a file, not a folder"


def test_syntax_errors_from_a_cached_parser_keep_their_position(tmp_path, monkeypatch, fresh):
    monkeypatch.setenv(_lark_build.CACHE_ENV, str(tmp_path))
    parse(TEXTS[0])
    fresh()
    with pytest.raises(ParseError) as info:
        parse("sequential(computation<relu>,\n  routing[im2col(3,1,1), computation<norm>, col2im)")
    err = info.value
    assert (err.line, err.column) == (2, 51) and "^" in err.excerpt


def test_the_cache_is_keyed_by_grammar_text_and_lark_version(tmp_path, monkeypatch):
    options = {"parser": "lalr", "lexer": "contextual", "transformer": object()}
    source = source_of(None)
    base = _lark_build.cache_path(source, "arch", options, tmp_path)
    assert _lark_build.cache_path(source, "arch", dict(options, transformer=object()), tmp_path) == base
    assert _lark_build.cache_path(source + "\n// edited\n", "arch", options, tmp_path) != base
    assert _lark_build.cache_path(source, "terminal", options, tmp_path) != base
    assert _lark_build.cache_path(source, "arch", dict(options, lexer="basic"), tmp_path) != base
    monkeypatch.setattr(lark, "__version__", "0.0.1")
    assert _lark_build.cache_path(source, "arch", options, tmp_path) != base


def test_the_cache_folder_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(_lark_build.CACHE_ENV, "")
    assert _lark_build.cache_dir() is None
    monkeypatch.setenv(_lark_build.CACHE_ENV, str(tmp_path))
    assert _lark_build.cache_dir() == tmp_path
    monkeypatch.delenv(_lark_build.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _lark_build.cache_dir() == tmp_path / "einspace" / "lark"
