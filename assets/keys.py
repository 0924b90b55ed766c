"""Asset keys: the one naming rule of the Dagster layer.

Rule: an asset's key is what the UI shows, and the UI's users read Dutch, so every
key is a Dutch noun in snake_case naming what the asset holds (`trajecten`, not
`trajectories`; `nood_aanbod`, not `need_supply`). Python stays English: the asset
function and its parameters keep English names; the decorator gives the Dutch key
(`name=KEY`, or the key of an `AssetOut`) and maps each English parameter to its
upstream key with `ins=inputs(...)`. A parameter that already carries the Dutch key
(`registraties`, `quarantaine`, `bestandsverslag`) needs no mapping. Keys are defined
here once; a new asset adds its key here. Groups, checks, jobs, schedules and
metadata labels are Dutch too (`registratiecontract`, `jaarevaluatie`).

The keys of results.json are a fixed interface and stay as they are
(`time_to_closure`, `need_supply`, …): they are not asset keys.
"""

from __future__ import annotations

from dagster import AssetIn

REGISTRATIONS = "registraties"
QUARANTINE = "quarantaine"
FILE_REPORT = "bestandsverslag"
TRAJECTORIES = "trajecten"
TIME_TO_CLOSURE = "duur_tot_afsluiting"
CLOSURE_HAZARDS = "afsluitingsmodel"
CLOSURE_OUTCOMES = "afsluitingsuitkomsten"
EVICTION_AVOIDANCE = "uithuiszetting_vermeden"
DURATION = "duur_van_het_jaar"
OUTCOME_MODELS = "uitkomstmodellen"
REGIONAL_COMPARISON = "regiovergelijking"
EVOLUTION = "evolutie"
PROGRAMME_INDICATORS = "programma_indicatoren"
NEED_SUPPLY = "nood_aanbod"
ANNUAL_REPORT = "jaarrapport"

# English parameter name of an upstream asset -> its Dutch key.
PARAMETERS = {"trajectories": TRAJECTORIES, "time_to_closure": TIME_TO_CLOSURE,
              "closure_hazards": CLOSURE_HAZARDS, "closure_outcomes": CLOSURE_OUTCOMES,
              "eviction_avoidance": EVICTION_AVOIDANCE, "duration": DURATION,
              "outcome_models": OUTCOME_MODELS, "regional_comparison": REGIONAL_COMPARISON,
              "evolution": EVOLUTION,
              "programme_indicators": PROGRAMME_INDICATORS, "need_supply": NEED_SUPPLY}

ALL_KEYS = (REGISTRATIONS, QUARANTINE, FILE_REPORT, TRAJECTORIES, TIME_TO_CLOSURE,
            CLOSURE_HAZARDS, CLOSURE_OUTCOMES, EVICTION_AVOIDANCE, DURATION, OUTCOME_MODELS,
            REGIONAL_COMPARISON, EVOLUTION, PROGRAMME_INDICATORS,
            NEED_SUPPLY, ANNUAL_REPORT)


def inputs(*parameters: str) -> dict[str, AssetIn]:
    """`ins=` of an asset whose English parameters receive the named upstream assets."""
    return {name: AssetIn(PARAMETERS[name]) for name in parameters}
