"""deploy/: the prefect.yaml registers against a real Prefect server (`prefect deploy --all`, the
CLI users run), with the schedules and parameters it promises; the compose file and the work pool
template parse."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
PREFECT = str(Path(sys.executable).parent / "prefect")


def _prefect_yaml() -> dict:
    return yaml.safe_load((DEPLOY / "prefect.yaml").read_text(encoding="utf-8"))


def test_schedules_follow_the_legal_deadlines():
    deployments = {d["name"]: d for d in _prefect_yaml()["deployments"]}
    annual = deployments["annual-shard-0-of-2"]["schedules"]
    assert [(s["cron"], s["timezone"]) for s in annual] == [("0 2 3 2 *", "Asia/Shanghai"),
                                                            ("0 2 3 4 *", "Asia/Shanghai")]
    assert deployments["annual-shard-1-of-2"]["schedules"] == annual  # one anchor
    assert deployments["monthly-recheck"]["schedules"][0]["cron"] == "0 3 10 * *"
    assert deployments["reparse"]["entrypoint"] == "flows/reparse.py:reparse"


def test_no_database_url_in_the_deploy_files():
    for path in DEPLOY.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "postgresql+psycopg://" not in text or path.name == "compose.yaml", path
    parameters = [d["parameters"] for d in _prefect_yaml()["deployments"]]
    assert all(p["db"] is None for p in parameters)


def test_work_pool_template_takes_the_database_from_the_secret_block():
    template = json.loads((DEPLOY / "work-pool-process.json").read_text(encoding="utf-8"))
    assert template["variables"]["properties"]["env"]["default"]["GOVREPORTS_DB"] == "{{ prefect.blocks.secret.govreports-db }}"


def test_compose_file_parses_and_wires_the_stack():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"prefect-db", "prefect-server", "govreports-db", "worker"} <= set(services)
    assert "prefect-db" in services["prefect-server"]["depends_on"]
    assert services["worker"]["environment"]["PREFECT_API_URL"] == "http://prefect-server:4200/api"


def _cli(*args: str) -> subprocess.CompletedProcess:
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_CLI_PROMPT": "false"}
    result = subprocess.run([PREFECT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _read(path: str, body: dict) -> list[dict]:
    import httpx
    from prefect.settings import PREFECT_API_URL

    response = httpx.post(f"{PREFECT_API_URL.value()}{path}", json=body, timeout=30)
    response.raise_for_status()
    return response.json()


@pytest.mark.slow
def test_prefect_deploy_all_registers_every_deployment(prefect_harness):
    """The CLI users run, `prefect deploy --all`, against a local Prefect server on 127.0.0.1."""
    _cli("work-pool", "create", "govreports", "--type", "process", "--overwrite",
         "--base-job-template", str(DEPLOY / "work-pool-process.json"))
    _cli("--no-prompt", "deploy", "--all", "--prefect-file", str(DEPLOY / "prefect.yaml"))
    registered = {d["name"]: d for d in _read("/deployments/filter", {"limit": 50, "offset": 0})}
    assert {"annual-shard-0-of-2", "annual-shard-1-of-2", "monthly-recheck", "reparse"} <= set(registered)
    annual = registered["annual-shard-1-of-2"]
    assert annual["work_pool_name"] == "govreports"
    assert annual["parameters"] == {"sources_file": "sources", "db": None, "years": None, "concurrency": 64,
                                    "shard": 1, "shards": 2}
    crons = sorted((s["schedule"]["cron"], s["schedule"]["timezone"]) for s in annual["schedules"])
    assert crons == [("0 2 3 2 *", "Asia/Shanghai"), ("0 2 3 4 *", "Asia/Shanghai")]
    assert annual["pull_steps"][0]["prefect.deployments.steps.set_working_directory"]["directory"] == \
        "{{ $GOVREPORTS_CODE_DIR }}"  # resolved on the worker, not at deploy time
    assert registered["reparse"]["parameters"] == {"db": None, "force": False}


@pytest.fixture
def prefect_server(tmp_path):
    """A real `prefect server start` on 127.0.0.1 with its own home (the test harness runs no
    scheduler); yields its API URL, stopped afterwards."""
    import socket
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": api, "PREFECT_CLI_PROMPT": "false"}
    server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        else:
            pytest.fail("prefect server did not start within 120 s")
        yield env
    finally:
        server.terminate()
        server.wait(timeout=60)


@pytest.mark.slow
def test_server_schedules_runs_of_the_annual_crawl(prefect_server):
    """The server's scheduler turns the crons into scheduled flow runs (it did not with
    SQLAlchemy 2.1: "Can't evaluate bulk DML statement", every scheduler pass failed)."""
    import time

    import httpx

    def cli(*args: str) -> None:
        result = subprocess.run([PREFECT, *args], cwd=ROOT, env=prefect_server, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr

    def read(path: str, body: dict) -> list[dict]:
        response = httpx.post(prefect_server["PREFECT_API_URL"] + path, json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    cli("work-pool", "create", "govreports", "--type", "process", "--base-job-template",
        str(DEPLOY / "work-pool-process.json"))
    cli("--no-prompt", "deploy", "--name", "annual-shard-0-of-2", "--prefect-file", str(DEPLOY / "prefect.yaml"))
    deployment = next(d for d in read("/deployments/filter", {"limit": 50, "offset": 0})
                      if d["name"] == "annual-shard-0-of-2")
    scheduled: list[dict] = []
    for _ in range(90):  # the scheduler loop runs every few seconds; bounded wait
        scheduled = read("/flow_runs/filter", {"limit": 10, "offset": 0, "flow_runs": {
            "deployment_id": {"any_": [deployment["id"]]}, "state": {"type": {"any_": ["SCHEDULED"]}}}})
        if scheduled:
            break
        time.sleep(1)
    assert scheduled, "no scheduled runs were created for the annual crawl"
    # 02:00 Asia/Shanghai on 3 February / 3 April is 18:00 UTC the day before
    assert {run["expected_start_time"][5:16] for run in scheduled} <= {"02-02T18:00", "04-02T18:00"}
