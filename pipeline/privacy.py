"""Keep personal data out of the pipeline (file rule "personal data" of the format).

A file whose column names look like direct identifiers, or whose cells contain a
Belgian national register number, e-mail address, phone number or IBAN, is
rejected whole. Findings name file, column and line but never the value, so
rejection messages and logs cannot themselves leak identities. Pseudonymous ids
can additionally be re-keyed with a secret HMAC key before they are stored.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
import pyarrow as pa

IDENTIFIER_HEADERS: tuple[str, ...] = tuple(
    """naam voornaam achternaam familienaam adres straat straatnaam huisnummer
    rijksregisternummer rijksregister rrn insz inss nationaal_nummer email e-mail mail
    emailadres telefoon telefoonnummer tel gsm gsm_nummer iban rekeningnummer bankrekening
    geboortedatum""".split()
)
"""Direct-identifier column names; matched after `_header_tokens` normalisation."""

# Words specific enough to flag a header that merely contains them ("client_email").
# Short or ambiguous words (naam, tel, mail, rrn, insz) only count as a whole token,
# so "gemeentenaam" or "aantal_contacten" stay allowed.
_STRONG_WORDS = """voornaam achternaam familienaam adres straat huisnummer rijksregister
nationaalnummer email telefoon gsm iban rekeningnummer bankrekening geboortedatum""".split()

KINDS = ("rijksregisternummer", "e-mailadres", "telefoonnummer", "iban")
HEADER_KIND = "kolomnaam"

# Building blocks of the value detectors (Rust regex syntax, no look-around).
_RRN = r"\d{2}[ .\-]?\d{2}[ .\-]?\d{2}[ .\-]?\d{3}[ .\-]?\d{2}"
_P = r"[ ./\-]?"  # phone separator
_PHONE = (
    rf"(?:(?:\+|00)32{_P}(?:\(0\){_P})?[1-9](?:{_P}\d){{7,8}}"  # international
    rf"|04(?:{_P}\d){{8}}"  # mobile, 10 digits
    rf"|0[1-9](?:{_P}\d){{7}})"  # landline, 9 digits
)
_EMAIL = r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,}"
_IBAN = r"[A-Za-z]{2}\d{2}(?:[A-Za-z0-9]{11,30}|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,4})?)"
# Full dates (and so date-times) are blanked before the phone search: "04/03/2012 09:30"
# or "01/04/2012-04/05/2012" would otherwise read as 10 digits starting with 04.
_DATE = r"[0-3]?\d[/.\-][01]?\d[/.\-](?:19|20)\d{2}|(?:19|20)\d{2}-[01]?\d-[0-3]?\d"

# Cheap superset of all detectors: typical cells (ids, dates, codes, amounts) fail it.
# Cells shorter than the shortest detectable value (an e-mail like a@b.be) skip even that.
_PREFILTER = f"@|{_RRN}|{_PHONE}|{_IBAN}"
_MIN_BYTES = 6
# Exact forms: not glued to a longer digit run (RRN: the trailing `\d?` makes a
# 12th digit visible so the 11-digit length test below rejects it). A phone number
# must be a whole separated digit group ("85.07.30-033.28" holds no phone number)
# and not follow a letter ("NL91ABNA0417164300" neither).
_RRN_CANDIDATE = rf"(?:^|\D){_RRN}\d?"
_PHONE_BOUNDED = (
    rf"(?:^|^[ ./\-]|[^0-9A-Za-z ./\-]|[^0-9][ ./\-]){_PHONE}(?:$|[^0-9 ./\-]|[ ./\-](?:$|\D))"
)
_IBAN_CANDIDATE = rf"(?:^|[^A-Za-z0-9]){_IBAN}"


@dataclass(frozen=True)
class PersonalDataFinding:
    """Where personal data was found; deliberately holds no trace of the value."""

    column: str
    line: int | None
    kind: str

    def message(self, file_name: str) -> str:
        """Dutch explanation for CAW staff; names the place, never the value."""
        where = f"Bestand '{file_name}', kolom '{self.column}'"
        if self.line is not None:
            where += f", regel {self.line}"
        what = (
            "de kolomnaam wijst op een directe identificatie (persoonsgegeven)"
            if self.kind == HEADER_KIND
            else f"bevat een {'IBAN-rekeningnummer' if self.kind == 'iban' else self.kind}"
        )
        return (
            f"{where}: {what}. Persoonsgegevens mogen niet in de registratie staan; "
            "verwijder ze en lever het bestand opnieuw aan."
        )


def _header_tokens(name: str) -> list[str]:
    """Lower-case, accent-free tokens so 'E-mail', ' Téléfoon ', 'gsm_nummer' compare equal."""
    text = unicodedata.normalize("NFKD", name.strip().lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return [token for token in re.split(r"[\s_\-.]+", text) if token]


_IDENTIFIER_COMPACT = frozenset("".join(_header_tokens(h)) for h in IDENTIFIER_HEADERS)


def is_identifier_header(name: str) -> bool:
    """True when a column name announces a direct identifier (file must be rejected)."""
    tokens = _header_tokens(name)
    compact = "".join(tokens)
    return (
        compact in _IDENTIFIER_COMPACT
        or any(token in _IDENTIFIER_COMPACT for token in tokens)
        or any(word in compact for word in _STRONG_WORDS)
    )


def _valid_rrn(candidate: pl.Expr) -> pl.Expr:
    """Mod-97 check (both century rules) plus a plausible (bis) birth month and day."""
    digits = candidate.str.replace_all(r"\D", "")
    base = digits.str.slice(0, 9).cast(pl.Int64)
    check = digits.str.slice(9, 2).cast(pl.Int64)
    month = digits.str.slice(2, 2).cast(pl.Int64)
    day = digits.str.slice(4, 2).cast(pl.Int64)
    return (
        (digits.str.len_chars() == 11)
        & ((month <= 12) | month.is_between(20, 32) | month.is_between(40, 52))
        & (day <= 31)
        & ((check == 97 - base % 97) | (check == 97 - (base + 2_000_000_000) % 97))
    )


def _valid_iban(candidate: str) -> bool:
    """ISO 13616 mod-97; a spaced candidate may have swallowed a trailing word ('… EUR')."""
    groups = re.findall(r"[A-Za-z0-9]+", candidate)
    for parts in (groups, groups[:-1]):
        text = "".join(parts).upper()
        if 15 <= len(text) <= 34 and text[2:4].isdigit():
            number = "".join(str(int(ch, 36)) for ch in text[4:] + text[:4])
            if int(number) % 97 == 1:
                return True
    return False


def _matches(cells: pl.DataFrame) -> pl.DataFrame:
    """(row, kind) of every detector hit in `cells` (columns `row`, `v`), ordered by row."""
    candidates = cells["v"].str.extract_all(_IBAN_CANDIDATE).explode().drop_nulls().unique()
    ibans = pl.Series([c for c in candidates.to_list() if _valid_iban(c)], dtype=pl.String)
    value = pl.col("v")
    hits = cells.select(
        "row",
        value.str.extract_all(_RRN_CANDIDATE)
        .list.eval(_valid_rrn(pl.element())).list.any().alias(KINDS[0]),
        value.str.contains(_EMAIL).alias(KINDS[1]),
        value.str.replace_all(_DATE, "_").str.contains(_PHONE_BOUNDED).alias(KINDS[2]),
        value.str.extract_all(_IBAN_CANDIDATE)
        .list.eval(pl.element().is_in(ibans.implode())).list.any().alias(KINDS[3]),
    )
    return (
        hits.unpivot(index="row", variable_name="kind")
        .filter(pl.col("value"))
        .sort("row", maintain_order=True)
        .select("row", "kind")
    )


def _masked_labels(columns: list[str]) -> dict[int, str]:
    """Neutral labels for names that are themselves personal data (a data row read as header)."""
    cells = pl.DataFrame({"v": columns}, schema={"v": pl.String}).with_row_index("row")
    rows = _matches(cells.filter(pl.col("v").str.contains(_PREFILTER)))["row"].unique()
    return {row: f"nr. {row + 1} (naam verborgen)" for row in rows.to_list()}


def scan_headers(columns: list[str]) -> list[PersonalDataFinding]:
    """One 'kolomnaam' finding per column whose name is, or announces, personal data."""
    masked = _masked_labels(columns)
    return [
        PersonalDataFinding(masked.get(i, name), None, HEADER_KIND)
        for i, name in enumerate(columns)
        if i in masked or is_identifier_header(name)
    ]


def scan_personal_data(
    frame: pl.DataFrame,
    *,
    line_numbers: pl.Series | None = None,
    max_findings_per_column: int = 1,
) -> list[PersonalDataFinding]:
    """Find personal data in the raw cells of one file, at most N examples per column.

    `line_numbers[i]` is the file line of row i; without it row i is reported as
    line i + 2 (header on line 1, one line per row). All columns get one parallel
    prefilter pass; only columns and rows that pass it meet the exact detectors.
    """
    if frame.width == 0 or frame.height == 0:
        return []
    text = [pl.col(c).cast(pl.String) for c in frame.columns]
    long_enough = [t.filter(t.str.len_bytes() >= _MIN_BYTES) for t in text]
    passed = frame.select(t.str.contains(_PREFILTER).any() for t in long_enough).row(0)
    labels = _masked_labels(frame.columns)
    findings: list[PersonalDataFinding] = []
    for i, (name, expr, hit) in enumerate(zip(frame.columns, text, passed, strict=True)):
        if not hit:
            continue
        cells = (
            frame.select(expr.alias("v"))
            .with_row_index("row")
            .filter(pl.col("v").str.len_bytes() >= _MIN_BYTES, pl.col("v").str.contains(_PREFILTER))
        )
        for row, kind in _matches(cells).head(max_findings_per_column).iter_rows():
            line = int(line_numbers[row]) if line_numbers is not None else row + 2
            findings.append(PersonalDataFinding(labels.get(i, name), line, kind))
    return findings


PSEUDONYM_KEY_ENV = "PWB_PSEUDONYM_KEY"
DEMO_PSEUDONYM_KEY = b"pwb-demo-sleutel-enkel-voor-synthetische-data"
"""Public, hence worthless as a secret: pseudonyms made with it are reversible by
anyone who can guess the inputs. Only for synthetic demo data."""


class DemoKeyWarning(UserWarning):
    """The public demo key is in use; never acceptable for real client data."""


def pseudonym_key() -> bytes:
    """The secret HMAC key from $PWB_PSEUDONYM_KEY, or the demo key with a warning."""
    raw = os.environ.get(PSEUDONYM_KEY_ENV)
    if raw is None:
        warnings.warn(
            f"{PSEUDONYM_KEY_ENV} is niet gezet: de publieke demosleutel wordt gebruikt, "
            "enkel geschikt voor synthetische data. / Not set: using the public demo key, "
            "only suitable for synthetic data.",
            DemoKeyWarning,
            stacklevel=2,
        )
        return DEMO_PSEUDONYM_KEY
    if len(raw) < 16:
        raise ValueError(
            f"{PSEUDONYM_KEY_ENV} is te kort: minstens 16 tekens vereist. / "
            f"{PSEUDONYM_KEY_ENV} is too short: at least 16 characters required."
        )
    return raw.encode("utf-8")


def pseudonymise(frame: pl.DataFrame, columns: Sequence[str], key: bytes) -> pl.DataFrame:
    """Replace values by the first 20 hex chars of HMAC-SHA256(key, value).

    Keyed, so ids cannot be re-identified by hashing guesses without the key;
    deterministic, so the same client links across files and years. Each distinct
    value is hashed once (over all the columns together). Nulls stay null; absent
    columns are skipped.
    """
    names = [n for n in dict.fromkeys(columns) if n in frame.columns]
    if not names or frame.height == 0:
        return frame
    import pyarrow.compute as pc

    texts = pa.chunked_array([frame.get_column(n).cast(pl.String).to_arrow().cast(pa.large_string())
                              for n in names])
    # Arrow's dictionary encoding: every distinct value once (in order of appearance) and,
    # per cell, its position among them; each value is hashed once and its pseudonym put
    # back by position (a take, where a join per column would hash every cell again).
    encoded = pc.dictionary_encode(texts).combine_chunks()
    distinct = encoded.dictionary
    prefixes = _hmac_prefixes(key, distinct.cast(pa.large_binary()).to_pylist())
    digests = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(_PREFIX_BYTES), len(distinct), [None, pa.py_buffer(prefixes)])
    hexed = pl.Series(digests.cast(pa.binary())).bin.encode("hex").to_arrow()
    pseudonyms = pl.Series(pc.take(hexed, encoded.indices))  # a null cell stays null
    replaced, start = [], 0
    for name in names:
        replaced.append(pseudonyms.slice(start, frame.height).rename(name))
        start += frame.height
    return frame.with_columns(replaced)


_PREFIX_BYTES = 10  # 20 hex characters
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))
_FORK_FROM = 200_000  # messages: from here a forked child hashes half of them


def _hmac_prefixes(key: bytes, messages: list[bytes]) -> bytes:
    """The first _PREFIX_BYTES of HMAC-SHA256 (RFC 2104) of each message, concatenated;
    each equal to `hmac.digest(key, m, "sha256")[:_PREFIX_BYTES]`.

    Copies the two precomputed pad states instead of calling `hmac.digest`, whose
    OpenSSL 3 one-shot path fetches the MAC anew for every call (measured: 3x slower,
    0.7 against 2.1 microseconds a message). Hashing is Python-bound, one core: on
    Linux a forked child hashes the second half of a long list meanwhile. The child
    only runs hashlib on bytes made before the fork (no polars, no locks) and writes
    its digests to a pipe; nothing of it reaches a file.
    """
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner, outer = hashlib.sha256(key.translate(_IPAD)), hashlib.sha256(key.translate(_OPAD))

    def prefixes(part: list[bytes]) -> bytes:
        icopy, ocopy, out = inner.copy, outer.copy, []
        append = out.append
        for message in part:
            digest, mac = icopy(), ocopy()
            digest.update(message)
            mac.update(digest.digest())
            append(mac.digest()[:_PREFIX_BYTES])
        return b"".join(out)

    if len(messages) < _FORK_FROM or not hasattr(os, "fork"):
        return prefixes(messages)
    half = len(messages) // 2
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: hash, write, leave without running any cleanup of the parent
        code = 1
        try:
            os.close(read)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(prefixes(messages[half:]))
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    first = prefixes(messages[:half])
    with os.fdopen(read, "rb") as pipe:
        second = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or len(second) != (len(messages) - half) * _PREFIX_BYTES:
        raise RuntimeError("pseudonimisering: het hulpproces is mislukt")
    return first + second
