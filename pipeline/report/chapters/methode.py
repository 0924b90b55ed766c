"""Chapter 2, Gegevens en methode: sources, format, validation, definitions, statistics,
software."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.report import formatting as fmt
from pipeline.report.context import (
    Context,
    _decimals,
    _get,
)
from pipeline.report.labels import N_, NORM_LABELS
from pipeline.report.model import Block, Chapter, Section, Text


def chapter_methods(ctx: Context) -> list[Section]:
    return [
        Section("bronnen", ctx.t("Bronnen"), methods_sources(ctx)),
        Section("formaat", ctx.t("Het registratieformaat"), [Text("methode_formaat")]),
        Section("validatie", ctx.t("Validatie en boekhouding van de rijen"),
                methods_validation(ctx)),
        Section("definities", ctx.t("Definities"), methods_definitions(ctx)),
        Section("statistiek", ctx.t("Statistische methoden"), methods_statistics(ctx)),
        Section("software", ctx.t("Software"), methods_software(ctx)),
    ]


def methods_sources(ctx: Context) -> list[Block]:
    regions = ctx.table(
        "regios", ctx.t("De CAW-regio's van dit rapport"),
        [ctx.t("Code"), ctx.t("CAW-regio")],
        [[code, ctx.region(code)] for code in ctx.region_codes],
        numeric=[False, False],
        n=ctx.n_line(len(ctx.region_codes), N_("n = %(n)s regio's")),
        notes=[ctx.t("De regio-indeling volgt de toekomstige CAW-regio's waarop de omzendbrief "
                     "de extra VTE verdeelt (punt 3). Brussel staat er niet bij in de "
                     "omzendbrief: voor het tweetalige gebied Brussel-Hoofdstad voorziet ze "
                     "later een aparte overeenkomst (punt 3); dit rapport toont Brussel als "
                     "eigen regio.")],
        source=N_("Bron: referentiegegevens van pwb (caw_regios.csv)."))
    data = _get(ctx.r, "data", default={})
    rows = []
    for name, origin in (data.get("reference_sources") or {}).items():
        shown = (ctx.t("meegeleverd met pwb") if origin == "meegeleverd"
                 else ctx.t("aangeleverd door de gebruiker"))
        illustrative = name in ("verhuurders.csv", "personeel.csv") and origin == \
            "meegeleverd"
        rows.append([name, shown, ctx.yes_no(illustrative)])
    reference = ctx.table(
        "referentie", ctx.t("Gebruikte referentiegegevens en hun herkomst"),
        [ctx.t("Bestand"), ctx.t("Herkomst"), ctx.t("Illustratief")], rows,
        numeric=[False, False, False],
        n=ctx.n_line(len(rows), N_("n = %(n)s bestanden")),
        source=N_("Bron: referentiegegevens van pwb."))
    return [Text("methode_bronnen", {"synthetic": bool(data.get("synthetic")),
                                     "illustrative": bool(data.get("illustrative_reference"))}),
            regions, reference]


def methods_validation(ctx: Context) -> list[Block]:
    counts = ctx.r.get("counts", {})
    validation = ctx.r.get("validation", {})
    files = validation.get("files", [])
    accounting = ctx.grid("boekhouding", ["valid", "quarantined"],
                           [[counts.get("rows_valid", 0), counts.get("rows_quarantined", 0)]],
                           row_total=False, percent="col",
                           facts={(0, 0): "counts.rows_valid",
                                  (1, 0): "counts.rows_quarantined",
                                  (2, 0): "counts.rows_in"})
    rows = [[ctx.t("Geldige rijen"), accounting.count(0, 0), accounting.share(0, 0)],
            [ctx.t("Rijen in quarantaine"), accounting.count(1, 0), accounting.share(1, 0)],
            [ctx.t("Rijen in"), accounting.count(2, 0), accounting.share(2, 0)]]
    rejected = [f for f in files if f.get("geweigerd")]
    blocks: list[Block] = [
        Text("methode_validatie", {
            "rows_in": accounting.count(2, 0), "valid": accounting.count(0, 0),
            "quarantined": accounting.count(1, 0), "files": ctx.num(len(files)),
            "rejected": ctx.num(len(rejected)),
            "unknown_landlord": ctx.count("validation.unknown_landlord", _get(
                validation, "unknown_to_reference", "verhuurder_id", default=0)),
            "unknown_nis": ctx.count("validation.unknown_nis", _get(
                validation, "unknown_to_reference", "gemeente_nis", default=0))}),
        ctx.table("boekhouding", ctx.t("Boekhouding van de aangeleverde rijen"),
                   [ctx.t("Rijen"), ctx.t("Aantal"), ctx.t("Aandeel")], rows,
                   grids=[accounting], total_rows=1,
                   n=ctx.n_line(len(files), N_("n = %(n)s aangeleverde bestanden")),
                   notes=[ctx.t("Rijen van geweigerde bestanden worden niet gelezen en "
                                 "tellen niet mee.")]),
    ]
    if ctx.p is not None:
        per_region = ctx.p["validation"]["per_region"]
        last = len(per_region)
        grid = ctx.grid("validatie_regio", [row["caw"] for row in per_region],
                         [[row["valid"] for row in per_region],
                          [row["quarantined"] for row in per_region]], percent="row",
                         facts={(last, 0): "counts.rows_valid",
                                (last, 1): "counts.rows_quarantined",
                                (last, 2): "counts.rows_in"})
        table_rows = [[ctx.region(row["caw"]), grid.count(i, 0), grid.count(i, 1),
                       grid.count(i, 2), grid.share(i, 1)]
                      for i, row in enumerate(per_region)]
        last = len(per_region)
        table_rows.append([ctx.t("Totaal"), grid.count(last, 0), grid.count(last, 1),
                           grid.count(last, 2), grid.share(last, 1)])
        blocks.append(ctx.table(
            "validatie_regio", ctx.t("Geldige rijen en rijen in quarantaine per CAW-regio"),
            [ctx.t("CAW-regio"), ctx.t("Geldig"), ctx.t("Quarantaine"),
             ctx.t("Rijen in"), ctx.t("Aandeel in quarantaine")], table_rows,
            grids=[grid], total_rows=1,
            n=ctx.n_line(counts.get("rows_in"), N_("n = %(n)s rijen"),
                          fact="counts.rows_in"),
            notes=[ctx.t("Een rij in quarantaine telt bij de regio die ze vermeldt; een "
                          "ontbrekende of onbekende regiocode staat onder 'Onbekende of "
                          "ongeldige regio'.")]))
    rules = validation.get("rules_broken") or {}
    if rules:
        names = list(rules)
        grid = ctx.grid("validatie_regels", names, [[rules[k] for k in names]],
                         row_total=False, col_total=False)
        blocks.append(ctx.table(
            "validatie_regels", ctx.t("Rijen in quarantaine per gebroken regel"),
            [ctx.t("Regel"), ctx.t("Betekenis"), ctx.t("Rijen")],
            [[name, ctx.rule(name), grid.count(i, 0)] for i, name in enumerate(names)],
            numeric=[False, False, True], grids=[grid],
            n=ctx.n_line(counts.get("rows_quarantined"),
                          N_("n = %(n)s rijen in quarantaine"),
                          fact="counts.rows_quarantined"),
            notes=[ctx.t("Een rij die meer dan één regel breekt, telt bij elke regel; "
                          "de kolommen tellen daarom niet op tot het aantal rijen in "
                          "quarantaine.")]))
    if rejected:
        blocks.append(ctx.table(
            "geweigerd", ctx.t("Geweigerde bestanden"),
            [ctx.t("Bestand"), ctx.t("Reden")],
            [[f["bestand"], ctx.file_rule(f.get("regel"))] for f in rejected],
            numeric=[False, False],
            n=ctx.n_line(len(rejected), N_("n = %(n)s geweigerde bestanden")),
            notes=[ctx.t("Van een geweigerd bestand wordt niets bewaard; de CAW kreeg een "
                          "melding met bestand, kolom en regel.")]))
    return blocks


def methods_definitions(ctx: Context) -> list[Block]:
    counts = ctx.r.get("counts", {})
    valid = counts.get("rows_valid", 0)
    closed, open_ = counts.get("closed", 0), counts.get("open_at_cutoff", 0)
    out = counts.get("out_of_scope", 0)
    before = max(valid - closed - open_ - out, 0)
    grid = ctx.grid("status", ["before", "closed", "open", "out"],
                     [[before, closed, open_, out]], row_total=False, percent="col",
                     facts={(1, 0): "counts.closed", (2, 0): "counts.open_at_cutoff",
                            (4, 0): "counts.rows_valid"},
                     extra=lambda spec: spec.total(
                         "active", [(1, 0), (2, 0)],
                         fact=ctx.ck.fact("counts.active", closed + open_)))
    labels = [ctx.t("Afgesloten vóór %(year)s") % {"year": ctx.year},
              ctx.t("Afgesloten in %(year)s") % {"year": ctx.year},
              ctx.t("Open op de peildatum"),
              ctx.t("Gestart na de peildatum (buiten het jaar)")]
    rows = [[label, grid.count(i, 0), grid.share(i, 0)] for i, label in enumerate(labels)]
    rows.append([ctx.t("Geldige rijen"), grid.count(4, 0), grid.share(4, 0)])
    active = grid.published["active"].text(ctx.num)
    return [Text("methode_definities", {"active": active}),
            ctx.table("status", ctx.t("Geldige trajecten naar hun stand op de peildatum"),
                       [ctx.t("Stand"), ctx.t("Aantal"), ctx.t("Aandeel")], rows,
                       grids=[grid], total_rows=1,
                       n=ctx.n_line(valid, N_("n = %(n)s geldige rijen"),
                                     fact="counts.rows_valid"),
                       notes=[ctx.t("Actief in het jaar = afgesloten in het jaar + open op "
                                     "de peildatum.")])]


def methods_statistics(ctx: Context) -> list[Block]:
    ms = _get(ctx.r, "settings", "models", default={})
    cox = ctx.r.get("cox", {})
    ev = ctx.r.get("eviction_avoided", {})

    def covariates(names: Sequence[str]) -> str:
        return ", ".join(ctx.variable(n) for n in names) or fmt.MISSING

    refs = ", ".join(f"{ctx.variable(k)}: {ctx.level(k, v)}"
                     for k, v in (ms.get("references") or {}).items())
    strata = ms.get("cox_strata") or []
    rows = [
        [ctx.t("Betrouwbaarheidsniveau"), ctx.pct(ms.get("conf_level"), 0)],
        [ctx.t("Betrouwbaarheidsinterval Kaplan–Meier"),
         ctx.t("%(type)s (zoals R survfit)") % {"type": ms.get("km_conf_type", "log")}],
        [ctx.t("Gelijke tijden (ties) in het Cox-model"),
         str(ms.get("ties", "efron")).capitalize()],
        [ctx.t("Strata van het Cox-model"),
         ", ".join(ctx.variable(s) for s in strata) or ctx.t("geen")],
        [ctx.t("Toets op proportionele hazards"),
         ctx.t("cox.zph-scoretoets, tijdtransformatie %(tf)s") % {
             "tf": ms.get("ph_transform", "km")}],
        [ctx.t("Kenmerken in het Cox-model"), covariates(ms.get("cox_covariates", []))],
        [ctx.t("Kenmerken in het logistische model"),
         covariates(ms.get("logistic_covariates", []))],
        [ctx.t("Referentiecategorieën"), refs or fmt.MISSING],
        [ctx.t("Clusters voor robuuste standaardfouten"),
         ctx.variable(ms["cluster"]) if ms.get("cluster") else ctx.t("geen")],
        [ctx.t("Leeftijdsklassen (ondergrenzen)"),
         ", ".join(str(a) for a in [16, *ms.get("age_bands", [])])],
        [ctx.t("Drempel voor kleine aantallen"), str(ctx.threshold)],
        [ctx.t("Rundatum (regel: geen datum in de toekomst)"),
         fmt.long_date(_get(ctx.r, "settings", "run_date"), ctx.lang)],
    ]
    norms = _get(ctx.r, "settings", "norms", default={})
    rows += [[ctx.t(NORM_LABELS[name]) if name in NORM_LABELS else
              ctx.t("Norm of parameter: %(name)s") % {"name": name},
              ctx.dec(value, _decimals(value))] for name, value in norms.items()]
    cutoff_rules = _get(ctx.r, "settings", "cutoff_rules", default={})
    rows += [[ctx.t("Peildatum en afkapping: %(rule)s") % {
                  "rule": ctx.t(rule.replace("_", " "))}, ctx.t(text)]
             for rule, text in cutoff_rules.items()]
    few = (ev.get("n_clusters") or 0) and ev.get("n_clusters") < 30
    return [
        Text("methode_statistiek", {
            "conf": ctx.pct(ms.get("conf_level"), 0),
            "km_type": ms.get("km_conf_type", "log"),
            "ties": ms.get("ties", "efron"),
            "stratified": bool(strata), "strata": ", ".join(
                ctx.variable(s) for s in strata),
            "clusters": ctx.num(ev.get("n_clusters")), "few_clusters": bool(few),
            "cov_type": ev.get("cov_type") or fmt.MISSING,
            "cluster": ctx.variable(ms["cluster"]) if ms.get("cluster") else "",
            "ph_transform": ms.get("ph_transform", "km"),
            "threshold": ctx.threshold, "cox_ties": cox.get("ties", ms.get("ties"))}),
        ctx.table("instellingen", ctx.t("Instellingen van deze run"),
                   [ctx.t("Instelling"), ctx.t("Waarde")], rows, numeric=[False, False],
                   source=N_("Bron: instellingen van de run (results.json, settings).")),
    ]


def methods_software(ctx: Context) -> list[Block]:
    rows = [[name, version] for name, version in ctx.software.items()]
    if not rows:
        return [ctx.para(ctx.t("De softwareversies werden niet doorgegeven."))]
    return [Text("methode_software"),
            ctx.table("software", ctx.t("Softwareversies van deze run"),
                       [ctx.t("Pakket"), ctx.t("Versie")], rows, numeric=[False, False],
                       source=N_("Bron: de Python-omgeving van deze run."))]


def build(ctx: Context) -> Chapter:
    return Chapter("methode", ctx.t("Gegevens en methode"), chapter_methods(ctx))
