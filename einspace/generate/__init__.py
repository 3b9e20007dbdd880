"""The generation layer: the sampler (engine, needs, tables, targets), budgets and choosers."""
