"""A running `dagster dev` seen through its GraphQL API, as the UI sees it.

First a `pwb run` of one year, then `pwb serve` on the same DAGSTER_HOME (one instance
by default): the UI must show that run — the year materialised for every asset, its
metadata, the contract check's result and the report link — and a headless Chromium
takes a screenshot of the asset catalog (test-artifacts/asset-catalogus.png).
Then, with the real webserver, daemon and code server on 127.0.0.1, it launches a
two-year backfill the way the UI's "Materialize" button does, waits for the daemon to
finish it, and reads the assets' descriptions, groups, owners, kinds and
materialisation metadata back.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.synthetic import generate

PROJECT = Path(__file__).resolve().parents[1]
YEARS = ["2012", "2013"]
CLI_YEAR = "2012"  # the year `pwb run` materialises before the UI starts
ARTIFACTS = PROJECT / "test-artifacts"  # gitignored; kept after the run for people to look at


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GraphQL:
    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}/graphql"

    def __call__(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = json.loads(response.read())
        assert "errors" not in payload, payload["errors"]
        return payload["data"]


def _wait(condition, timeout: float, what: str, process: subprocess.Popen) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"dagster dev stopped while waiting for {what}"
        try:
            value = condition()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory
       ) -> Iterator[tuple[GraphQL, Path, subprocess.Popen]]:
    root = tmp_path_factory.mktemp("ui")
    (root / "data" / "registraties").mkdir(parents=True)  # empty until the sensor is off
    home = root / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(  # one run at a time: the machine has 2 cores
        "telemetry:\n  enabled: false\nnux:\n  enabled: false\n"
        "concurrency:\n  runs:\n    max_concurrent_runs: 1\n",
        encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "PWB_STORE": str(root / "store"),
           "PWB_INBOX": str(root / "data" / "registraties"), "PWB_OUT": str(root / "out"),
           "PWB_SCHEDULE": "0 6 1 2 *"}
    # A `pwb run` first, on the same DAGSTER_HOME: what a researcher ran, the UI must show.
    generate(root / "cli", (int(CLI_YEAR),), 5, n_per_year=120)
    ran = subprocess.run([sys.executable, "-m", "pwb.cli", "run", "--input",
                          str(root / "cli" / "registraties"), "--year", CLI_YEAR, "--out",
                          str(root / "cli-out")], cwd=PROJECT, env=env, capture_output=True,
                         text=True, timeout=600)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    log = open(root / "dagster-dev.log", "wb")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(  # `pwb serve`: dagster dev on 127.0.0.1 in its own session
        [sys.executable, "-m", "pwb.cli", "serve", "--port", str(port)],
        cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
    query = GraphQL(port)
    try:
        _wait(lambda: query("{ version }")["version"], 240, "the webserver", process)
        yield query, root, process
    finally:
        process.send_signal(signal.SIGTERM)  # as systemd stops a service
        try:
            process.wait(timeout=60)
        finally:
            left = _processes_mentioning(str(home).encode(), f"\0{port}\0".encode())
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            log.close()
        assert not left, f"pwb serve left {len(left)} processes behind"


def _processes_mentioning(*needles: bytes, timeout: float = 30) -> list[int]:
    """Dagster processes whose command line holds a needle: the DAGSTER_HOME (daemon,
    webserver, code servers, runs) or the port as an argument (dagster dev itself)."""
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                line = cmdline.read_bytes()
                if b"dagster" in line and any(n in line for n in needles):
                    found.append(int(cmdline.parent.name))
            except OSError:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(1)


def test_serve_binds_loopback_only(ui) -> None:
    query, root, _ = ui
    port = int(query.url.split(":")[2].split("/")[0])
    listening = (Path("/proc/net/tcp").read_text() + Path("/proc/net/tcp6").read_text())
    ours = [line.split()[1] for line in listening.splitlines()[1:]
            if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A"]
    assert ours and all(address.startswith(("0100007F", "00000000000000000000000001000000"))
                        for address in ours), ours


ASSET_NODES = """{ assetNodes { assetKey { path } description groupName kinds
  owners { ... on TeamAssetOwner { team } ... on UserAssetOwner { email } }
  isPartitioned } }"""


def test_assets_carry_description_group_owner_and_kinds(ui) -> None:
    query = ui[0]
    nodes = {"/".join(n["assetKey"]["path"]): n for n in query(ASSET_NODES)["assetNodes"]}
    assert set(nodes) == {"registraties", "quarantaine", "bestandsverslag", "trajecten",
                          "duur_tot_afsluiting", "afsluitingsmodel", "afsluitingsuitkomsten",
                          "uithuiszetting_vermeden", "programma_indicatoren", "nood_aanbod",
                          "duur_van_het_jaar", "uitkomstmodellen", "regiovergelijking", "evolutie",
                          "jaarrapport"}
    for name, node in nodes.items():
        assert len(node["description"] or "") > 40, name
        assert node["owners"] == [{"team": "pwb"}], name
        assert node["kinds"], name
        assert node["isPartitioned"], name
    assert {nodes[n]["groupName"] for n in nodes} == {"registraties", "modellen", "programma",
                                                      "rapport"}
    assert "great_expectations" in nodes["registraties"]["kinds"]
    assert "html" in nodes["jaarrapport"]["kinds"]


RUNS_OF_PWB_RUN = """{ runsOrError(filter: {tags: [{key: "pwb/bron", value: "pwb run"}]}) {
  ... on Runs { results { runId status tags { key value } } } } }"""

ASSET_STATUS = """query($path: [String!]!) { assetNodeOrError(assetKey: {path: $path}) {
  ... on AssetNode { partitionStats { numMaterialized }
    assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } } }"""

CHECK_EXECUTIONS = """query($path: [String!]!, $name: String!) {
  assetCheckExecutions(assetKey: {path: $path}, checkName: $name, limit: 10) {
    runId status partition evaluation { success metadataEntries { label
      ... on IntMetadataEntry { intValue } } } } }"""


def test_a_pwb_run_is_shown_in_the_ui(ui) -> None:
    """`pwb run` and `pwb serve` share one instance: the year, its metadata, the contract
    check's result and the report link are there (issue 15)."""
    from assets.keys import ALL_KEYS
    from assets.registrations import CONTRACT_CHECK

    query, root, _ = ui
    runs = query(RUNS_OF_PWB_RUN)["runsOrError"]["results"]
    assert [r["status"] for r in runs] == ["SUCCESS"]
    run_id = runs[0]["runId"]
    assert {"key": "dagster/partition", "value": CLI_YEAR} in runs[0]["tags"]
    for key in ALL_KEYS:  # every asset of the graph: the year is materialised
        node = query(ASSET_STATUS, {"path": [key]})["assetNodeOrError"]
        assert node["partitionStats"]["numMaterialized"] >= 1, key
    registrations = _metadata(query, "registraties", CLI_YEAR)
    assert registrations["rijen_in"] == registrations["rijen_geldig"] + registrations[
        "rijen_quarantaine"] > 100
    checks = query(ASSET_STATUS, {"path": ["registraties"]})["assetNodeOrError"][
        "assetChecksOrError"]["checks"]
    assert checks == [{"name": CONTRACT_CHECK, "blocking": True}]
    executions = query(CHECK_EXECUTIONS, {"path": ["registraties"], "name": CONTRACT_CHECK})
    execution = next(e for e in executions["assetCheckExecutions"] if e["runId"] == run_id)
    assert execution["status"] == "SUCCEEDED"  # in the run of CLI_YEAR (its runId)
    assert execution["evaluation"]["success"] is True
    checked = {m["label"]: m.get("intValue") for m in execution["evaluation"]["metadataEntries"]}
    assert checked["rijen_gecontroleerd"] == registrations["rijen_in"]
    report = _metadata(query, "jaarrapport", CLI_YEAR)
    target = (root / "cli-out" / CLI_YEAR / "rapport.html").resolve()
    assert report["rapport"] == target.as_uri() and target.is_file()


def _chromium(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                           "--disable-dev-shm-usage", "--hide-scrollbars",
                           "--window-size=1440,1000", "--virtual-time-budget=30000",
                           *arguments], capture_output=True, timeout=180)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed")
def test_screenshot_of_the_asset_catalog(ui, tmp_path: Path) -> None:
    """The catalog as a researcher sees it after `pwb run`, kept as a test artifact."""
    query = ui[0]
    url = query.url.removesuffix("/graphql") + "/assets"
    dom = _chromium("--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout.decode("utf-8", "replace")
    assert "registraties" in page and "jaarrapport" in page  # the catalog rendered
    shot = tmp_path / "asset-catalogus.png"
    taken = _chromium(f"--screenshot={shot}", url)
    assert taken.returncode == 0 and shot.is_file(), taken.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / shot.name)


LAUNCH = """mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
  } }"""

BACKFILL = """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
  ... on PartitionBackfill { status } } }"""

MATERIALISATIONS = """query($path: [String!]!, $partitions: [String!]) {
  assetOrError(assetKey: {path: $path}) { ... on Asset {
    assetMaterializations(partitions: $partitions) { partition
      metadataEntries { label __typename
        ... on IntMetadataEntry { intValue }
        ... on FloatMetadataEntry { floatValue }
        ... on TextMetadataEntry { text }
        ... on UrlMetadataEntry { url }
        ... on JsonMetadataEntry { jsonString } } } } } }"""


SENSORS = """{ sensorsOrError(repositorySelector: {repositoryName: "__repository__",
  repositoryLocationName: "assets.definitions"}) { ... on Sensors { results {
  name jobOriginId sensorState { selectorId status } } } } }"""

STOP_SENSOR = """mutation($origin: String!, $selector: String!) {
  stopSensor(jobOriginId: $origin, jobSelectorId: $selector) {
    __typename ... on StopSensorMutationResult { instigationState { status } } } }"""


@pytest.fixture(scope="module")
def backfilled(ui) -> tuple[GraphQL, Path]:
    """Both years through the UI's path: an asset backfill run by the daemon.

    The inbox sensor (running by default) is switched off first, as a researcher
    would in the UI, so that it does not start the same years itself."""
    query, root, process = ui
    sensors = {s["name"]: s for s in query(SENSORS)["sensorsOrError"]["results"]}
    inbox = sensors["inbox"]
    assert inbox["sensorState"]["status"] == "RUNNING"  # on by default
    stopped = query(STOP_SENSOR, {"origin": inbox["jobOriginId"],
                                  "selector": inbox["sensorState"]["selectorId"]})
    assert stopped["stopSensor"]["instigationState"]["status"] == "STOPPED"
    generate(root / "data", (2012, 2013), 11, n_per_year=120)
    keys = [{"path": [n["assetKey"]["path"][0]]} for n in query(ASSET_NODES)["assetNodes"]]
    launched = query(LAUNCH, {"params": {"assetSelection": keys, "partitionNames": YEARS}})
    outcome = launched["launchPartitionBackfill"]
    assert outcome["__typename"] == "LaunchBackfillSuccess", outcome
    backfill = outcome["backfillId"]

    def finished() -> str | None:
        status = query(BACKFILL, {"id": backfill})["partitionBackfillOrError"]["status"]
        return status if status in {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED",
                                    "FAILED", "CANCELED"} else None

    status = _wait(finished, 900, "the backfill", process)
    assert status in {"COMPLETED", "COMPLETED_SUCCESS"}, status
    return query, root


def _metadata(query: GraphQL, asset: str, year: str) -> dict:
    found = query(MATERIALISATIONS, {"path": [asset], "partitions": [year]})
    events = found["assetOrError"]["assetMaterializations"]
    assert events, f"no materialisation of {asset} {year}"
    entries = events[0]["metadataEntries"]
    return {e["label"]: next((e[k] for k in ("intValue", "floatValue", "text", "url",
                                              "jsonString") if k in e), None) for e in entries}


def test_backfill_of_two_years_through_the_ui(backfilled) -> None:
    _, root = backfilled
    for year in YEARS:
        results = json.loads((root / "out" / year / "results.json").read_text())
        assert results["year"] == int(year) and results["counts"]["active"] > 80


def test_materialisation_metadata_in_the_ui(backfilled) -> None:
    query, root = backfilled
    registrations = _metadata(query, "registraties", "2013")
    assert registrations["rijen_in"] == registrations["rijen_geldig"] + registrations[
        "rijen_quarantaine"] > 200
    assert registrations["verwachtingen"] > 50
    rules = json.loads(registrations["gebroken_regels"])  # rule -> rows breaking it
    assert sum(rules.values()) >= registrations["rijen_quarantaine"]  # a row may break two
    assert (not rules) == (registrations["rijen_quarantaine"] == 0)
    assert registrations["rijen"] == registrations["rijen_geldig"]  # written by the IO manager
    trajectories = _metadata(query, "trajecten", "2013")
    assert trajectories["active"] > 80
    cox = _metadata(query, "afsluitingsmodel", "2013")
    assert 0.5 < cox["concordantie"] < 1 and cox["lr_toets"].startswith("chi2 = ")
    assert cox["n"] > 80
    logistic = _metadata(query, "uithuiszetting_vermeden", "2013")
    # CAW fixed effects with model-based errors (issue 12): ten clusters are too few
    assert logistic["cov_type"] == "nonrobust" and 0 < logistic["aandeel_vermeden"] < 1
    report = _metadata(query, "jaarrapport", "2013")
    assert report["rapport"] == (root / "out" / "2013" / "rapport.html").resolve().as_uri()
    assert Path(report["rapport"].removeprefix("file://")).is_file()
    assert report["rows_in"] == registrations["rijen_in"]
