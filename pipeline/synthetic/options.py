"""Command-line options of `pwb synth`: every feature that makes naive estimates fail
can be switched off on its own (all are on by default, and so in `pwb demo`).

Kept here, not in the CLI, so the options and SynthConfig change together.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt

from pipeline.synthetic.config import SynthConfig


def add_synth_options(parser: argparse.ArgumentParser) -> None:
    """Add the generator's feature switches to a (sub)parser."""
    defaults = SynthConfig()
    group = parser.add_argument_group("kenmerken van de synthetische gegevens")
    group.add_argument("--window-start", type=dt.date.fromisoformat,
                       default=defaults.registration_window,
                       help="begin van het registratievenster (JJJJ-MM-DD; standaard "
                            f"{defaults.registration_window}); oudere trajecten alleen als "
                            "ze dan nog lopen")
    group.add_argument("--no-window", action="store_true",
                       help="geen registratievenster: start leeg één jaar voor het eerste jaar")
    group.add_argument("--burn-in-years", type=int, default=defaults.burn_in_years,
                       help="jaren instroom gesimuleerd vóór het venster")
    group.add_argument("--fte-power", type=float, default=defaults.fte_power,
                       help="instroom evenredig met VTE tot deze macht (1 = evenredig)")
    group.add_argument("--no-growth", action="store_true",
                       help="geen regionale groei of krimp van de instroom")
    group.add_argument("--no-outcome-specific", action="store_true",
                       help="één gemeenschappelijk afsluitrisico voor alle uitkomsten")
    group.add_argument("--no-regional-effect", action="store_true",
                       help="geen regio met een hoger risico op uithuiszetting")


def config_from_options(args: argparse.Namespace,
                        base: SynthConfig | None = None) -> SynthConfig:
    """The SynthConfig the options describe (unknown attributes: the defaults)."""
    config = base or SynthConfig()
    changes: dict[str, object] = {}
    if getattr(args, "no_window", False):
        changes["registration_window"] = None
    elif getattr(args, "window_start", None) is not None:
        changes["registration_window"] = args.window_start
    if getattr(args, "burn_in_years", None) is not None:
        changes["burn_in_years"] = args.burn_in_years
    if getattr(args, "fte_power", None) is not None:
        changes["fte_power"] = args.fte_power
    if getattr(args, "no_growth", False):
        changes["intake_growth"] = {}
    if getattr(args, "no_outcome_specific", False):
        changes["outcome_specific"] = False
    if getattr(args, "no_regional_effect", False):
        changes["regional_effect"] = None
    return dataclasses.replace(config, **changes)
