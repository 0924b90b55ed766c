"""`pwb synth`: synthetic registrations with a known truth.

The implementation lives in the package `pipeline.synthetic` (simulation, file
variants, injected defects); this module is the entry point the CLI imports.
"""

from pipeline.synthetic import (
    REFERENCES,
    ROW_DEFECTS,
    Simulation,
    SynthConfig,
    SynthSummary,
    allowed_terms,
    generate,
    simulate,
)

__all__ = ["REFERENCES", "ROW_DEFECTS", "Simulation", "SynthConfig", "SynthSummary",
           "allowed_terms", "generate", "simulate"]
