"""The generation layer: the sampler (engine, decisions, witnesses, needs, tables, targets), budgets and choosers."""
