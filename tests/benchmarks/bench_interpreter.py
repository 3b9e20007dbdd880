"""Interpreted seeds vs the same networks written by hand in PyTorch: forward+backward time.

Run as a script (prints a table)::

    python tests/benchmarks/bench_interpreter.py [--batch 32] [--input 3x32x32] [--repeats 7]

or through pytest (``pytest tests/benchmarks/bench_interpreter.py``), which checks that each
hand-written network has the interpreted one's parameter count and output shape and, with
``--benchmark-enable``, times both. Both networks are timed in the same process, interleaved,
with the same input; the figure is the ratio interpreted / hand-written (goal: <= 1.05). The
hand-written networks follow the seed files exactly (same layers, biases, LeakyReLU, norms).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

import einspace
from einspace import seeds

CLASSES = 10
SLOPE = 0.01


# --- hand-written networks ---------------------------------------------------------------------

def conv(cin: int, cout: int, k: int, s: int, p: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, s, p, bias=True)


class BasicBlock(nn.Module):
    """Post-activation ResNet block; projection (1x1 stride-2 conv + BN) when downsampling."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1, self.bn1 = conv(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = conv(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout)
        self.act = nn.LeakyReLU(SLOPE)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(conv(cin, cout, 1, stride, 0), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(self.act(self.bn1(self.conv1(x)))))
        return self.act(y + (x if self.shortcut is None else self.shortcut(x)))


class ResNet18(nn.Module):
    def __init__(self, classes: int):
        super().__init__()
        self.stem = nn.Sequential(conv(3, 64, 3, 1, 1), nn.BatchNorm2d(64), nn.LeakyReLU(SLOPE), conv(64, 64, 3, 2, 1))
        blocks, cin = [], 64
        for cout, stride in ((64, 1), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1)):
            blocks.append(BasicBlock(cin, cout, stride))
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        return self.fc(self.blocks(self.stem(x)).mean((2, 3)))


class WideBlock(nn.Module):
    """The einspace WRN block: conv-BN-act-conv, shortcut (1x1 conv or identity), add, BN, act."""

    def __init__(self, cin: int, cout: int, stride: int, project: bool):
        super().__init__()
        self.conv1, self.bn1 = conv(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout)
        self.conv2 = conv(cout, cout, 3, 1, 1)
        self.shortcut = conv(cin, cout, 1, stride, 0) if project else None
        self.bn, self.act = nn.BatchNorm2d(cout), nn.LeakyReLU(SLOPE)

    def forward(self, x):
        y = self.conv2(self.act(self.bn1(self.conv1(x))))
        return self.act(self.bn(y + (x if self.shortcut is None else self.shortcut(x))))


class WideResNet16_4(nn.Module):
    def __init__(self, classes: int):
        super().__init__()
        self.stem = nn.Sequential(conv(3, 16, 3, 1, 1), nn.BatchNorm2d(16), nn.LeakyReLU(SLOPE))
        self.blocks = nn.Sequential(
            WideBlock(16, 64, 1, True), WideBlock(64, 64, 1, False),
            WideBlock(64, 128, 2, True), WideBlock(128, 128, 1, False),
            WideBlock(128, 256, 2, True), WideBlock(256, 256, 1, False))
        self.fc = nn.Linear(256, classes)

    def forward(self, x):
        return self.fc(self.blocks(self.stem(x)).mean((2, 3)))


class PatchEmbed(nn.Module):
    def __init__(self, tokens: int, width: int = 512, patch: int = 4):
        super().__init__()
        self.proj = nn.Conv2d(3, width, patch, patch)
        self.pos = nn.Parameter(torch.randn(1, tokens, width))

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2) + self.pos


class Attention(nn.Module):
    """4 heads of 64 with a fused QKV projection, concatenated to 256 and projected to 512."""

    def __init__(self, width: int = 512, heads: int = 4, head_width: int = 64):
        super().__init__()
        self.heads, self.head_width = heads, head_width
        self.qkv = nn.Linear(width, 3 * heads * head_width)
        self.out = nn.Linear(heads * head_width, width)

    def forward(self, x):
        q, k, v = self.qkv(x).unflatten(-1, (3, self.heads, self.head_width)).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v)
        return self.out(y.transpose(1, 2).flatten(2))


class TransformerLayer(nn.Module):
    """Post-norm: x = norm1(x + attn(x)); x = norm2(x + ffn(x))."""

    def __init__(self, width: int = 512):
        super().__init__()
        self.attn = Attention(width)
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.ffn = nn.Sequential(nn.Linear(width, width), nn.LeakyReLU(SLOPE), nn.Linear(width, width))

    def forward(self, x):
        x = self.norm1(x + self.attn(x))
        return self.norm2(x + self.ffn(x))


class TokenHead(nn.Module):
    """The einspace col-mode head: mean over features, then Linear(tokens, classes)."""

    def __init__(self, tokens: int, classes: int):
        super().__init__()
        self.fc = nn.Linear(tokens, classes)

    def forward(self, x):
        return self.fc(x.mean(2))


class ViT(nn.Module):
    def __init__(self, tokens: int, classes: int):
        super().__init__()
        self.embed = PatchEmbed(tokens)
        self.layers = nn.Sequential(*(TransformerLayer() for _ in range(4)))
        self.head = TokenHead(tokens, classes)

    def forward(self, x):
        return self.head(self.layers(self.embed(x)))


class MixerLayer(nn.Module):
    """One residual around norm, token MLP (S -> 4S -> S) and channel MLP (512 -> 256 -> 512)."""

    def __init__(self, tokens: int, width: int = 512):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.token1, self.token2 = nn.Linear(tokens, 4 * tokens), nn.Linear(4 * tokens, tokens)
        self.channel1, self.channel2 = nn.Linear(width, width // 2), nn.Linear(width // 2, width)
        self.act = nn.LeakyReLU(SLOPE)

    def forward(self, x):
        y = self.norm(x).transpose(1, 2)
        y = self.token2(self.act(self.token1(y))).transpose(1, 2)
        y = self.channel2(self.act(self.channel1(y)))
        return x + y


class MLPMixer(nn.Module):
    def __init__(self, tokens: int, classes: int):
        super().__init__()
        self.embed = PatchEmbed(tokens)
        self.layers = nn.Sequential(*(MixerLayer(tokens) for _ in range(8)))
        self.head = TokenHead(tokens, classes)

    def forward(self, x):
        return self.head(self.layers(self.embed(x)))


def hand_written(name: str, input_shape: tuple[int, int, int], classes: int = CLASSES) -> nn.Module:
    tokens = (input_shape[1] // 4) * (input_shape[2] // 4)
    return {
        "resnet18": lambda: ResNet18(classes),
        "wideresnet16_4": lambda: WideResNet16_4(classes),
        "vit": lambda: ViT(tokens, classes),
        "mlp_mixer": lambda: MLPMixer(tokens, classes),
    }[name]()


SEEDS = ("resnet18", "wideresnet16_4", "vit", "mlp_mixer")


# --- measurement -------------------------------------------------------------------------------

def params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def step(net: nn.Module, x: torch.Tensor) -> None:
    net.zero_grad(set_to_none=True)
    net(x).sum().backward()


#: the clock: wall time by default; ``--cpu-time`` uses process CPU time, which a busy machine disturbs less
CLOCK = {"clock": time.perf_counter}


def time_step(net: nn.Module, x: torch.Tensor) -> float:
    clock = CLOCK["clock"]
    start = clock()
    step(net, x)
    return clock() - start


def build_time(name: str, input_type: str, repeats: int = 3) -> float:
    """Seconds from the seed's text to a built network with head (parse + infer + build), median."""
    text = seeds.text(name)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        einspace.build(einspace.parse(text), input_type, classes=CLASSES)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compare(name: str, input_type: str = "3x32x32", batch: int = 32, repeats: int = 7, warmup: int = 2,
            lower: bool = True) -> dict:
    """Median forward+backward seconds of the interpreted seed and its hand-written twin."""
    shape = einspace.as_type(input_type).shape
    torch.manual_seed(0)
    ours = einspace.build(seeds.load(name), input_type, classes=CLASSES, lower=lower).train()
    hand = hand_written(name, shape).train()
    if params(ours) != params(hand):
        raise AssertionError(f"{name}: interpreted {params(ours):,} params, hand-written {params(hand):,}")
    x = torch.randn(batch, *shape)
    for _ in range(warmup):
        step(hand, x)
        step(ours, x)
    t_ours, t_hand = [], []
    for i in range(repeats):  # interleaved, alternating which goes first, so drift hits both alike
        pair = ((hand, t_hand), (ours, t_ours)) if i % 2 == 0 else ((ours, t_ours), (hand, t_hand))
        for net, acc in pair:
            acc.append(time_step(net, x))
    ours_s, hand_s = statistics.median(t_ours), statistics.median(t_hand)
    return {"seed": name, "params": params(ours), "hand_s": hand_s, "ours_s": ours_s, "ratio": ours_s / hand_s,
            "ratio_min": min(t_ours) / min(t_hand), "build_s": build_time(name, input_type)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--input", default="3x32x32")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--plain", action="store_true", help="time the unlowered interpreter path instead")
    ap.add_argument("--cpu-time", action="store_true",
                    help="measure process CPU time instead of wall time (steadier on a shared machine)")
    ap.add_argument("seeds", nargs="*", default=list(SEEDS))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.cpu_time:
        CLOCK["clock"] = time.process_time
    print(f"forward+backward, batch {args.batch}, input {args.input}, {args.threads} threads, "
          f"median of {args.repeats} after {args.warmup} warm-up, torch {torch.__version__}"
          + (" (plain path)" if args.plain else "") + (", CPU time" if args.cpu_time else ", wall time"))
    header = (f"{'seed':16s} {'params':>12s} {'hand (ms)':>10s} {'einspace (ms)':>14s} {'ratio':>7s} "
              f"{'ratio(min)':>10s} {'build (ms)':>11s}")
    print(header)
    print("-" * len(header))
    for name in args.seeds:
        r = compare(name, args.input, args.batch, args.repeats, args.warmup, lower=not args.plain)
        print(f"{name:16s} {r['params']:>12,} {1e3 * r['hand_s']:>10.1f} {1e3 * r['ours_s']:>14.1f} "
              f"{r['ratio']:>7.3f} {r['ratio_min']:>10.3f} {1e3 * r['build_s']:>11.1f}", flush=True)
    print("times are medians; ratio = einspace / hand-written (medians), ratio(min) = the same for the fastest runs;"
          " build = parse + infer + build from the seed's text, with head")
    return 0


# --- pytest entry points (run this file explicitly) ----------------------------------------------

def _pytest_params():
    import pytest
    return pytest.mark.parametrize("name", SEEDS)


try:
    _parametrize = _pytest_params()
except ImportError:  # pragma: no cover - running as a plain script without pytest
    def _parametrize(f):
        return f


@_parametrize
def test_hand_written_twin_matches(name):
    shape = (3, 32, 32)
    ours = einspace.build(seeds.load(name), "3x32x32", classes=CLASSES)
    hand = hand_written(name, shape)
    assert params(ours) == params(hand)
    x = torch.randn(2, *shape)
    assert ours(x).shape == hand(x).shape


@_parametrize
def test_forward_backward_ours(benchmark, name):
    torch.set_num_threads(2)
    net = einspace.build(seeds.load(name), "3x32x32", classes=CLASSES)
    x = torch.randn(32, 3, 32, 32)
    benchmark.pedantic(step, args=(net, x), rounds=3, warmup_rounds=1)


@_parametrize
def test_forward_backward_hand(benchmark, name):
    torch.set_num_threads(2)
    net = hand_written(name, (3, 32, 32))
    x = torch.randn(32, 3, 32, 32)
    benchmark.pedantic(step, args=(net, x), rounds=3, warmup_rounds=1)


if __name__ == "__main__":
    raise SystemExit(main())
