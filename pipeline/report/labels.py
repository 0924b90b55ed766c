"""Display labels of the report's variables, levels, outcomes, rules and models (Dutch,
marked for the catalogue with ``N_`` and translated where they are shown)."""

from __future__ import annotations


def N_(text: str) -> str:
    """Mark a Dutch message for the catalogue; it is translated where it is shown."""
    return text


VARIABLES = {
    "caw": N_("CAW-regio"),
    "verhuurder_type": N_("Type verhuurder"),
    "gezinstype": N_("Gezinstype"),
    "inkomensbron": N_("Belangrijkste inkomensbron"),
    "leeftijdsklasse": N_("Leeftijd"),
    "leeftijd": N_("Leeftijd (per jaar)"),
    "geslacht": N_("Geslacht"),
    "aanmelder": N_("Aanmelder"),
    "procedure_gestart": N_("Procedure tot uithuiszetting gestart bij aanmelding"),
    "probleem_huurachterstand": N_("Huurachterstand bij aanmelding"),
    "probleem_onderhoud": N_("Problemen met het onderhoud van de woning"),
    "probleem_samenleven": N_("Problemen met samenleven"),
    "aantal_problemen": N_("Aantal probleemgebieden bij aanmelding"),
    "huurachterstand_klasse": N_("Hoogte van de huurachterstand"),
    "schuldbemiddeling": N_("Schuldbemiddeling of budgetbeheer"),
    "huisbezoeken_klasse": N_("Aantal huisbezoeken"),
    "doorverwezen": N_("Doorverwezen naar gespecialiseerde hulp"),
    "nazorg": N_("Nazorg afgesproken"),
    "afsluitreden": N_("Reden van afsluiting"),
    "handelingsdoelen": N_("Handelingsdoelen bij afsluiting"),
    "uithuiszetting_vermeden": N_("Uithuiszetting vermeden"),
}
LEVELS = {
    "SHM": N_("SHM (sociale huisvestingsmaatschappij)"),
    "SVK": N_("SVK (sociaal verhuurkantoor)"),
    "alleenstaand": N_("Alleenstaand"), "eenoudergezin": N_("Eenoudergezin"),
    "koppel_zonder_kinderen": N_("Koppel zonder kinderen"),
    "koppel_met_kinderen": N_("Koppel met kinderen"), "andere": N_("Andere"),
    "arbeid": N_("Arbeid"), "werkloosheid": N_("Werkloosheidsuitkering"),
    "ziekte_invaliditeit": N_("Ziekte- of invaliditeitsuitkering"),
    "pensioen": N_("Pensioen"), "leefloon": N_("Leefloon"), "geen": N_("Geen inkomen"),
    "m": N_("Man"), "v": N_("Vrouw"), "x": N_("X (genderneutraal)"),
    "shm": N_("Sociale huisvestingsmaatschappij"), "svk": N_("Sociaal verhuurkantoor"),
    "ocmw": N_("OCMW"), "caw": N_("CAW"), "politie": N_("Politie"),
    "huurder": N_("Huurder zelf"),
    "ja": N_("Ja"), "nee": N_("Nee"), "onbekend": N_("Onbekend"),
    "doelen_bereikt": N_("Doelen bereikt"), "voortijdig_gestopt": N_("Voortijdig gestopt"),
    "verhuisd": N_("Verhuisd"), "uithuisgezet": N_("Uithuisgezet"),
    "doorverwezen": N_("Doorverwezen"), "overleden": N_("Overleden"),
    "bereikt": N_("Bereikt"), "gedeeltelijk": N_("Gedeeltelijk bereikt"),
    "niet_bereikt": N_("Niet bereikt"),
}
OUTCOME_LABELS = {"vermeden": N_("Uithuiszetting vermeden"), "uithuisgezet": N_("Uithuisgezet"),
                  "ander": N_("Niet vermeden of onbekend, zonder uithuiszetting"),
                  "niet_vermeden": N_("Niet vermeden, zonder uithuiszetting"),
                  "onbekend": N_("Afloop onbekend")}
RULE_FAMILIES = {
    "verplicht": N_("verplichte kolom is leeg"),
    "afsluiting_ontbreekt": N_("afgesloten dossier zonder verplicht afsluitgegeven"),
    "afsluiting_bij_open_dossier": N_("open dossier met een afsluitgegeven"),
    "onleesbaar": N_("waarde onleesbaar (datum, getal of ja/nee)"),
    "code": N_("geen toegelaten code"),
    "bereik": N_("waarde buiten het toegelaten bereik"),
    "datumbereik": N_("datum in de toekomst of vóór 2002"),
    "volgorde": N_("datums in de verkeerde volgorde"),
    "contacten_huisbezoeken": N_("minder contacten dan huisbezoeken"),
    "uithuisgezet_niet_vermeden": N_("uithuisgezet, maar uithuiszetting vermeden is niet nee"),
    "dubbel_dossier": N_("dossiernummer komt meer dan eens voor in de regio"),
}
FILE_RULES = {
    "onleesbaar_bestand": N_("het bestand kan niet gelezen worden"),
    "verplichte_kolom_ontbreekt": N_("een verplichte kolom ontbreekt"),
    "dubbele_kolomnaam": N_("een kolomnaam komt meer dan eens voor"),
    "persoonsgegevens": N_("het bestand bevat persoonsgegevens"),
    "onbekend_bestandstype": N_("het bestandstype wordt niet ondersteund"),
    "leeg_bestand": N_("het bestand bevat geen kolomkoppen"),
}
MODEL_NAMES = {"time_to_closure": N_("Kaplan–Meier en log-rank"),
               "cox": N_("Cox-model"), "cumulative_incidence": N_("Cumulatieve incidentie"),
               "eviction_avoided": N_("Logistisch model")}
UNKNOWN_REGION = "?"
# The reference norms and parameters as the settings table names them (no raw keys).
NORM_LABELS = {
    "clienten_per_vte": N_("Norm: cliënten per VTE per jaar (omzendbrief, punt 2)"),
    "gelijktijdig_per_vte": N_("Lopende begeleidingen per hulpverlener, gemiddelde van 2011"),
    "gemiddelde_duur_maanden": N_("Begeleidingsduur in maanden, gemiddelde van 2011"),
    "begeleidingen_per_vte_per_jaar": N_("Begeleidingen per hulpverlener per jaar, gemiddelde "
                                         "van 2011"),
    "kost_per_vte_eur": N_("Kost van één VTE per jaar in euro (afgeleid: 500.000 / 7,88)"),
    "risico_shm": N_("Risico op uithuiszetting, huurders van een SHM"),
    "risico_shm_grootstad": N_("Risico op uithuiszetting, SHM-huurders in Gent en Antwerpen"),
    "risico_svk": N_("Risico op uithuiszetting, huurders van een SVK"),
    "uitbreiding_binnen_dagen": N_("Verruiming van het aanbod binnen ... dagen na de "
                                   "toekenning (omzendbrief, punt 2: één maand)"),
}
