"""A running `dagster dev` seen through its GraphQL API, as the UI sees it.

Starts the real webserver, daemon and code server on 127.0.0.1, launches a
two-year backfill the way the UI's "Materialize" button does, waits for the
daemon to finish it, and reads the assets' descriptions, groups, owners, kinds
and materialisation metadata back.
"""

from __future__ import annotations

import json
import os
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
        "telemetry:\n  enabled: false\nconcurrency:\n  runs:\n    max_concurrent_runs: 1\n",
        encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "PWB_STORE": str(root / "store"),
           "PWB_INBOX": str(root / "data" / "registraties"), "PWB_OUT": str(root / "out"),
           "PWB_SCHEDULE": "0 6 1 2 *"}
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
    assert logistic["cov_type"].startswith("cluster") and 0 < logistic["aandeel_vermeden"] < 1
    report = _metadata(query, "jaarrapport", "2013")
    assert report["rapport"] == (root / "out" / "2013" / "rapport.html").resolve().as_uri()
    assert Path(report["rapport"].removeprefix("file://")).is_file()
    assert report["rows_in"] == registrations["rijen_in"]
