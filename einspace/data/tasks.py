"""The task registry: what each task is, independent of where its arrays come from.

One table (``TASKS``) holds every task the paper uses (Unseen NAS and the NAS-Bench-360 subset of
its Table 4) plus the offline-only tasks this project adds (``fashion``, ``fashiontile``). A task
records the shape the *model* sees (after any load-time padding), its number of classes or dense
target shape, its metric and the paper's training hyper-parameters.

The numbers describe the original task. An offline builder may produce a variant that differs
(fewer Gutenberg authors, fewer Language classes where a word list is missing); the variant's own
``meta.json`` then records what was built, and ``docs/data.md`` lists every difference.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DataError


@dataclass(frozen=True)
class Hyper:
    """Training hyper-parameters of the paper's Table 4 (SGD with cosine schedule)."""

    metric: str
    baseline: str
    epochs_search: int
    epochs_eval: int
    batch_size: int
    lr: float
    weight_decay: float
    momentum: float = 0.9


@dataclass(frozen=True)
class Task:
    """One task: shapes, labels, metric, hyper-parameters and how its files are laid out.

    ``input`` is the model's input type (``"3x28x28"``), i.e. after ``pad``; ``stored`` is the
    per-sample shape in the files. ``classes`` is ``None`` for dense tasks, which give ``target``.
    ``layout`` names the file format: ``"unseen"`` (``{split}_{x,y}.npy``), ``"ninapro"``, or
    ``None`` where no loader exists yet (formats that are not plain arrays).
    """

    name: str
    title: str
    family: str
    input: str
    classes: int | None
    hyper: Hyper
    stored: tuple[int, ...]
    pad: int = 0
    target: tuple[int, ...] | None = None
    layout: str | None = "unseen"
    splits: tuple[int, int, int] | None = None
    labels: tuple[str, ...] = ()
    description: str = ""

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The model's input shape as integers (``(3, 28, 28)``)."""
        return parse_shape(self.input)

    @property
    def dense(self) -> bool:
        return self.classes is None


def parse_shape(text: str) -> tuple[int, ...]:
    """``"3x28x28"`` -> ``(3, 28, 28)``; raises :class:`DataError` on anything else."""
    try:
        dims = tuple(int(p) for p in text.lower().replace(" ", "").split("x"))
    except ValueError:
        raise DataError(f"bad shape {text!r}: expected integers joined by 'x', e.g. '3x28x28'") from None
    if not dims or any(d <= 0 for d in dims):
        raise DataError(f"bad shape {text!r}: every dimension must be positive")
    return dims


def shape_str(shape: tuple[int, ...]) -> str:
    """``(3, 28, 28)`` -> ``"3x28x28"``."""
    return "x".join(str(int(d)) for d in shape)


# Table 4 of the paper: Unseen NAS tasks share one setting; NAS-Bench-360 tasks have two.
_UNSEEN = Hyper("accuracy", "resnet18", 8, 64, 256, 0.04, 3e-4)
_NB360_CLS = Hyper("0-1 error", "wrn16_4", 25, 200, 128, 0.1, 5e-4)
_DARCY = Hyper("relative_l2", "wrn16_4", 25, 200, 4, 1e-3, 5e-4)
_COSMIC = Hyper("1-auroc", "wrn16_4", 25, 200, 8, 1e-3, 5e-4)

_LANGS = ("english", "dutch", "german", "spanish", "french", "portuguese", "swahili", "zulu",
          "finnish", "swedish")


def _t(name: str, title: str, family: str, input: str, classes: int | None, hyper: Hyper,
       **kw: object) -> Task:
    stored = kw.pop("stored", None) or parse_shape(input)
    return Task(name, title, family, input, classes, hyper, stored=tuple(stored), **kw)  # type: ignore[arg-type]


TASKS: dict[str, Task] = {t.name: t for t in (
    # --- Unseen NAS (Geada et al., CVPR 2024) ---
    _t("addnist", "AddNIST", "unseen", "3x28x28", 20, _UNSEEN, splits=(45000, 15000, 10000),
       labels=tuple(str(s) for s in range(1, 21)),
       description="three MNIST digits stacked as channels; label = sum of digits - 1"),
    _t("multnist", "MultNIST", "unseen", "3x28x28", 10, _UNSEEN, splits=(50000, 10000, 10000),
       labels=tuple(str(s) for s in range(10)),
       description="three MNIST digits stacked as channels; label = product of digits mod 10"),
    _t("language", "Language", "unseen", "1x24x24", 10, _UNSEEN, splits=(50000, 10000, 10000),
       labels=_LANGS,
       description="four six-letter words one-hot encoded (row = position, column = letter a..x); "
                   "label = language"),
    _t("cifartile", "CIFARTile", "unseen", "3x64x64", 4, _UNSEEN, splits=(45000, 15000, 10000),
       description="2x2 grid of CIFAR-10 images; label = number of distinct classes - 1"),
    _t("gutenberg", "Gutenberg", "unseen", "1x27x18", 6, _UNSEEN, splits=(45000, 15000, 6000),
       description="three consecutive words (3-6 letters, padded to 6) one-hot encoded "
                   "(row = letter or blank, column = position); label = author"),
    _t("isabella", "Isabella", "unseen", "1x64x128", 4, _UNSEEN, splits=(50000, 10000, 10000),
       labels=("baroque", "classical", "romantic", "20th century"),
       description="64-band spectrograms of five-second recording snippets; label = era"),
    _t("geoclassing", "GeoClassing", "unseen", "3x64x64", 10, _UNSEEN, splits=(43821, 8758, 8751),
       description="satellite image (BigEarthNet); label = European country"),
    _t("chesseract", "Chesseract", "unseen", "12x18x18", 3, _UNSEEN, stored=(12, 8, 8), pad=5,
       splits=(49998, 10001, 10001), labels=("white wins", "draw", "black wins"),
       description="chess position as 12 one-hot piece planes, zero-padded by 5 at load; "
                   "label = game result"),
    # --- offline-only tasks of this project (Unseen NAS settings) ---
    _t("fashion", "Fashion-MNIST", "offline", "1x28x28", 10, _UNSEEN, splits=(50000, 10000, 10000),
       labels=("t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
               "sneaker", "bag", "ankle boot"),
       description="Zalando Fashion-MNIST garments; label = garment class"),
    _t("fashiontile", "FashionTile", "offline", "1x56x56", 4, _UNSEEN, splits=(45000, 15000, 10000),
       labels=("1 class", "2 classes", "3 classes", "4 classes"),
       description="2x2 grid of Fashion-MNIST images (a CIFARTile analogue); "
                   "label = number of distinct garment classes - 1"),
    # --- NAS-Bench-360 tasks of the paper's Table 4 ---
    _t("cifar100", "CIFAR-100", "nb360", "3x32x32", 100, _NB360_CLS, layout=None,
       splits=(40000, 10000, 10000), description="torchvision pickle format: no loader yet"),
    _t("spherical", "Spherical CIFAR-100", "nb360", "3x60x60", 100, _NB360_CLS, layout=None,
       splits=(40000, 10000, 10000), description="gzip pickle format: no loader yet"),
    _t("ninapro", "NinaPro DB5", "nb360", "1x16x52", 18, _NB360_CLS, stored=(16, 52),
       layout="ninapro", splits=(2638, 659, 659),
       description="sEMG windows; files {ninapro,label}_{train,val,test}.npy"),
    _t("darcyflow", "Darcy Flow", "nb360", "1x85x85", None, _DARCY, target=(1, 85, 85), layout=None,
       splits=(900, 100, 100), description="MATLAB .mat format: no loader yet"),
    _t("cosmic", "Cosmic", "nb360", "1x128x128", None, _COSMIC, target=(1, 128, 128), layout=None,
       splits=(4347, 483, 420), description="NB360 preprocessing pipeline: no loader yet"),
)}


def get_task(name: str) -> Task:
    """The task called ``name``; a :class:`DataError` lists the known names otherwise."""
    try:
        return TASKS[name.lower()]
    except KeyError:
        raise DataError(f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}") from None


def tasks() -> tuple[Task, ...]:
    """Every registered task, in registry order."""
    return tuple(TASKS.values())
