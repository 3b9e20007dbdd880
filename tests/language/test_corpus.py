"""Compatibility with the authors' v2 printer: every real string found in public studies.

tests/fixtures/v2_strings.jsonl is a copy of the team's collected corpus (strings as data, with their
sources and the output shapes a separate checker derived).
"""

import json
from pathlib import Path

import pytest

import einspace

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "v2_strings.jsonl"
ENTRIES = [json.loads(line) for line in CORPUS.read_text().splitlines()] if CORPUS.exists() else []
VALID = [e for e in ENTRIES if e["facts"].get("grammar_valid", True)]
NETWORKS = [e for e in VALID if e["facts"].get("level") == "network"]

pytestmark = pytest.mark.skipif(not ENTRIES, reason="shared corpus not available")


@pytest.mark.parametrize("entry", VALID, ids=lambda e: e["string"][:40])
def test_corpus_string_prints_back_byte_identical(entry):
    tree = einspace.parse(entry["string"])
    assert einspace.to_string(tree) == entry["string"]


@pytest.mark.parametrize("entry", NETWORKS, ids=lambda e: e["string"][:40])
def test_corpus_network_output_shapes(entry):
    typed = einspace.infer(einspace.parse(entry["string"]), tuple(entry["input_shape"]))
    assert [1, *typed.output.shape] == entry["facts"]["collector_derived_output_shape"]


def test_corpus_counts():
    assert len(NETWORKS) == 16


@pytest.mark.parametrize("entry", [e for e in ENTRIES if not e["facts"].get("grammar_valid", True)],
                         ids=lambda e: e["string"][:40])
def test_non_grammar_strings_are_rejected_with_position(entry):
    with pytest.raises(einspace.ParseError) as info:
        einspace.parse(entry["string"])
    assert info.value.line == 1 and info.value.column >= 1
