"""Tests for pipeline.privacy: personal-data detection, messages, pseudonymisation."""

from __future__ import annotations

import hmac
import re

import polars as pl
import pytest

from pipeline.privacy import (
    DEMO_PSEUDONYM_KEY,
    IDENTIFIER_HEADERS,
    KINDS,
    DemoKeyWarning,
    PersonalDataFinding,
    is_identifier_header,
    pseudonym_key,
    pseudonymise,
    scan_headers,
    scan_personal_data,
)

FORMAT_COLUMNS = [
    "dossier_id", "client_id", "caw", "begeleider_id", "verhuurder_type", "verhuurder_id",
    "gemeente_nis", "datum_aanmelding", "datum_start", "datum_afsluiting", "aanmelder",
    "probleem_huurachterstand", "probleem_onderhoud", "probleem_samenleven",
    "huurachterstand_eur", "procedure_gestart", "gezinstype", "aantal_kinderen", "leeftijd",
    "geslacht", "inkomensbron", "schuldbemiddeling", "aantal_huisbezoeken", "aantal_contacten",
    "doorverwezen", "afsluitreden", "handelingsdoelen", "uithuiszetting_vermeden", "nazorg",
]


def make_rrn(yy: int, mm: int, dd: int, seq: int, *, born_2000: bool = False) -> str:
    """Independent construction of a national register number (11 bare digits)."""
    base = yy * 10**7 + mm * 10**5 + dd * 10**3 + seq
    check = 97 - ((2 * 10**9 + base) if born_2000 else base) % 97
    return f"{base:09d}{check:02d}"


def formatted(rrn: str) -> str:
    return f"{rrn[0:2]}.{rrn[2:4]}.{rrn[4:6]}-{rrn[6:9]}.{rrn[9:11]}"


def iban_ok(iban: str) -> bool:
    """Independent ISO 13616 check, used to prove the fixtures are what they claim."""
    text = iban.replace(" ", "")
    return int("".join(str(int(c, 36)) for c in text[4:] + text[:4])) % 97 == 1


def kinds(value: str) -> set[str]:
    frame = pl.DataFrame({"opmerking": [value]})
    return {f.kind for f in scan_personal_data(frame, max_findings_per_column=10)}


RRN_1985 = make_rrn(85, 7, 30, 33)
RRN_2005 = make_rrn(5, 3, 14, 127, born_2000=True)
RRN_BIS = make_rrn(90, 22, 15, 1)  # bis number: month + 20
RRN_BIS_2001 = make_rrn(1, 41, 2, 998, born_2000=True)  # month + 40, born 2001


def test_century_rules_differ() -> None:
    assert make_rrn(5, 3, 14, 127) != RRN_2005


@pytest.mark.parametrize(
    "value",
    [
        RRN_1985, formatted(RRN_1985), f"{RRN_1985[:6]}-{RRN_1985[6:9]}-{RRN_1985[9:]}",
        RRN_2005, formatted(RRN_2005), RRN_BIS, formatted(RRN_BIS_2001),
        f"klant {formatted(RRN_1985)} gebeld", f"rrn:{RRN_2005}.", f"{RRN_1985} ok",
        f"12345678901 {RRN_1985}",  # an invalid candidate before a valid one
    ],
)
def test_valid_rrn_detected(value: str) -> None:
    assert kinds(value) == {"rijksregisternummer"}


def with_wrong_check(rrn: str) -> str:
    return rrn[:9] + f"{(int(rrn[9:]) % 97) + 1:02d}"


@pytest.mark.parametrize(
    "value",
    [
        with_wrong_check(RRN_1985), formatted(with_wrong_check(RRN_2005)), "85073003327",
        RRN_1985[:10], RRN_1985 + "4", "9" + RRN_1985, f"x{RRN_1985}0",  # 10/12-digit runs
        make_rrn(85, 13, 1, 1), make_rrn(85, 33, 1, 1), make_rrn(85, 7, 32, 1),  # no birth date
        "15/03/2012", "2012-03-15", "1.234,50", "44021", "D000123", "20120315",
    ],
)
def test_no_rrn_false_positives(value: str) -> None:
    assert "rijksregisternummer" not in kinds(value)


@pytest.mark.parametrize(
    "value",
    ["jan.peeters@example.be", "mail an_de-smet+caw@sub.caw-ovl.be.", "X@Y.COM"],
)
def test_email_detected(value: str) -> None:
    assert kinds(value) == {"e-mailadres"}


@pytest.mark.parametrize("value", ["jan@", "@home", "a@b", "prijs @ 5 euro"])
def test_email_negatives(value: str) -> None:
    assert kinds(value) == set()


@pytest.mark.parametrize(
    "value",
    [
        "0471 23 45 67", "0471/23.45.67", "0471234567", "0478-12-34-56", "09 123 45 67",
        "09/123.45.67", "02-123-45-67", "091234567", "+32 471 23 45 67", "+32471234567",
        "0032 9 123 45 67", "0032471234567", "+32 (0)9 123 45 67", "tel: 011/22.33.44",
        "bel haar op 0478.12.34.56 na 17u",
    ],
)
def test_phone_detected(value: str) -> None:
    assert kinds(value) == {"telefoonnummer"}


@pytest.mark.parametrize(
    "value",
    [
        "15/03/2012", "05-03-2012", "2012-03-15", "15.03.2012", "1.234,50", "1234,50", "0,00",
        "44021", "7", "115", "2012-03-15T10:30:00", "2012-03-15T10:30:00+01:00",
        "04/03/2012 09:30", "01/04/2012-04/05/2012", "0123456789", "12345678", "D000123",
        "0471 23 45 67 89",  # part of a longer digit group
    ],
)
def test_phone_negatives(value: str) -> None:
    assert kinds(value) == set()


@pytest.mark.parametrize(
    "value",
    ["BE68 5390 0754 7034", "BE68539007547034", "NL91ABNA0417164300",
     "rekening BE68 5390 0754 7034 EUR", "nl91abna0417164300"],
)
def test_iban_detected(value: str) -> None:
    assert iban_ok(value.upper().replace("REKENING ", "").replace(" EUR", ""))
    assert kinds(value) == {"iban"}


@pytest.mark.parametrize("value", ["BE69 5390 0754 7034", "BE68539007547035", "NL91ABNA0417164301"])
def test_iban_wrong_check_not_detected(value: str) -> None:
    assert not iban_ok(value)
    assert kinds(value) == set()


TYPICAL_ROW = {
    "dossier_id": "D000123", "client_id": "C004567", "caw": "OVL", "begeleider_id": "B012",
    "verhuurder_type": "SHM", "verhuurder_id": "SHM0123", "gemeente_nis": "44021",
    "datum_aanmelding": "2012-03-15", "datum_start": "15/03/2012", "datum_afsluiting": "05-03-2013",
    "aanmelder": "ocmw", "probleem_huurachterstand": "ja", "probleem_onderhoud": "nee",
    "probleem_samenleven": "J", "huurachterstand_eur": "1.234,50", "procedure_gestart": "0",
    "gezinstype": "koppel_met_kinderen", "aantal_kinderen": "2", "leeftijd": "45",
    "geslacht": "v", "inkomensbron": "ziekte_invaliditeit", "schuldbemiddeling": "true",
    "aantal_huisbezoeken": "3", "aantal_contacten": "12", "doorverwezen": "1.0",
    "afsluitreden": "doelen_bereikt", "handelingsdoelen": "gedeeltelijk",
    "uithuiszetting_vermeden": "onbekend", "nazorg": "nee",
}


def test_typical_registration_has_no_findings() -> None:
    frame = pl.DataFrame([TYPICAL_ROW] * 3)
    assert scan_headers(frame.columns) == []
    assert scan_personal_data(frame) == []


def test_non_string_columns_are_scanned() -> None:
    frame = pl.DataFrame({"nummer": [1, int(RRN_1985)], "leeftijd": [45, 46]})
    assert scan_personal_data(frame) == [PersonalDataFinding("nummer", 3, "rijksregisternummer")]


def test_line_numbers_and_limit_per_column() -> None:
    frame = pl.DataFrame({
        "opmerking": ["ok", f"x {RRN_1985}", "jan@example.be", "0471234567"],
        "caw": ["OVL"] * 4,
    })
    assert [(f.line, f.kind) for f in scan_personal_data(frame)] == [(3, "rijksregisternummer")]
    lines = pl.Series([10, 14, 15, 19])
    found = scan_personal_data(frame, line_numbers=lines, max_findings_per_column=3)
    assert [(f.column, f.line, f.kind) for f in found] == [
        ("opmerking", 14, "rijksregisternummer"),
        ("opmerking", 15, "e-mailadres"),
        ("opmerking", 19, "telefoonnummer"),
    ]


def test_findings_and_messages_never_carry_the_value() -> None:
    values = [f"klant {formatted(RRN_1985)} gebeld", "jan.peeters@example.be",
              "0471/23.45.67", "BE68 5390 0754 7034"]
    frame = pl.DataFrame({"opmerking": values})
    found = scan_personal_data(frame, max_findings_per_column=10)
    assert {f.kind for f in found} == set(KINDS)
    for finding in found:
        message = finding.message("aanlevering_ovl.csv")
        assert "aanlevering_ovl.csv" in message and "'opmerking'" in message
        assert f"regel {finding.line}" in message
        assert "Persoonsgegevens" in message
        for text in (str(finding), repr(finding), message):
            for digits in (RRN_1985, "471234567", "68539007547034"):
                assert digits[-6:] not in re.sub(r"\D", "", text)
            assert "peeters" not in text and "example" not in text
    kind_words = {"rijksregisternummer": "rijksregisternummer", "e-mailadres": "e-mailadres",
                  "telefoonnummer": "telefoonnummer", "iban": "IBAN"}
    for finding in found:
        assert kind_words[finding.kind] in finding.message("x.csv")


@pytest.mark.parametrize(
    "name",
    [*IDENTIFIER_HEADERS, "Naam", " VOORNAAM ", "E-mail", "E_MAIL", "Email adres",
     "Rijksregister-nummer", "nationaal nummer", "GSM-nummer", "Téléfoon", "geboorte_datum",
     "naam_client", "client_naam", "client_email", "telefoon_thuis", "Straatnaam", "huis nummer",
     "INSZ", "tel", "IBAN", "rekening nummer", "bank-rekening", "adresgegevens"],
)
def test_identifier_headers_flagged(name: str) -> None:
    assert is_identifier_header(name)


@pytest.mark.parametrize("name", [*FORMAT_COLUMNS, "opmerking", "gemeentenaam", "jaar"])
def test_format_columns_never_flagged(name: str) -> None:
    assert not is_identifier_header(name)
    assert not is_identifier_header(name.upper())


def test_scan_headers() -> None:
    found = scan_headers(["dossier_id", "Voornaam", "caw", "klant_email"])
    assert found == [PersonalDataFinding("Voornaam", None, "kolomnaam"),
                     PersonalDataFinding("klant_email", None, "kolomnaam")]
    assert "regel" not in found[0].message("x.csv")
    assert "kolom 'Voornaam'" in found[0].message("x.csv")


def test_header_that_is_a_value_is_masked() -> None:
    """A data row read as header must not be echoed in the rejection message."""
    columns = ["D000123", formatted(RRN_1985), "jan@example.be"]
    found = scan_headers(columns)
    assert [f.column for f in found] == ["nr. 2 (naam verborgen)", "nr. 3 (naam verborgen)"]
    frame = pl.DataFrame({c: ["x", RRN_1985] for c in columns})
    for finding in found + scan_personal_data(frame):
        assert RRN_1985[:6] not in finding.message("x.csv") + repr(finding)
        assert "jan@" not in finding.message("x.csv")


KEY = b"0123456789abcdef-test"


def test_pseudonymise_is_keyed_hmac_and_keeps_structure() -> None:
    frame = pl.DataFrame({
        "client_id": ["C1", "C2", None, "C1", "C3"],
        "leeftijd": [30, 40, 50, 60, 70],
    })
    out = pseudonymise(frame, ["client_id", "absent"], KEY)
    assert pseudonymise(frame.rename({"client_id": "value"}), ["value"], KEY)["value"].equals(
        out["client_id"].rename("value")
    )
    ids = out["client_id"].to_list()
    assert out["leeftijd"].to_list() == frame["leeftijd"].to_list()
    assert out.columns == frame.columns
    assert ids[2] is None
    assert ids[0] == ids[3] and len({ids[0], ids[1], ids[4]}) == 3
    assert ids[0] == hmac.new(KEY, b"C1", "sha256").hexdigest()[:20]
    assert all(re.fullmatch(r"[0-9a-f]{20}", i) for i in ids if i is not None)
    assert pseudonymise(frame, ["client_id"], KEY).equals(out)  # deterministic
    other = pseudonymise(frame, ["client_id"], b"another-secret-key-0001")["client_id"]
    assert other[0] != ids[0] and other[2] is None


def test_pseudonymise_many_values_and_long_key() -> None:
    long_key = b"k" * 100  # longer than the SHA-256 block: hashed first (RFC 2104)
    values = [f"D{i:06d}" for i in range(2000)]
    out = pseudonymise(pl.DataFrame({"id": values, "n": list(range(2000))}), ["id", "n"], long_key)
    assert out["id"].n_unique() == 2000
    assert out["id"][1234] == hmac.new(long_key, b"D001234", "sha256").hexdigest()[:20]
    assert out["n"][7] == hmac.new(long_key, b"7", "sha256").hexdigest()[:20]


def test_demo_key_warns_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PWB_PSEUDONYM_KEY", raising=False)
    assert issubclass(DemoKeyWarning, UserWarning)
    with pytest.warns(DemoKeyWarning, match="synthetische"):
        assert pseudonym_key() == DEMO_PSEUDONYM_KEY


def test_short_key_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PWB_PSEUDONYM_KEY", "te-kort-15-tekn")
    with pytest.raises(ValueError, match="te kort.*too short"):
        pseudonym_key()


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PWB_PSEUDONYM_KEY", "een-echte-geheime-sleutel")
    assert pseudonym_key() == b"een-echte-geheime-sleutel"
