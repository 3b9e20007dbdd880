"""Type rules of every operation, valid and invalid, through the public evaluator."""

import pytest

import einspace
from einspace import TypeCheckError, infer, parse

IM = "3x28x28"


def out(text, t=IM):
    typed = infer(parse(text), t)
    return typed.output.mode, typed.output.shape


def fails(text, t=IM):
    with pytest.raises(TypeCheckError) as info:
        infer(parse(text), t)
    return info.value


# --- im2col -----------------------------------------------------------------------------------

@pytest.mark.parametrize("k,s,p,grid", [
    (1, 1, 0, (28, 28)), (1, 2, 0, (14, 14)), (3, 1, 1, (28, 28)), (3, 2, 1, (14, 14)),
    (4, 4, 0, (7, 7)), (8, 8, 0, (3, 3)), (16, 16, 0, (1, 1)),
])
def test_im2col_variants(k, s, p, grid):
    mode, shape = out(f"routing[im2col({k},{s},{p}), identity, identity]")
    assert mode == "col" and shape == (grid[0] * grid[1], 3 * k * k)


def test_im2col_dilation_extent():
    # a 3x3 kernel with dilation 2 covers 5x5: same grid as the 5x5 one at padding 2
    assert out("routing[im2col(3,1,2,2), identity, identity]") == ("col", (28 * 28, 27))
    assert out("routing[im2col(5,1,2), identity, identity]") == ("col", (28 * 28, 75))


def test_im2col_kernel_does_not_fit():
    err = fails("routing[im2col(16,16,0), identity, identity]", "3x8x8")
    assert err.rule == "im2col.kernel" and err.path == "root.pre"


def test_im2col_needs_im_mode():
    err = fails("routing[im2col(1,1,0), routing[im2col(1,1,0), relu, identity], identity]")
    assert err.rule == "im2col.mode" and err.path == "root.inner.pre"


def test_im2col_non_square():
    assert out("routing[im2col(3,2,1), identity, col2im]", "1x16x52") == ("im", (9, 8, 26))


# --- col2im -----------------------------------------------------------------------------------

def test_conv_roundtrip_gives_image():
    assert out("routing[im2col(3,1,1), linear(64), col2im]") == ("im", (64, 28, 28))


def test_col2im_without_grid():
    err = fails("routing[identity, linear(8), col2im]", "col:16x8")
    assert err.rule == "col2im.grid"


def test_col2im_in_im_mode():
    assert fails("routing[identity, linear(8), col2im]").rule == "col2im.mode"


def test_col2im_grid_size_mismatch():
    # the sequence length changes between im2col and col2im: never folded silently
    text = "routing[im2col(3,1,1), routing[perm(0,2,1), linear(32), perm(0,2,1)], col2im]"
    err = fails(text, "8x16x16")
    assert err.rule == "col2im.grid-size"


def test_grid_is_remembered_across_modules():
    # im2col in one routing module, col2im in a later one: the grid flows with the tensor
    text = "sequential(routing[im2col(3,2,1), linear(16), identity], routing[identity, norm, col2im])"
    assert out(text, "3x10x6") == ("im", (16, 5, 3))


# --- perm -------------------------------------------------------------------------------------

@pytest.mark.parametrize("order,shape", [
    ((0, 1, 3, 2), (3, 20, 28)), ((0, 2, 1, 3), (28, 3, 20)), ((0, 2, 3, 1), (28, 20, 3)),
    ((0, 3, 1, 2), (20, 3, 28)), ((0, 3, 2, 1), (20, 28, 3)),
])
def test_im_perms(order, shape):
    text = f"routing[perm({','.join(map(str, order))}), identity, identity]"
    assert out(text, "3x28x20") == ("im", shape)


def test_col_perm():
    assert out("routing[perm(0,2,1), identity, identity]", "col:7x5") == ("col", (5, 7))


def test_perm_rank_mismatch():
    assert fails("routing[perm(0,2,1), identity, identity]").rule == "perm.rank"
    assert fails("routing[perm(0,1,3,2), identity, identity]", "col:4x4").rule == "perm.rank"


# --- group and cat ----------------------------------------------------------------------------

@pytest.mark.parametrize("dim,shape", [(1, (2, 12, 8)), (2, (4, 6, 8)), (3, (4, 12, 4))])
def test_group_each_dim_im(dim, shape):
    assert out(f"branching(2){{group(2,{dim}), identity, identity, add(2)}}", "4x12x8") == ("im", shape)


@pytest.mark.parametrize("dim,shape", [(1, (3, 8)), (2, (6, 4))])
def test_group_each_dim_col(dim, shape):
    assert out(f"branching(2){{group(2,{dim}), identity, identity, add(2)}}", "col:6x8") == ("col", shape)


def test_group_dim3_in_col_mode():
    assert fails("branching(2){group(2,3), identity, identity, add(2)}", "col:6x8").rule == "group.dim"


def test_group_not_divisible():
    err = fails("branching(4){group(4,1), identity, add(4)}", "3x28x28")
    assert err.rule == "group.divisible" and err.path == "root.fn"


@pytest.mark.parametrize("dim,shape", [(1, (8, 12, 8)), (2, (4, 24, 8)), (3, (4, 12, 16))])
def test_cat_each_dim_im(dim, shape):
    assert out(f"branching(2){{clone(2), identity, identity, cat(2,{dim})}}", "4x12x8") == ("im", shape)


@pytest.mark.parametrize("dim,shape", [(1, (12, 8)), (2, (6, 16))])
def test_cat_each_dim_col(dim, shape):
    assert out(f"branching(2){{clone(2), identity, identity, cat(2,{dim})}}", "col:6x8") == ("col", shape)


def test_cat_dim3_in_col_mode():
    assert fails("branching(2){clone(2), identity, identity, cat(2,3)}", "col:6x8").rule == "cat.dim"


def test_cat_other_dims_differ():
    assert fails("branching(2){clone(2), linear(16), linear(32), cat(2,1)}").rule == "cat.shapes"


def test_cat_arity_comes_from_module():
    # bug B2 of the original: the factor written in cat must be the module's factor
    assert fails("branching(2){clone(2), identity, identity, cat(4,1)}").rule == "cat.factor"
    assert out("branching(8){clone(8), identity, cat(8,1)}", "2x4x4") == ("im", (16, 4, 4))


# --- add and dot product ----------------------------------------------------------------------

def test_add_equal_shapes():
    assert out("branching(4){clone(4), linear(16), add(4)}") == ("im", (3, 28, 16))


def test_add_unequal_shapes():
    err = fails("branching(2){clone(2), linear(16), linear(32), add(2)}")
    assert err.rule == "add.shapes" and "im[3,28,16]" in err.types


def test_add_factor_mismatch():
    assert fails("branching(4){clone(4), identity, add(2)}").rule == "add.factor"


def test_dot_product_im():
    # [C,H,W] @ [C,W,V]: transpose the second branch so that its H is W
    text = "branching(2){clone(2), linear(20), routing[perm(0,1,3,2), identity, identity], dot_product}"
    assert out(text, "3x28x20") == ("im", (3, 28, 28))


def test_dot_product_col_scaled():
    text = "branching(2){clone(2), identity, routing[perm(0,2,1), identity, identity], dot_product(scaled)}"
    assert out(text, "col:6x4") == ("col", (6, 6))


def test_dot_product_shape_mismatch():
    assert fails("branching(2){clone(2), identity, identity, dot_product}", "col:6x4").rule == "dot_product.shapes"


@pytest.mark.parametrize("b", [4, 8])
def test_dot_product_needs_factor_two(b):
    assert fails(f"branching({b}){{clone({b}), identity, dot_product}}", "col:4x4").rule == "dot_product.factor"


def test_dot_product_after_nested_branch():
    # bug B3 of the original: a nested branch in the first branch must not block the dot product
    text = ("branching(2){clone(2), branching(2){clone(2), identity, identity, add(2)}, "
            "routing[perm(0,2,1), identity, identity], dot_product}")
    assert out(text, "col:5x3") == ("col", (5, 5))


# --- computation ------------------------------------------------------------------------------

def test_linear_width_and_factor():
    assert out("sequential(linear(64), linear(x0.25))") == ("im", (3, 28, 16))
    assert out("linear(x4)", "col:3x5") == ("col", (3, 20))


def test_linear_factor_too_small():
    assert fails("sequential(linear(2), linear(x0.25))").rule == "linear.width"


@pytest.mark.parametrize("op", ["identity", "norm", "relu", "softmax", "pos_enc"])
def test_shape_preserving_ops(op):
    assert out(f"sequential({op}, identity)") == ("im", (3, 28, 28))
    assert out(f"sequential({op}, identity)", "col:5x7") == ("col", (5, 7))


@pytest.mark.parametrize("text,t,params", [
    ("sequential(linear(10), identity)", "col:4x6", 6 * 10 + 10),
    ("sequential(norm, identity)", "3x8x8", 6),         # BatchNorm2d over C
    ("sequential(norm, identity)", "col:4x6", 12),      # LayerNorm over D
    ("sequential(pos_enc, identity)", "3x8x8", 192),
    ("branching(4){clone(4), linear(8), add(4)}", "col:2x3", 4 * (3 * 8 + 8)),
    ("routing[im2col(3,1,1), linear(64), col2im]", "3x32x32", 27 * 64 + 64),
])
def test_parameter_counts(text, t, params):
    assert infer(parse(text), t).params == params


def test_every_node_has_types():
    typed = infer(parse("routing[im2col(3,1,1), sequential(linear(8), relu), col2im]"), "3x8x8")
    paths = [n.path for n in typed.nodes]
    assert paths == ["root", "root.pre", "root.inner", "root.inner.first", "root.inner.first.op",
                     "root.inner.second", "root.inner.second.op", "root.post"]
    assert str(typed.at("root.inner").input) == "col[64,27]"
    assert typed.at("root.inner.first.op").params == 27 * 8 + 8


def test_violations_in_both_branches_are_reported():
    err = fails("branching(2){clone(2), routing[identity, relu, col2im], routing[identity, norm, col2im], add(2)}")
    assert [v.path for v in err.violations] == ["root.branch1.post", "root.branch2.post"]


def test_error_names_node_and_context():
    err = fails("sequential(relu, routing[identity, linear(64), col2im])")
    assert err.path == "root.second.post" and err.node == "col2im"
    assert "routing[identity, computation<linear(64)>, col2im]" in str(err)


def test_flops_and_memory_positive_for_conv():
    typed = infer(parse("routing[im2col(3,1,1), linear(64), col2im]"), "3x32x32")
    assert typed.flops == 32 * 32 * 64 * (2 * 27 + 1)
    assert typed.memory == 32 * 32 * 27 + 32 * 32 * 64  # the unfolded patches and the linear output


def test_input_type_forms():
    assert einspace.as_type("3x28x28") == einspace.TensorType("im", (3, 28, 28))
    assert einspace.as_type("col:64x512") == einspace.TensorType("col", (64, 512))
    assert einspace.as_type("im: 1 x 24 x 24").shape == (1, 24, 24)
    for bad in ["3x28", "col:3x4x5", "0x3x3", "abc", "3x-1x2"]:  # a bare 3x28 is refused: col mode is col:3x28
        with pytest.raises(einspace.InputTypeError):
            einspace.as_type(bad)
