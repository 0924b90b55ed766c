"""The Dagster layer: thin assets over `pipeline`, partitions, IO manager, resources.

Naming rule (assets/keys.py holds every key): asset keys are Dutch, in snake_case,
naming what the asset holds (`registraties`, `trajecten`, `duur_tot_afsluiting`,
`nood_aanbod`, `jaarrapport`), because the UI's users read Dutch; Python functions and
parameters stay English and the decorator maps them (`name=keys.X`,
`ins=keys.inputs(...)`).
"""
