"""Run settings that a researcher may change per run (CLI or launchpad).

Two resources: `settings` says where files come from and go to; `evaluation`
holds every analysis choice (models, disclosure threshold, norms and risk
rates), with the circular's and the models' defaults. The run records the
evaluation settings in results.json and the report's methods chapter.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource

from pipeline import models
from pipeline.reference import Reference, load_reference, shipped_norms, with_norms
from pipeline.report.disclosure import DEFAULT_THRESHOLD
from pipeline.trends import TrendSettings
from pipeline.years import CUTOFF_RULES

PROJECT = Path(__file__).resolve().parents[1]
_MODELS = models.ModelSettings()
_TRENDS = TrendSettings()
class PwbSettings(ConfigurableResource):
    """Where the files come from and go to; the run date for 'no date in the future'."""

    input_dir: str = str(PROJECT / "data" / "inbox")
    out_dir: str = str(PROJECT / "reports")
    reference_dir: str | None = None
    run_date: str | None = None  # ISO date; default: today
    synthetic: bool = False  # the banner "synthetische registraties" in the report

    def today(self) -> dt.date:
        return dt.date.fromisoformat(self.run_date) if self.run_date else dt.date.today()

    def reference(self) -> Reference:
        return load_reference(Path(self.reference_dir) if self.reference_dir else None)


class EvaluationSettings(ConfigurableResource):
    """The analysis settings of a run; defaults are the models' and the circular's.

    Model fields mirror `pipeline.models.ModelSettings`. `norms` holds the
    circular's norms, risk rates and cost per FTE (normen.csv); a value changed
    here wins over the reference directory's normen.csv.
    """

    cox_covariates: list[str] = list(_MODELS.cox_covariates)
    logistic_covariates: list[str] = list(_MODELS.logistic_covariates)
    references: dict[str, str] = dict(_MODELS.references)
    conf_level: float = _MODELS.conf_level
    km_conf_type: str = _MODELS.km_conf_type
    ties: str = _MODELS.ties
    cox_strata: list[str] = list(_MODELS.cox_strata)
    cluster: str | None = _MODELS.cluster
    fixed_effects: list[str] = list(_MODELS.fixed_effects)
    small_sample: str = _MODELS.small_sample
    period_start: str = _MODELS.period_start
    rmst_tau_days: int = _MODELS.rmst_tau_days
    ph_transform: str = _MODELS.ph_transform
    profiles: list[str] = list(_MODELS.profiles)
    age_bands: list[int] = list(_MODELS.age_bands)
    trend_years: list[int] = []  # years of the multi-year chapter; empty: every complete year
    trend_exposure: str = _TRENDS.exposure
    bootstrap_draws: int = _TRENDS.bootstrap_draws
    bootstrap_seed: int = _TRENDS.seed
    region_trends: bool = _TRENDS.region_trends
    event_window: int = _TRENDS.event_window
    suppression_threshold: int = DEFAULT_THRESHOLD
    norms: dict[str, float] = shipped_norms()

    def models(self) -> models.ModelSettings:
        return models.ModelSettings(
            cox_covariates=tuple(self.cox_covariates),
            logistic_covariates=tuple(self.logistic_covariates),
            references=dict(self.references), conf_level=self.conf_level,
            km_conf_type=self.km_conf_type, ties=self.ties, cox_strata=tuple(self.cox_strata),
            ph_transform=self.ph_transform, cluster=self.cluster,
            fixed_effects=tuple(self.fixed_effects), small_sample=self.small_sample,
            period_start=self.period_start, rmst_tau_days=self.rmst_tau_days,
            profiles=tuple(self.profiles), age_bands=tuple(self.age_bands))

    def trends(self) -> TrendSettings:
        return TrendSettings(
            years=tuple(self.trend_years) or None, exposure=self.trend_exposure,
            bootstrap_draws=self.bootstrap_draws, seed=self.bootstrap_seed,
            region_trends=self.region_trends, event_window=self.event_window)

    def reference(self, settings: PwbSettings) -> Reference:
        """The run's reference data with these norms applied."""
        return with_norms(settings.reference(), self.norms)

    def record(self, reference: Reference) -> dict[str, Any]:
        """What results.json keeps: the settings in force, norms as applied."""
        return {"models": self.models().as_dict(), "trends": self.trends().as_dict(),
                "suppression_threshold": self.suppression_threshold,
                "norms": dict(sorted(reference.norms.items())),
                "cutoff_rules": CUTOFF_RULES}
