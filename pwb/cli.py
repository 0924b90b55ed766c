"""The `pwb` command: validate, run, demo, synth, survey, serve.

`run` and `demo` materialise the Dagster asset graph in-process through `pwb.driver`;
Dagster (and Great Expectations) are imported only inside the commands that need them,
so `pwb validate` and `pwb --help` start quickly.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NoReturn

from rich.console import Console
from rich.table import Table

from pwb.driver import PROJECT, dagster_home, run_year

DEMO_YEARS = (2012, 2013)
DEMO_SEED = 20121201
DEMO_STORE = PROJECT / ".dagster" / "demo-opslag"  # the demo's asset store (public key)
console = Console(stderr=False)
errors = Console(stderr=True)


def _years(text: str) -> list[int]:
    first, _, last = text.partition("-")
    years = list(range(int(first), int(last or first) + 1))
    if not years:
        raise argparse.ArgumentTypeError(f"ongeldige jaren: {text}")
    return years


# --------------------------------------------------------------------------- validate


def cmd_validate(args: argparse.Namespace) -> int:
    from pipeline.ingest import ingest
    from pipeline.validation import validate

    paths = [Path(p) for p in args.files]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        errors.print(f"[red]Bestand niet gevonden:[/red] {', '.join(map(str, missing))}")
        return 2
    with console.status("Bestanden lezen en controleren…"):
        validated = validate(ingest(paths), dt.date.today())
    files = Table(title="Bestanden", show_lines=False)
    for name in ("bestand", "rijen in", "geldig", "quarantaine", "resultaat"):
        files.add_column(name, justify="right" if name[0] in "rgq" and name != "resultaat"
                         else "left")
    for f in validated.files:
        verdict = f"[red]geweigerd[/red]: {f.message}" if f.rejected else "aanvaard"
        files.add_row(f.file, str(f.rows_in), str(f.rows_valid), str(f.rows_quarantined),
                      verdict)
    console.print(files)
    for f in validated.files:
        for note in f.warnings:
            console.print(f"[yellow]waarschuwing[/yellow] {note}")
    if validated.rows_quarantined:
        rows = Table(title=f"Rijen in quarantaine ({validated.rows_quarantined})")
        for name in ("bestand", "regel", "gebroken regels", "wat moet u doen"):
            rows.add_column(name, overflow="fold")
        for r in validated.quarantine.head(args.max_rows).iter_rows(named=True):
            rows.add_row(r["bron_bestand"], str(r["bron_regel"]), r["regels"], r["melding"])
        console.print(rows)
        if validated.rows_quarantined > args.max_rows:
            console.print(f"… en nog {validated.rows_quarantined - args.max_rows} rijen "
                          f"(toon meer met --max-rows).")
    if validated.mismatches:
        errors.print("[red]Interne fout:[/red] Great Expectations en de regels verschillen: "
                     + "; ".join(validated.mismatches))
        return 2
    ok = not validated.files_rejected and not validated.rows_quarantined
    console.print(f"{validated.rows_in} rijen gelezen: {validated.rows_valid} geldig, "
                  f"{validated.rows_quarantined} in quarantaine, {validated.files_rejected} "
                  f"bestand(en) geweigerd.")
    return 0 if ok else 1


# --------------------------------------------------------------------------- run


def _summary(results: dict, out_dir: Path) -> None:
    c = results["counts"]
    console.print(
        f"[bold]{results['year']}[/bold]: {c['rows_in']} rijen in, {c['rows_valid']} geldig, "
        f"{c['rows_quarantined']} in quarantaine, {c['files_rejected']} bestand(en) geweigerd; "
        f"{c['active']} actief, {c['closed']} afgesloten, {c['open_at_cutoff']} open op de "
        f"peildatum.")
    console.print(f"Rapport: {(out_dir / str(results['year']) / 'rapport.html').resolve()}")


@contextlib.contextmanager
def _pseudonym_key(*, synthetic: bool, demo: bool = False) -> Iterator[None]:
    """The key of this process's runs: the public demo key for `pwb demo` (always) and
    for --synthetisch without a key of one's own; otherwise PWB_PSEUDONYM_KEY as set."""
    from pipeline.privacy import DEMO_PSEUDONYM_KEY, PSEUDONYM_KEY_ENV

    before = os.environ.get(PSEUDONYM_KEY_ENV)
    if demo or (synthetic and not before):
        os.environ[PSEUDONYM_KEY_ENV] = DEMO_PSEUDONYM_KEY.decode()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(PSEUDONYM_KEY_ENV, None)
        else:
            os.environ[PSEUDONYM_KEY_ENV] = before


MAX_FILE_LINES = 20  # per-file lines of a run; a bigger delivery gets a count instead


def _run_with_progress(input_dir: Path, year: int, out_dir: Path, **options) -> dict:
    """One year, with a line per finished step, one per file read (up to MAX_FILE_LINES)
    and the running step beside the spinner."""
    shown = {"info": 0}
    with console.status(f"Jaar {year}: starten…") as status:
        def progress(kind: str, text: str) -> None:
            if kind == "info":
                shown["info"] += 1
                if shown["info"] <= MAX_FILE_LINES:
                    console.print(f"    [dim]{text}[/dim]", soft_wrap=True)
                return
            if shown["info"] > MAX_FILE_LINES:
                console.print(f"    [dim]… en nog {shown['info'] - MAX_FILE_LINES} "
                              f"bestand(en)[/dim]")
                shown["info"] = MAX_FILE_LINES
            if kind == "start":
                status.update(f"Jaar {year}: {text}…")
            elif kind == "klaar":
                console.print(f"  [green]✓[/green] {text}")
            elif kind == "let op":
                console.print(f"  [yellow]let op:[/yellow] {text}", soft_wrap=True)
            else:
                console.print(f"  [red]✗[/red] {text}")

        return run_year(input_dir, year, out_dir, progress=progress, **options)


def _delivery_line(delivery) -> str:
    size = sum(p.stat().st_size for p in delivery.files) / 1e6
    names = ", ".join(p.name for p in delivery.files[:6])
    more = f" en {len(delivery.files) - 6} andere" if len(delivery.files) > 6 else ""
    megabytes = f"{size:.1f}".replace(".", ",")
    return (f"Levering {delivery.folder}: {len(delivery.files)} registratiebestand(en), "
            f"{megabytes} MB ({names}{more})")


def cmd_run(args: argparse.Namespace) -> int:
    from pipeline.delivery import scan_delivery
    from pipeline.keyguard import require_key

    require_key(synthetic=args.synthetisch)  # real data never with the public demo key
    delivery = scan_delivery(args.input).require_files()  # else one Dutch line, exit 2
    console.print(_delivery_line(delivery), soft_wrap=True)
    if delivery.skipped_note():
        console.print(f"[yellow]{delivery.skipped_note()}[/yellow]")
    years = args.years or [args.year]
    with _pseudonym_key(synthetic=args.synthetisch):
        for year in years:  # one year at a time, so a failing year leaves earlier ones done
            results = _run_with_progress(args.input, year, args.out,
                                         reference_dir=args.reference, lang=args.lang,
                                         run_date=args.run_date, synthetic=args.synthetisch)
            _summary(results, args.out)
            if args.lang == "en":
                english = args.out / str(results["year"]) / "rapport.en.html"
                console.print(f"Report (English): {english.resolve()}")
    return 0


# --------------------------------------------------------------------------- synth, demo


def cmd_synth(args: argparse.Namespace) -> int:
    from pipeline.synthetic import generate
    from pipeline.synthetic.options import config_from_options

    config = config_from_options(args)
    window = config.registration_window
    if window is not None and min(args.years) < window.year:
        raise RuntimeError(f"het registratievenster begint op {window.isoformat()}, dus "
                           f"{min(args.years)} ligt ervoor. Wat nu: kies jaren vanaf "
                           f"{window.year}, of een vroeger venster met --window-start.")
    with console.status("Synthetische registraties maken…"):
        summary = generate(args.out, args.years, args.seed, n_per_year=args.n_per_year,
                           dirty=args.dirty, config=config)
    console.print(f"{sum(summary.rows.values())} rijen in {len(summary.files)} bestanden "
                  f"in {args.out / 'registraties'}; waarheid: {summary.truth_path}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pipeline.synthetic import generate

    data = PROJECT / "data" / "demo"
    with console.status("Synthetische registraties maken (2012–2013)…"):
        generate(data, DEMO_YEARS, DEMO_SEED)
    # Demo pseudonyms (public key) never land in the store of real data: the demo has a
    # store of its own unless PWB_STORE names one (then the store's key check applies).
    store = os.environ.get("PWB_STORE") or str(DEMO_STORE)
    with _pseudonym_key(synthetic=True, demo=True), _environment(PWB_STORE=store):
        for year in DEMO_YEARS:
            results = _run_with_progress(data / "registraties", year, args.out, synthetic=True)
            _summary(results, args.out)
    console.print(f"De runs staan in de Dagster-UI: pwb serve (DAGSTER_HOME={dagster_home()}).")
    return 0


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --------------------------------------------------------------------------- survey


def cmd_survey_export(args: argparse.Namespace) -> int:
    import json

    from pipeline.reference import load_reference
    from pipeline.survey import export_survey

    results = args.results or PROJECT / "reports" / str(args.year) / "results.json"
    indicators = None
    if results.is_file():
        indicators = json.loads(results.read_text(encoding="utf-8")).get("indicators")
    else:
        console.print(f"[yellow]Geen results.json voor {args.year}[/yellow] ({results}): de "
                      f"werkboeken krijgen geen geregistreerde cijfers.")
    paths = export_survey(args.year, args.out, load_reference(args.reference), indicators,
                          reference_date=args.peildatum)
    console.print(f"{len(paths)} werkboeken in {args.out.resolve()}")
    return 0


def cmd_survey_import(args: argparse.Namespace) -> int:
    from pipeline.reference import load_reference
    from pipeline.survey import import_survey, write_staffing

    if not args.folder.is_dir():
        errors.print(f"[red]Map niet gevonden:[/red] {args.folder}")
        return 2
    reference = load_reference(args.reference)
    survey = import_survey(args.folder, reference)
    if survey.problems:
        table = Table(title=f"Problemen in de teruggestuurde werkboeken ({len(survey.problems)})")
        for name in ("bestand", "blad", "cel", "probleem"):
            table.add_column(name, overflow="fold")
        for p in survey.problems:
            table.add_row(p.file, p.sheet or "", p.cell or "", p.message)
        console.print(table)
    if not survey.frame.is_empty():
        target = (args.out or args.folder) / "personeel.csv"
        write_staffing(target, survey.merged(reference.staffing))
        console.print(f"{survey.frame.height} regio('s) overgenomen in {target}; gebruik "
                      f"--reference {target.parent} bij pwb run.")
    return 1 if survey.problems else 0


# --------------------------------------------------------------------------- serve


def cmd_serve(args: argparse.Namespace) -> int:
    """The Dagster UI on 127.0.0.1 with a persistent DAGSTER_HOME; Ctrl-C stops it cleanly.

    An existing DAGSTER_HOME is used as it is (e.g. the shared PostgreSQL instance of
    deploy/README.md); without one, .dagster/home in the project (SQLite).
    """
    home = dagster_home()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    command = [sys.executable, "-m", "dagster", "dev", "-m", "assets.definitions",
               "-h", args.host, "-p", str(args.port)]
    if args.host in ("127.0.0.1", "localhost", "::1"):
        console.print("Enkel bereikbaar vanaf deze machine. Bewust openstellen kan alleen achter "
                      "een reverse proxy met authenticatie (Dagster OSS heeft geen login); "
                      "--host 0.0.0.0 enkel als die proxy op een andere machine draait. Zie "
                      "deploy/README.md.")
    else:
        console.print(f"[yellow]Let op:[/yellow] de UI luistert op {args.host}. Dagster OSS "
                      f"heeft geen login: iedereen die dit adres bereikt, kan runs starten en "
                      f"alle logs lezen. Zet er een reverse proxy met authenticatie voor (zie "
                      f"deploy/README.md).")
    if not os.environ.get("PWB_PSEUDONYM_KEY"):
        console.print("[yellow]Let op:[/yellow] PWB_PSEUDONYM_KEY is niet gezet: runs vanuit de "
                      "UI (ook de planning en de inbox-sensor) pseudonimiseren dan met de "
                      "publieke demosleutel, enkel geschikt voor synthetische gegevens. Zet de "
                      "sleutel vóór pwb serve voor echte gegevens.", soft_wrap=True)
    console.print(f"Dagster UI: http://{args.host}:{args.port}  (DAGSTER_HOME={home}); "
                  f"stoppen met Ctrl-C.")
    process = subprocess.Popen(command, env=env, cwd=PROJECT, start_new_session=True)

    def stop(signum: int, frame: object) -> None:  # SIGTERM (systemd, kill) stops it too
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        return process.wait()
    except KeyboardInterrupt:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        return 0


# --------------------------------------------------------------------------- main


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pwb", description="Evaluatie preventieve woonbegeleiding")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="bestanden controleren tegen het registratieformaat")
    v.add_argument("files", nargs="+")
    v.add_argument("--max-rows", type=int, default=50)
    v.set_defaults(func=cmd_validate)

    r = sub.add_parser("run", help="de volledige evaluatie voor één registratiejaar")
    r.add_argument("--input", type=Path, required=True,
                   help="map met de registratiebestanden (CSV, XLSX, Parquet) van de levering")
    which = r.add_mutually_exclusive_group(required=True)
    which.add_argument("--year", type=int, help="het registratiejaar (peildatum 31/12)")
    which.add_argument("--years", type=_years,
                       help="meerdere jaren na elkaar (backfill), bv. 2012-2013")
    r.add_argument("--reference", type=Path, default=None,
                   help="map met eigen referentiebestanden (standaard de meegeleverde)")
    r.add_argument("--out", type=Path, default=PROJECT / "reports",
                   help="uitvoermap; het jaar komt in OUT/JAAR (standaard reports/)")
    r.add_argument("--run-date", type=dt.date.fromisoformat, default=None,
                   help="rundatum voor de regel 'geen datum in de toekomst' (JJJJ-MM-DD; "
                        "standaard vandaag), om een run later exact te herhalen")
    r.add_argument("--lang", choices=("nl", "en"), default="nl",
                   help="en: ook een Engelse versie van het rapport (rapport.en.html)")
    r.add_argument("--synthetisch", action="store_true",
                   help="de invoer is synthetisch (pwb synth): zonder PWB_PSEUDONYM_KEY mag dan "
                        "de publieke demosleutel; het rapport draagt de vermelding "
                        "'synthetische registraties'")
    r.set_defaults(func=cmd_run)

    d = sub.add_parser("demo", help="synthetische gegevens maken en de evaluatie draaien")
    d.add_argument("--out", type=Path, default=PROJECT / "reports")
    d.set_defaults(func=cmd_demo)

    s = sub.add_parser("synth", help="synthetische registraties met gekende waarheid")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--years", type=_years, required=True)
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--n-per-year", type=int, default=None)
    s.add_argument("--dirty", type=float, default=0.0)
    from pipeline.synthetic.options import add_synth_options
    add_synth_options(s)
    s.set_defaults(func=cmd_synth)

    sv = sub.add_parser("survey", help="bevraging personeelsinzet (omzendbrief 2012)")
    survey = sv.add_subparsers(dest="survey_command", required=True)
    se = survey.add_parser("export", help="één voorgevuld werkboek per CAW-regio")
    se.add_argument("--year", type=int, required=True)
    se.add_argument("--out", type=Path, required=True)
    se.add_argument("--reference", type=Path, default=None)
    se.add_argument("--results", type=Path, default=None,
                    help="results.json van het jaar (standaard reports/JAAR/results.json)")
    se.add_argument("--peildatum", type=dt.date.fromisoformat, default=None)
    se.set_defaults(func=cmd_survey_export)
    si = survey.add_parser("import", help="teruggestuurde werkboeken controleren en inlezen")
    si.add_argument("folder", type=Path)
    si.add_argument("--reference", type=Path, default=None)
    si.add_argument("--out", type=Path, default=None,
                    help="map voor personeel.csv (standaard: de map met de werkboeken)")
    si.set_defaults(func=cmd_survey_import)

    u = sub.add_parser("serve", help="de Dagster-UI starten (standaard enkel op 127.0.0.1)")
    u.add_argument("--host", default="127.0.0.1")
    u.add_argument("--port", type=int, default=3000)
    u.set_defaults(func=cmd_serve)
    return p


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings for people, not programmers: the message, without a source line."""
    errors.print(f"[yellow]waarschuwing:[/yellow] {message}")


def main(argv: Sequence[str] | None = None) -> int:
    warnings.showwarning = _show_warning
    args = parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except RuntimeError as exc:  # our own errors: Dutch, with what to do, no cell values
        errors.print(f"[red]Fout:[/red] {exc}", soft_wrap=True)
        return 2
    except OSError as exc:  # a folder that cannot be read or written: name it, not content
        errors.print(f"[red]Fout:[/red] {exc.strerror or type(exc).__name__}: {exc.filename}. "
                     f"Wat nu: controleer dat die map of dat bestand bestaat en dat u er mag "
                     f"lezen en schrijven.", soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        errors.print("Onderbroken. Een jaar dat niet klaar was, houdt zijn vorige uitvoer; "
                     "start de run opnieuw.", soft_wrap=True)
        return 130


def entry() -> NoReturn:
    """The `pwb` command: `main`, then leave without Python's teardown of every module.

    After a run the interpreter spends about a second tearing down the ~3,000 modules
    Dagster, matplotlib and scipy bring (measured: a yearly run of 15,000 rows ends its
    work at 6.4 s and its process at 7.4 s). What has to happen at exit still happens: the
    atexit functions run (logging's flush, temporary folders, file locks), the standard
    streams are flushed; every file of the run was closed (and synced) before. Tests call
    `main` itself and keep Python's normal exit.
    """
    from pwb import driver

    driver.SET_ASIDE_IMPORTS = True  # this process runs one command, then leaves
    code = main()
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: nothing more can be said there
                pass
        os._exit(code)


if __name__ == "__main__":
    entry()
