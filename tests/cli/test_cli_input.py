"""Hostile command-line input (issue 17, item 4): files and standard input are read with a bound,
binary and non-UTF-8 text, FIFOs and devices are refused quickly, bad grammar files, roots and
counts are usage errors (exit 2) with a message, never a traceback; ``build`` refuses what it
cannot allocate, also as JSON."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from einspace.cli.reading import MAX_INPUT_BYTES

ROOT = Path(__file__).resolve().parents[2]
BIG_CONV = "routing[im2col(1024,1,0), linear(2048), col2im]"


def einspace_process(*argv: str, stdin=None, input: bytes | None = None) -> subprocess.CompletedProcess:
    """The CLI as a process (for standard input and FIFOs), with a timeout so a hang fails the test."""
    command = "import sys; from einspace.cli.main import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", command, *argv], stdin=stdin, input=input,
                          capture_output=True, timeout=60, cwd=ROOT)


def refused(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and all(w in err for w in words), err


# --- @file --------------------------------------------------------------------------------------------

def test_a_file_with_a_bom_is_read(run, tmp_path):
    f = tmp_path / "arch.txt"
    f.write_bytes(b"\xef\xbb\xbfsequential(linear(4), relu)\n")
    assert run("check", f"@{f}", "-i", "col:2x3")[0] == 0


@pytest.mark.parametrize("content, words", [(b"relu\x00\x01\x02", ("binary", "NUL")),
                                            (b"linear(4)\xe9", ("not UTF-8", "0xe9")),
                                            (bytes(range(128, 256)) * 4, ("not UTF-8",))])
def test_binary_and_latin_1_files_are_refused(run, tmp_path, content, words):
    f = tmp_path / "arch.bin"
    f.write_bytes(content)
    code, out, err = run("check", f"@{f}", "-i", "3x8x8")
    refused(code, err, str(f), *words)
    assert out == ""


def test_a_file_over_the_bound_is_refused_without_reading_it(run, tmp_path):
    f = tmp_path / "huge.txt"
    with open(f, "wb") as handle:
        handle.truncate(MAX_INPUT_BYTES + 1)  # sparse: nothing to read, the size alone refuses it
    code, _, err = run("show", f"@{f}")
    refused(code, err, "over 64 MiB")


@pytest.mark.parametrize("path, kind", [("/dev/zero", "character device"), ("/dev/urandom", "character device"),
                                        ("/dev/null", "character device"), ("/", "directory")])
def test_devices_and_directories_are_refused_at_once(run, path, kind):
    if not os.path.exists(path):
        pytest.skip(f"no {path} here")
    started = time.perf_counter()
    code, _, err = run("check", f"@{path}", "-i", "3x8x8")
    refused(code, err, kind, "not a regular file")
    assert time.perf_counter() - started < 2


def test_a_missing_file_is_a_usage_error(run, tmp_path):
    code, _, err = run("check", f"@{tmp_path / 'nope'}", "-i", "3x8x8")
    refused(code, err, "No such file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    started = time.perf_counter()
    done = einspace_process("check", f"@{fifo}", "-i", "3x8x8")
    assert done.returncode == 2 and b"FIFO" in done.stderr and b"Traceback" not in done.stderr
    assert time.perf_counter() - started < 30


# --- standard input -------------------------------------------------------------------------------

def test_stdin_with_a_bom_is_accepted(run, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\xef\xbb\xbfrelu\n")))
    assert run("check", "-", "-i", "3x8x8")[0] == 0


def test_binary_stdin_is_refused(run, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\xff\xfe\x00r")))
    code, _, err = run("check", "-", "-i", "3x8x8")
    refused(code, err, "standard input", "not UTF-8")


def test_stdin_over_the_bound_is_refused_after_reading_no_more_than_it(run, monkeypatch):
    class Endless(io.RawIOBase):
        """An endless stream that counts what is read from it."""
        served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            Endless.served += len(buffer)
            buffer[:] = b"r" * len(buffer)
            return len(buffer)

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(Endless())))
    code, _, err = run("check", "-", "-i", "3x8x8")
    refused(code, err, "standard input is over 64 MiB")
    assert Endless.served <= MAX_INPUT_BYTES + 2**20


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_an_endless_device_on_stdin_is_refused_quickly(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    with open(device, "rb") as source:
        done = einspace_process("check", "-", "-i", "3x8x8", stdin=source)
    assert done.returncode == 2 and b"over 64 MiB" in done.stderr and b"Traceback" not in done.stderr


def test_a_bom_on_real_stdin_is_accepted():
    done = einspace_process("show", "-", input=b"\xef\xbb\xbfsequential(relu, norm)")
    assert done.returncode == 0 and done.stdout.strip() == b"sequential(computation<relu>, computation<norm>)"


# --- grammar files --------------------------------------------------------------------------------

def _grammar_files(tmp_path: Path) -> dict[str, str]:
    binary = tmp_path / "binary.lark"
    binary.write_bytes(bytes(range(256)) * 8)
    above_one = tmp_path / "above_one.lark"
    above_one.write_text("//@ extends einspace\n//@ rule M -> M M : sequential = 1.5\n")
    return {"missing": str(tmp_path / "nope.lark"), "directory": str(tmp_path), "/dev/null": "/dev/null",
            "binary": str(binary), "above one": str(above_one)}


@pytest.mark.parametrize("kind, words", [("missing", "No such file"), ("directory", "not a file"),
                                         ("/dev/null", "not a file"), ("binary", "not UTF-8"),
                                         ("above one", "outside [0, 1]")])
@pytest.mark.parametrize("argv", [("check", "relu", "-i", "3x8x8"), ("show", "relu"),
                                  ("build", "relu", "-i", "3x8x8"), ("grammar",)])
def test_a_bad_grammar_file_is_a_usage_error(run, tmp_path, kind, words, argv):
    code, out, err = run(*argv, "--grammar", _grammar_files(tmp_path)[kind])
    refused(code, err, "grammar", words)
    assert out == ""


# --- roots and counts -----------------------------------------------------------------------------

@pytest.mark.parametrize("command", [("build", "addnist", "--size", "tiny"), ("info", "addnist"), ("list",)])
def test_a_data_root_that_is_a_file_is_a_usage_error(run, tmp_path, command):
    f = tmp_path / "file"
    f.write_text("not a folder")
    for root in (f, f / "below"):
        code, _, err = run("data", *command, "--root", str(root))
        refused(code, err, "--root", "not a directory")
    assert f.read_text() == "not a folder"


@pytest.mark.parametrize("argv", [("show", "relu", "--width", "-5"), ("show", "relu", "--width", "0"),
                                  ("grammar", "--table6", "-n", "-5"), ("grammar", "--table6", "-n", "0"),
                                  ("grammar", "--table6", "--seed", "-1"), ("grammar", "--p", "1.5"),
                                  ("grammar", "--p-computation", "nan"), ("sample", "-i", "3x8x8", "-n", "-1"),
                                  ("mutate", "relu", "-i", "3x8x8", "-n", "-1"),
                                  ("data", "build", "addnist", "--seed", "-1"),
                                  ("build", "relu", "-i", "3x8x8", "--max-params", "-1"),
                                  ("build", "relu", "-i", "3x8x8", "--max-memory", "lots"),
                                  ("build", "relu", "-i", "3x8x8", "--classes", "-3")])
def test_negative_counts_are_usage_errors(run, argv):
    code, out, err = run(*argv)
    refused(code, err)
    assert err.strip() and out == ""


# --- build refuses what it cannot allocate ---------------------------------------------------------

def test_build_refuses_the_6g_parameter_convolution(run):
    started = time.perf_counter()
    code, out, err = run("build", BIG_CONV, "-i", "3x1024x1024")
    assert code == 1 and out == "" and "Traceback" not in err
    assert "6,442,452,992 parameters predicted, over max_params 200,000,000" in err and "--max-params" in err
    assert time.perf_counter() - started < 5


def test_build_json_refusal_is_one_json_object(run):
    code, out, err = run("build", BIG_CONV, "-i", "3x1024x1024", "--json")
    obj = json.loads(out)
    assert code == 1 and err == ""
    assert obj["valid"] is True and obj["built"] is False and obj["params"] == 6_442_452_992
    (error,) = obj["errors"]
    assert error["rule"] == "build.params" and error["limit"] == 200_000_000 and error["value"] == 6_442_452_992


def test_build_limits_on_the_command_line(run):
    code, out, _ = run("build", "linear(8)", "-i", "col:4x8", "--max-params", "10", "--json")
    assert code == 1 and json.loads(out)["errors"][0]["figure"] == "params"
    code, out, _ = run("build", "linear(8)", "-i", "col:4x8", "--max-memory", "10", "--json")
    assert code == 1 and json.loads(out)["errors"][0]["figure"] == "memory"
    code, out, _ = run("build", "linear(8)", "-i", "col:4x8", "--max-params", "none", "--max-memory", "none",
                       "--max-nodes", "none", "--json")
    obj = json.loads(out)
    assert code == 0 and obj["built"] is True and obj["built_params"] == 72


def test_build_of_nested_8_way_branches_is_refused_by_memory(run):
    arch = "computation<linear(64)>"
    for _ in range(5):
        arch = f"branching(8){{clone(8), {arch}, cat(8,1)}}"
    code, out, err = run("build", arch, "-i", "3x32x32", "--classes", "10")
    assert code == 1 and "over max_memory 500,000,000" in err and "Traceback" not in err
