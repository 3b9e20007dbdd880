"""``einspace draw``: writes png, svg, pdf and dot files; reports bad architectures like check does
(exit 1, the path and the node, no traceback) and usage errors with exit 2."""

from __future__ import annotations

import pytest

MAGIC = {".png": b"\x89PNG", ".svg": b"<?xml", ".pdf": b"%PDF", ".dot": b"digraph"}
BLOCK = "seed:resnet_block"


@pytest.mark.parametrize("suffix", sorted(MAGIC))
@pytest.mark.parametrize("kind", ["tree", "graph"])
def test_writes_every_format(cli, tmp_path, suffix, kind):
    out = tmp_path / f"picture{suffix}"
    code, _, err = cli("draw", BLOCK, "--input", "64x32x32", "--kind", kind, "--types", "-o", str(out))
    assert code == 0, err
    assert out.read_bytes().startswith(MAGIC[suffix]) and out.stat().st_size > 200
    assert f"wrote {out}" in err


def test_resnet18_tree_and_graph(cli, tmp_path):
    for kind in ("tree", "graph"):
        out = tmp_path / f"rn18-{kind}.png"
        code, _, err = cli("draw", "seed:resnet18", "--input", "3x32x32", "--kind", kind, "-o", str(out))
        assert code == 0, err
        assert out.stat().st_size > 10_000


def test_tree_needs_no_input_and_graph_can_expand(cli, tmp_path):
    assert cli("draw", "sequential(norm, relu)", "-o", str(tmp_path / "t.svg"))[0] == 0
    arch = "branching(4){clone(4), linear(8), cat(4,1)}"
    out = tmp_path / "g.dot"
    assert cli("draw", arch, "-i", "col:4x8", "-k", "graph", "--expand", "-o", str(out))[0] == 0
    assert out.read_text().count("linear(8)") == 4


def test_an_ill_typed_architecture_is_reported_with_exit_1(cli, tmp_path):
    out = tmp_path / "bad.png"
    for kind in ("tree", "graph"):
        code, _, err = cli("draw", "routing[identity, linear(64), col2im]", "--input", "col:49x16",
                           "--kind", kind, "-o", str(out))
        assert code == 1
        assert "type error at root.post [col2im.grid]" in err and "node: col2im" in err
        assert "Traceback" not in err
    assert not out.exists()


def test_a_syntax_error_is_reported_with_exit_1(cli, tmp_path):
    code, _, err = cli("draw", "sequential(norm", "-o", str(tmp_path / "x.png"))
    assert code == 1 and err.startswith("syntax error")


@pytest.mark.parametrize("argv,message", [
    (["-o", "x.gif"], "cannot tell the format"),
    (["--kind", "graph", "-o", "x.png"], "needs --input"),
    (["--input", "nonsense", "-o", "x.png"], ""),
    (["--dpi", "0", "-o", "x.png"], "--dpi"),
])
def test_usage_errors_exit_2(cli, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli("draw", BLOCK, *argv)
    assert code == 2 and message in err


def test_missing_output_is_a_usage_error(cli):
    with pytest.raises(SystemExit) as exit_:
        cli("draw", BLOCK)
    assert exit_.value.code == 2


def test_an_unwritable_output_is_a_usage_error(cli, tmp_path):
    code, _, err = cli("draw", BLOCK, "-o", str(tmp_path / "missing" / "x.png"))
    assert code == 2 and "cannot write" in err
