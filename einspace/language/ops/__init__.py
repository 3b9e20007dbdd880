"""One definition per operation: the built-in operations of the paper, and the registry.

Each operation is one class (``branching``, ``aggregation``, ``routing``, ``computation``); a user
adds one by subclassing :class:`Operation` in their own module (see docs/extending.md).

>>> from einspace.language.ops import operation
>>> operation("im2col")(3, 1, 1).text()
'im2col(3,1,1)'
"""

from .base import (GROUPS, ROLE_NAMES, ROLES, Choice, Ints, Operation, Positive, common_grid, dims_for_mode, fail,
                   missing_pieces, operation, operations, registry_version, unregister)
from .branching import BRANCH_FACTORS, Clone, Group
from .aggregation import Add, Cat, DotProduct
from .routing import COL_PERMS, IM_PERMS, Col2Im, Identity, Im2Col, Perm, im2col_grid
from .computation import Linear, Norm, PosEnc, Relu, Softmax, format_factor

__all__ = ["Operation", "Ints", "Choice", "Positive", "ROLES", "ROLE_NAMES", "GROUPS", "operations", "operation",
           "unregister", "registry_version", "missing_pieces", "dims_for_mode", "common_grid", "fail",
           "Clone", "Group", "DotProduct", "Add", "Cat", "Identity", "Perm", "Im2Col", "Col2Im",
           "Linear", "Norm", "Relu", "Softmax", "PosEnc", "BRANCH_FACTORS", "IM_PERMS", "COL_PERMS",
           "im2col_grid", "format_factor"]
