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


def _deployable_yaml(tmp_path: Path) -> tuple[Path, list[str]]:
    """deploy/prefect.yaml, with entrypoints that do not exist yet pointed at the crawl flow (and
    their parameters dropped): flows/reparse.py is being written by another change."""
    config = _prefect_yaml()
    substituted = []
    for deployment in config["deployments"]:
        module = deployment["entrypoint"].split(":")[0]
        if not (ROOT / module).exists():
            substituted.append(deployment["name"])
            deployment["entrypoint"] = "flows/crawl.py:crawl"
            deployment["parameters"] = {}
    path = tmp_path / "prefect.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path, substituted


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
def test_deploy_file_registers_every_deployment(prefect_harness, tmp_path):
    """Through scripts/register_deployments.py: `prefect deploy --all` itself stops after the first
    deployment with this Prefect/FastAPI pair (see that script's docstring)."""
    import asyncio

    sys.path.insert(0, str(ROOT / "scripts"))
    from register_deployments import register

    prefect_file, substituted = _deployable_yaml(tmp_path)
    _cli("work-pool", "create", "govreports", "--type", "process", "--overwrite",
         "--base-job-template", str(DEPLOY / "work-pool-process.json"))
    cwd = os.getcwd()
    os.chdir(ROOT)  # entrypoints are relative to the repository root, as for `prefect deploy`
    try:
        asyncio.run(register(prefect_file))
    finally:
        os.chdir(cwd)
    registered = {d["name"]: d for d in _read("/deployments/filter", {"limit": 50, "offset": 0})}
    assert {"annual-shard-0-of-2", "annual-shard-1-of-2", "monthly-recheck", "reparse"} <= set(registered)
    annual = registered["annual-shard-1-of-2"]
    assert annual["work_pool_name"] == "govreports"
    assert annual["parameters"] == {"sources_file": "sources", "db": None, "years": None, "concurrency": 8,
                                    "shard": 1, "shards": 2}
    crons = sorted((s["schedule"]["cron"], s["schedule"]["timezone"]) for s in annual["schedules"])
    assert crons == [("0 2 3 2 *", "Asia/Shanghai"), ("0 2 3 4 *", "Asia/Shanghai")]
    assert annual["pull_steps"][0]["prefect.deployments.steps.set_working_directory"]["directory"] == \
        "{{ $GOVREPORTS_CODE_DIR }}"  # resolved on the worker, not at deploy time
    if not substituted:
        assert registered["reparse"]["parameters"] == {"db": None, "force": False}
