"""Exit codes and messages of the command line on bad input (issue 10, item 7): usage errors exit 2
with a message, negative answers exit 1, and neither ends in a traceback."""

from __future__ import annotations

import json

from einspace.cli.main import main

CONV = "routing[im2col(3,1,1), linear(4), col2im]"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_sample_without_a_finite_size_limit_is_a_usage_error(capsys):
    code, out, err = run(capsys, "sample", "-i", "3x28x28", "--max-depth", "none", "--max-nodes", "none")
    assert code == 2 and out == ""
    assert err.startswith("einspace sample: ") and "max_nodes" in err and "--max-nodes" in err


def test_seed_shown_as_a_tree_at_an_input_it_does_not_fit(capsys):
    code, out, err = run(capsys, "seeds", "show", "resnet_block", "--style", "tree", "--input", "3x32x32")
    assert code == 1 and out == ""
    assert "type error at root.first.agg [add.shapes]" in err
    assert "meant for --input 64x32x32" in err


def test_seed_shown_as_a_tree_at_its_own_input(capsys):
    code, out, _ = run(capsys, "seeds", "show", "resnet_block", "--style", "tree")
    assert code == 0 and "im[64,32,32]" in out.splitlines()[0]


def test_equiv_syntax_error_exits_2_and_not_equivalent_exits_1(capsys):
    code, _, err = run(capsys, "equiv", "sequential(norm", "relu")
    assert code == 2 and "syntax error" in err
    code, out, _ = run(capsys, "equiv", "sequential(norm", "relu", "--json")
    assert code == 2 and json.loads(out)["valid"] is False
    assert run(capsys, "equiv", CONV, "norm")[0] == 1
    assert run(capsys, "equiv", CONV, "norm", "--relation", "forward")[0] == 0


def test_equiv_witness_names_the_side_that_gives_and_the_side_that_refuses(capsys):
    # CONV -> norm holds; norm -> CONV fails on col inputs: B (norm) gives them, A (CONV) refuses them
    code, out, _ = run(capsys, "equiv", CONV, "norm", "--relation", "compatible")
    line = next(x for x in out.splitlines() if x.startswith("complete compatible:"))
    assert code == 1 and "B gives col[" in line and "which A refuses" in line
    code, out, _ = run(capsys, "equiv", "norm", CONV, "--relation", "forward")
    line = next(x for x in out.splitlines() if x.startswith("forward compatible:"))
    assert code == 1 and "A gives col[" in line and "which B refuses" in line


def test_an_unreported_einspace_error_is_a_message(capsys, monkeypatch):
    from einspace.cli import show
    from einspace.errors import GrammarError

    def boom(args):
        raise GrammarError("no such grammar annotation")
    monkeypatch.setattr(show, "run", boom)
    code, _, err = run(capsys, "show", "relu")
    assert code == 1 and err.strip() == "einspace show: error: no such grammar annotation"
