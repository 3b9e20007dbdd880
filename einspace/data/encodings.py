"""Encodings of raw material into the Unseen NAS sample layouts; pure numpy.

Kept apart from the builders so that the exact pixel layouts (which row is which letter, which
plane is which piece) are tested on synthetic inputs without any source package.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from ..errors import DataError

LANGUAGE_ALPHABET = "abcdefghijklmnopqrstuvwx"   # 24 letters: no y, no z (Unseen NAS Language)
GUTENBERG_ALPHABET = "abcdefghijklmnopqrstuvwxyz "  # 26 letters + blank (Unseen NAS Gutenberg)


def encode_chars(texts: Sequence[str], alphabet: str, length: int) -> np.ndarray:
    """One-hot ``(N, length, len(alphabet))`` uint8: row i is character i of each text."""
    index = {ch: i for i, ch in enumerate(alphabet)}
    out = np.zeros((len(texts), length, len(alphabet)), dtype=np.uint8)
    for n, text in enumerate(texts):
        if len(text) != length:
            raise DataError(f"text {text!r} has {len(text)} characters, expected {length}")
        try:
            cols = [index[ch] for ch in text]
        except KeyError as err:
            raise DataError(f"text {text!r} has a character outside the alphabet: {err}") from None
        out[n, np.arange(length), cols] = 1
    return out


def language_images(word_quads: Sequence[Sequence[str]]) -> np.ndarray:
    """Four six-letter words -> ``(N, 1, 24, 24)``: row = position in the 24-letter string,
    column = letter a..x (the original's layout: a one at (0, 0) means the string starts with a)."""
    texts = ["".join(q) for q in word_quads]
    return encode_chars(texts, LANGUAGE_ALPHABET, 24)[:, None]


def gutenberg_images(word_triples: Sequence[Sequence[str]]) -> np.ndarray:
    """Three words of 3-6 letters, each padded with blanks to 6 -> ``(N, 1, 27, 18)``:
    row = letter a..z or blank, column = character position (the original's 1x27x18)."""
    texts = ["".join(w.ljust(6) for w in t) for t in word_triples]
    onehot = encode_chars(texts, GUTENBERG_ALPHABET, 18)      # (N, 18, 27)
    return np.ascontiguousarray(onehot.transpose(0, 2, 1))[:, None]


def digit_triples(rule: str) -> dict[int, list[tuple[int, int, int]]]:
    """All digit triples (r, g, b) grouped by label: ``"add"`` -> r+g+b-1 for sums 1..20
    (20 classes; (0,0,0) and sums above 20 do not occur), ``"mult"`` -> r*g*b mod 10."""
    by: dict[int, list[tuple[int, int, int]]] = {}
    for t in itertools.product(range(10), repeat=3):
        if rule == "add":
            s = sum(t)
            if not 1 <= s <= 20:
                continue
            label = s - 1
        elif rule == "mult":
            label = (t[0] * t[1] * t[2]) % 10
        else:
            raise DataError(f"unknown digit rule {rule!r}")
        by.setdefault(label, []).append(t)
    return dict(sorted(by.items()))


def tile_2x2(images: np.ndarray) -> np.ndarray:
    """``(N, 4, H, W)`` -> ``(N, 2H, 2W)``: images 0, 1 on top, 2, 3 below."""
    n, k, h, w = images.shape
    if k != 4:
        raise DataError(f"tile_2x2 needs 4 images per sample, got {k}")
    return images.reshape(n, 2, 2, h, w).transpose(0, 1, 3, 2, 4).reshape(n, 2 * h, 2 * w)


# Chess planes: 0..5 white pawn, knight, bishop, rook, queen, king; 6..11 the same for black.
# Row 0 is rank 8 (the board as printed, white at the bottom); column 0 is file a.
def chess_planes(pieces: Sequence[tuple[int, int, bool]]) -> np.ndarray:
    """``(square 0..63 with a1 = 0, piece type 1..6, is_white)`` -> ``(12, 8, 8)`` uint8."""
    x = np.zeros((12, 8, 8), dtype=np.uint8)
    for square, ptype, white in pieces:
        if not (0 <= square < 64 and 1 <= ptype <= 6):
            raise DataError(f"bad piece ({square}, {ptype}, {white})")
        x[(ptype - 1) + (0 if white else 6), 7 - square // 8, square % 8] = 1
    return x


def parse_idx(data: bytes) -> np.ndarray:
    """Decode an IDX file (the MNIST/Fashion-MNIST container) of unsigned bytes."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError("not an IDX file of unsigned bytes")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DataError(f"IDX body has {body.size} bytes, header says {dims}")
    return body.reshape(dims)
