"""``einspace grammar``: the PCFG's tables, expectation matrix, consistency and critical p(M -> C)."""

from __future__ import annotations

from ..errors import UsageError
from .common import add_grammar_option, count, emit_json, grammar_arg, input_type, positive, probability


def register(sub) -> None:
    p = sub.add_parser(
        "grammar", help="analyse the probabilistic grammar (expectation matrix, consistency, sizes)",
        description="Print the grammar's productions and choice sets, its expectation matrix, the spectral "
                    "radius and consistency verdict, the expected numbers of terminals and non-terminals, and "
                    "the critical p(M -> C). With --table6, compare size statistics of N derivations per "
                    "p(M -> C) (bare PCFG and the sampler) as in the paper's Table 6. "
                    "`einspace grammar fit JOURNAL` fits the probabilities to a search's best architectures.")
    p.add_argument("--p-computation", type=probability, default=None, metavar="P", help="analyse with p(M -> C) = P")
    p.add_argument("--copies", action="store_true",
                   help="count a 4/8-way template once per copy (as the original code's deep copies)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--table6", action="store_true", help="empirical size statistics per p(M -> C)")
    p.add_argument("-n", type=positive, default=2000, metavar="N", help="derivations per probability (default 2000)")
    p.add_argument("--p", type=probability, nargs="+", default=[0.9, 0.8, 0.7, 0.6, 0.5], metavar="P",
                   help="probabilities for --table6 (default 0.9 0.8 0.7 0.6 0.5)")
    p.add_argument("--input", "-i", default="3x28x28", metavar="TYPE", help="input type of the sampler for --table6")
    p.add_argument("--seed", type=count, default=0, help="random seed for --table6 (default 0)")
    add_grammar_option(p)
    p.set_defaults(func=run)
    from . import grammar_fit
    grammar_fit.register(p.add_subparsers(dest="grammar_command", metavar="SUBCOMMAND",
                                          title="subcommands (without one: the analysis above)"))


def run(args) -> int:
    from ..language import analysis
    from ..language.grammar import load_grammar
    g = load_grammar(grammar_arg(args.grammar))
    if args.p_computation is not None and not 0.0 <= args.p_computation <= 1.0:
        raise UsageError("--p-computation must be in [0, 1]")
    if args.table6:
        return _table6(g, args)
    e = analysis.expectation(g, p_computation=args.p_computation, copies=args.copies)
    critical = analysis.critical_p_computation(g, copies=args.copies)
    if args.json:
        out = e.to_json()
        out["critical_p_computation"] = critical
        out["grammar"] = g.path
        out["key"] = g.key
        emit_json(out)
        return 0
    from ..language.printer import terminal_text
    gg = g if args.p_computation is None else g.with_probability("M", "computation", args.p_computation)
    print(f"grammar {g.path or '<string>'}")
    for rules in gg.productions.values():
        for r in rules:
            print(f"  {r.lhs} -> {' '.join(r.rhs):8} {r.kind:12} p = {r.prob:.4f}")
    for sym, cs in g.choices.items():
        names = " ".join(terminal_text(c.node) for c in cs)
        print(f"  {sym:2} ({len(cs):2} choices) {names}")
    print(f"expectation matrix ({'templates counted per copy' if args.copies else 'templates counted once'}):")
    print("        " + "".join(f"{s:>8}" for s in e.symbols))
    for s, row in zip(e.symbols, e.matrix):
        print(f"  {s:6}" + "".join(f"{v:8.4f}" for v in row))
    verdict = "consistent (finite derivations)" if e.consistent else "NOT consistent (infinite derivations possible)"
    print(f"spectral radius {e.spectral_radius:.6f}: {verdict}")
    if e.consistent:
        print(f"expected terminals {e.terminals:.2f}, non-terminals (modules) {e.nonterminals:.2f}, "
              f"AST nodes {e.nodes:.2f}")
    print(f"critical p(M -> C) = {critical:.6f} (consistent above it)")
    return 0


def _table6(g, args) -> int:
    from ..language import analysis
    from ..generate.budget import Budget
    from ..generate.chooser import RandomChooser
    from ..generate.sampler import sample, with_p_computation
    t = input_type(args.input)
    # generous limits: Table 6 reports the grammar's sizes, not a budget's; only a runaway is cut
    # (max_nodes counts template copies: the instantiated network)
    budget = Budget(max_nodes=2_000_000, max_depth=2_000, max_params=None, max_flops=None, max_memory=None)
    results = []
    for p in args.p:
        for copies in (False, True):
            pc = analysis.pcfg_counts(g, args.n, args.seed, p_computation=p, copies=copies)
            results.append(("pcfg", p, copies, pc))
        chooser = RandomChooser(args.seed)
        gp = with_p_computation(g, p)
        trees = [sample(t, chooser=chooser, grammar=gp, budget=budget) for _ in range(args.n)]
        for copies in (False, True):
            results.append(("sampler", p, copies, [analysis.tree_counts(tr, copies) for tr in trees]))
    if args.json:
        emit_json({"n": args.n, "input": t.to_json(), "rows": [
            {"source": src, "p_computation": p, "copies": copies,
             "terminals": analysis.summarize(c[0] for c in counts).to_json(),
             "nonterminals": analysis.summarize(c[1] for c in counts).to_json()}
            for src, p, copies, counts in results]})
        return 0
    print(f"{args.n} derivations per row; sampler at input {t}; copies = 4/8-way templates counted per copy")
    print(f"{'source':8} {'p':>4} {'copies':>6} | {'terminals: min':>14} {'mean':>9} {'median':>7} {'std':>9} {'max':>8} "
          f"| {'non-terminals: min':>18} {'mean':>9} {'median':>7} {'std':>9} {'max':>8}")
    for src, p, copies, counts in results:
        a = analysis.summarize(c[0] for c in counts)
        b = analysis.summarize(c[1] for c in counts)
        print(f"{src:8} {p:>4} {str(copies):>6} | {a.row():>14} | {b.row():>18}")
    return 0
