"""Register deploy/prefect.yaml's deployments: the Python equivalent of `prefect deploy --all`.

Why it exists: with the pinned Prefect 3.8.8 + FastAPI 0.154, `prefect deploy --all` creates the
first deployment and then fails: after each deployment the CLI asks the server for the pool's
online workers and sends ``"limit": null, "offset": null``, which the server's FastAPI rejects
with a 422. This does the same registration through the client (flow, entrypoint, parameter
schema, work pool, schedules, pull steps, tags, concurrency limit) without that check.

    PREFECT_API_URL=http://127.0.0.1:4200/api python scripts/register_deployments.py [deploy/prefect.yaml [NAME ...]]
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import yaml

DEFAULT_FILE = Path(__file__).resolve().parents[1] / "deploy" / "prefect.yaml"


async def register(prefect_file: Path = DEFAULT_FILE, only: set[str] | None = None) -> dict[str, str]:
    """Create or update the file's deployments (all, or those named in ``only``); returns ``{name: id}``."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import DeploymentScheduleCreate
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.flows import load_flow_from_entrypoint
    from prefect.utilities.callables import parameter_schema

    config = yaml.safe_load(prefect_file.read_text(encoding="utf-8"))
    registered = {}
    async with get_client() as client:
        for spec in config["deployments"]:
            if only and spec["name"] not in only:
                continue
            flow = load_flow_from_entrypoint(spec["entrypoint"])
            flow_id = await client.create_flow_from_name(flow.name)
            schedules = [DeploymentScheduleCreate(schedule=CronSchedule(cron=s["cron"], timezone=s.get("timezone")))
                         for s in spec.get("schedules") or []]
            deployment_id = await client.create_deployment(
                flow_id=flow_id, name=spec["name"], entrypoint=spec["entrypoint"],
                work_pool_name=spec["work_pool"]["name"], work_queue_name=spec["work_pool"].get("work_queue_name"),
                parameters=spec.get("parameters") or {}, parameter_openapi_schema=parameter_schema(flow).model_dump(),
                schedules=schedules, pull_steps=spec.get("pull", config.get("pull")) or [],
                tags=spec.get("tags") or [], description=spec.get("description"),
                concurrency_limit=spec.get("concurrency_limit"), job_variables=spec.get("job_variables") or {},
            )
            registered[spec["name"]] = str(deployment_id)
    return registered


def main() -> None:
    prefect_file = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FILE
    only = set(sys.argv[2:]) or None
    for name, deployment_id in asyncio.run(register(prefect_file, only)).items():
        print(f"registered {name}: {deployment_id}")


if __name__ == "__main__":
    main()
