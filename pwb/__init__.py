"""The `pwb` command and its run driver: the one layer that knows both `pipeline` and
the Dagster layer `assets`.

Layers: `pipeline/` holds the domain (plain functions over polars frames, no Dagster);
`assets/` wires those functions into Dagster assets; `pwb/` is the command line
(`pwb.cli`) and the driver that materialises the asset graph for a year (`pwb.driver`).
Nothing in `pipeline/` or `assets/` imports `pwb` (tests/test_layers.py).
"""
