"""The command line: check and show, exit codes and the documented JSON."""

import json
import subprocess
import sys

import pytest

from einspace.cli.main import main

S1 = ("routing[im2col(1,1,0), routing[perm(0,2,1), branching(4){clone(4), computation<linear(64)>, cat(4,1)}, "
      "perm(0,2,1)], identity]")
S2 = ("branching(8){clone(8), branching(2){group(2,2), computation<linear(64)>, computation<linear(128)>, "
      "cat(2,3)}, cat(8,3)}")


@pytest.mark.parametrize("text,shape,params", [(S1, [64, 12], 200_960), (S2, [3, 14, 1536], 44_544)])
def test_check_design_examples(cli, text, shape, params):
    code, out, _ = cli("check", text, "--input", "3x28x28")
    assert code == 0 and f"{params:,}" in out
    code, out, _ = cli("check", text, "--input", "3x28x28", "--json")
    obj = json.loads(out)
    assert code == 0 and obj["valid"] is True and obj["output"]["shape"] == shape and obj["params"] == params
    assert obj["input"] == {"mode": "im", "shape": [3, 28, 28]} and obj["flops"] > 0


def test_check_col2im_without_grid(cli):
    code, out, err = cli("check", "routing[identity, computation<linear(64)>, col2im]", "-i", "col:49x16")
    assert code == 1 and "root.post" in err and "col2im.grid" in err
    code, out, _ = cli("check", "routing[identity, computation<linear(64)>, col2im]", "-i", "col:49x16", "--json")
    obj = json.loads(out)
    assert obj["valid"] is False and obj["errors"][0]["path"] == "root.post" and obj["errors"][0]["rule"] == "col2im.grid"


def test_check_malformed_prints_position(cli):
    code, out, err = cli("check", "sequential(relu norm)", "-i", "3x8x8")
    assert code == 1 and "line 1, column 17" in err and "^" in err
    code, out, _ = cli("check", "sequential(relu norm)", "-i", "3x8x8", "--json")
    obj = json.loads(out)
    assert obj["valid"] is False and obj["errors"][0]["column"] == 17


def test_usage_errors_exit_2(cli):
    assert cli("check", "relu", "-i", "3xx8")[0] == 2
    assert cli("check", "@/no/such/file", "-i", "3x8x8")[0] == 2
    with pytest.raises(SystemExit) as info:
        main(["check", "relu"])  # --input missing
    assert info.value.code == 2


def test_arch_from_file_and_stdin(tmp_path, cli, monkeypatch):
    path = tmp_path / "arch.txt"
    path.write_text("# a file\nsequential(norm, relu)\n")
    assert cli("check", f"@{path}", "-i", "3x8x8")[0] == 0
    import io
    monkeypatch.setattr(sys, "stdin", io.StringIO("sequential(norm, relu)"))
    assert cli("show", "-", "--style", "brackets")[1].strip() == "[S [M [C norm]] [M [C relu]]]"


@pytest.mark.parametrize("style", ["canonical", "compact", "brackets"])
def test_show_styles_roundtrip(cli, style):
    code, out, _ = cli("show", S2, "--style", style)
    assert code == 0
    code, out2, _ = cli("show", out, "--style", "canonical")
    assert out2.strip() == S2


def test_show_tree_with_types(cli):
    code, out, _ = cli("show", "routing[im2col(3,1,1), linear(64), col2im]", "--style", "tree", "-i", "3x32x32")
    assert code == 0
    assert out.splitlines()[0] == "routing  im[3,32,32] → im[64,32,32]  1,792 params"


def test_console_script_runs():
    proc = subprocess.run([sys.executable, "-m", "einspace.cli.main", "check", S1, "--input", "3x28x28", "--json"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and json.loads(proc.stdout)["params"] == 200_960


def test_public_names_are_functions_whatever_was_imported_first():
    import importlib

    import einspace
    for module in ("einspace.types.normal_form", "einspace.variation.crossover", "einspace.variation.mutation", "einspace.generate.sampler"):
        importlib.import_module(module)
    for name in ("normalize", "structural_hash", "crossover", "mutate", "sample", "build", "type_equivalent"):
        assert callable(getattr(einspace, name)) and not isinstance(getattr(einspace, name), type(einspace)), name
