"""Chesseract-like: game result of chess endgame positions, labelled exactly by Syzygy tables.

No package ships real games with results, so positions are random legal 3- and 4-piece endgames
(white to move; the planes carry no side-to-move, so fixing it keeps labels a function of the
input) labelled by the Syzygy win/draw/loss tables in the python-chess source release. Cursed
wins and blessed losses (won only without the 50-move rule) count as draws. Every position is
unique across all splits, counting left-right mirror images as the same position.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

import numpy as np

from ..encodings import chess_planes
from ...errors import SourceError
from ..sources import PipArchive, PipModule, log, pip_archive, pip_module
from ..staging import staging, swap_in
from ..splits import SPLIT_NAMES, balanced_labels
from .base import Built, Context, Recipe

CHESS = PipModule("chess", "chess>=1.10")
CHESS_SDIST = PipArchive("chess", "1.11.2", sdist=True)
MATERIALS = ("KRvKP", "KQvKR", "KPvKP", "KBvKP", "KNvKP", "KQvKP", "KRvKB", "KRvKN", "KQvKQ",
             "KRvKR", "KPvK", "KBPvK", "KRPvK", "KQvKB", "KQvKN", "KPPvK", "KNPvK")
RESULTS = ("white wins", "draw", "black wins")
_TYPES = {"P": 1, "N": 2, "B": 3, "R": 4, "Q": 5, "K": 6}


def syzygy_dir(ctx: Context) -> Path:
    """The 3-4-piece Syzygy tables, unpacked from the python-chess sdist once."""
    target = ctx.cache / "syzygy"
    if (target / ".complete").is_file():
        return target
    sdist = pip_archive(CHESS_SDIST, ctx.cache)
    log("unpacking Syzygy tables from the python-chess sdist ...")
    with staging(target) as tmp:   # unpacked and marked complete, then renamed in whole
        count = 0
        try:
            with tarfile.open(sdist) as tar:
                for member in tar.getmembers():
                    parts = Path(member.name).parts
                    if member.isfile() and "syzygy" in parts and \
                            member.name.endswith((".rtbw", ".rtbz")):
                        src = tar.extractfile(member)
                        if src is not None:
                            (tmp / Path(member.name).name).write_bytes(src.read())
                            count += 1
        except (OSError, tarfile.TarError, EOFError) as err:
            raise SourceError(f"cannot unpack {sdist}: {err}") from None
        if count == 0:
            raise SourceError(f"{sdist} holds no Syzygy tables (data/syzygy/regular)")
        (tmp / ".complete").write_text(f"{count}\n")
        swap_in(tmp, target)
    return target


def white_result(wdl_white_to_move: int) -> int:
    """Syzygy WDL from white's side (white to move) -> 0 white wins, 1 draw, 2 black wins."""
    return 0 if wdl_white_to_move == 2 else 2 if wdl_white_to_move == -2 else 1


def position_key(planes: np.ndarray) -> bytes:
    """Identity of a position up to the left-right mirror (which never changes the result)."""
    return min(planes.tobytes(), np.ascontiguousarray(planes[:, :, ::-1]).tobytes())


def sample_positions(per_class: np.ndarray, tb_path: Path, rng: np.random.Generator,
                     ) -> tuple[list[list[np.ndarray]], dict[str, int]]:
    """Random legal endgames until each class has ``per_class[c]`` unique positions."""
    chess = pip_module(CHESS)
    syzygy = pip_module(PipModule("chess.syzygy", CHESS.spec))
    found: list[list[np.ndarray]] = [[] for _ in per_class]
    seen: set[bytes] = set()
    stats = {"probes": 0, "invalid": 0, "duplicates": 0}
    need = int(per_class.sum())
    with syzygy.open_tablebase(str(tb_path)) as tb:
        while sum(len(f) for f in found) < need:
            material = MATERIALS[rng.integers(len(MATERIALS))]
            white, black = material.split("v")
            if rng.random() < 0.5:
                white, black = black, white
            pieces = [(_TYPES[p], True) for p in white] + [(_TYPES[p], False) for p in black]
            squares = rng.choice(64, size=len(pieces), replace=False)
            board = chess.Board(None)
            for sq, (ptype, is_white) in zip(squares, pieces):
                board.set_piece_at(int(sq), chess.Piece(ptype, is_white))
            board.turn = chess.WHITE
            if not board.is_valid():
                stats["invalid"] += 1
                continue
            stats["probes"] += 1
            label = white_result(tb.probe_wdl(board))
            if len(found[label]) >= per_class[label]:
                continue
            planes = chess_planes([(int(sq), ptype, is_white)
                                   for sq, (ptype, is_white) in zip(squares, pieces)])
            key = position_key(planes)
            if key in seen:
                stats["duplicates"] += 1
                continue
            seen.add(key)
            found[label].append(planes)
    return found, stats


def make(ctx: Context) -> Built:
    rng = ctx.rng("chesseract")
    labels = {name: balanced_labels(n, len(RESULTS), rng) for name, n in zip(SPLIT_NAMES, ctx.sizes)}
    per_split = {name: np.bincount(y, minlength=3) for name, y in labels.items()}
    per_class = sum(per_split.values())
    log(f"chesseract: sampling {int(per_class.sum())} tablebase-labelled positions ...")
    found, stats = sample_positions(per_class, syzygy_dir(ctx), rng)
    splits: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    offset = np.zeros(3, dtype=np.int64)
    for name, y in labels.items():
        x = np.empty((len(y), 12, 8, 8), dtype=np.uint8)
        for c in range(3):
            where = np.flatnonzero(y == c)
            x[where] = found[c][offset[c]: offset[c] + len(where)]
            offset[c] += len(where)
        splits[name] = (x, y)
    notes: dict[str, Any] = {"materials": list(MATERIALS), **stats}
    return Built(splits, RESULTS, notes)


RECIPES = (
    Recipe("chesseract", make, (49998, 10001, 10001),
           source="random legal 3-4-piece endgames labelled by the Syzygy WDL tables in the "
                  "python-chess 1.11.2 source release (pip download --no-binary :all:)",
           licence="python-chess GPL-3.0+; Syzygy tables are free for any use",
           split_method="positions drawn independently and deduplicated globally (mirror images "
                        "count as one), so no position occurs in two splits; splits are "
                        "filled from one shuffled stream per class",
           balance="exactly balanced over white wins / draw / black wins (by rejection)",
           differences="endgames (3-4 pieces, 17 material sets, white to move) labelled by "
                       "perfect play, not the final 15% of grandmaster games labelled by the game "
                       "result; same 12x8x8 planes, padded by 5 to 12x18x18 at load",
           packages=("pip: chess==1.11.2 (installed, and its sdist downloaded for the tables)",)),
)
