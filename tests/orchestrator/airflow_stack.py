"""Airflow as a team deploys it, on loopback: its API server and scheduler (LocalExecutor) on a
metadata database of the test's own, reading the repository's orchestrator/dags/.

The executor's workers run the DAGs' tasks (``meltano run <job>``) with the environment the
stack was started with, as a cluster's workers run them with theirs. Only the executor and the
metadata database would differ on a cluster (CeleryExecutor or KubernetesExecutor, PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

import requests
from testkit import ROOT

VENV = ROOT / ".orchestrator-venv"
AIRFLOW = VENV / "bin" / "airflow"
DAGS = ROOT / "orchestrator" / "dags"
POOLS = ROOT / "orchestrator" / "pools.json"
FINISHED = {"success", "failed"}


def ensure_installed() -> None:
    """Airflow's venv, as `make test` makes it (make orchestrator-venv), also when pytest runs
    alone: the test installs what it needs rather than skip."""
    subprocess.run(
        ["make", "--no-print-directory", ".orchestrator-venv/.installed"], cwd=ROOT, check=True
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AirflowStack:
    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **env,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            # Only the runs the test triggers: no schedule fires on its own meanwhile.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__API_AUTH__JWT_SECRET": "orchestrator-test-jwt-secret-of-32-bytes",
        }
        self.processes: dict[str, subprocess.Popen[str]] = {}
        self.listening = False

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [str(AIRFLOW), *args], env=self.env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"airflow {' '.join(args)}:\n{done.stderr[-3000:]}"
        return done.stdout

    def start(self) -> AirflowStack:
        """The metadata database, the DAGs and pools in it (as a deployment does once), then the
        API server (which the workers report to) and the scheduler; returns once the API
        answers."""
        self.cli("db", "migrate")
        self.cli("dags", "reserialize")  # the DAG files into the database: no parsing wait
        self.cli("pools", "import", str(POOLS))
        ready = threading.Event()
        api = self._spawn("api-server")
        threading.Thread(target=self._watch, args=(api, ready), daemon=True).start()
        self._spawn("scheduler")
        if not ready.wait(180) or not self.listening:
            raise AssertionError(f"airflow api-server did not start:\n{self.log('api-server')}")
        return self

    def _spawn(self, command: str) -> subprocess.Popen[str]:
        # A session of its own: stop() ends the command and every worker it forked.
        proc = subprocess.Popen(
            [str(AIRFLOW), command],
            env=self.env,
            stdout=subprocess.PIPE if command == "api-server" else self._log_file(command),
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.processes[command] = proc
        return proc

    def _log_file(self, command: str) -> Any:
        return (self.home / f"{command}.log").open("w")

    def _watch(self, proc: subprocess.Popen[str], ready: threading.Event) -> None:
        """Copy the API server's output to its log; ready once uvicorn listens (its "Uvicorn
        running on" line: "Application startup complete" comes before the socket is open)."""
        assert proc.stdout is not None
        with self._log_file("api-server") as log:
            for line in proc.stdout:
                log.write(line)
                log.flush()
                if "Uvicorn running on" in line:
                    self.listening = True
                    ready.set()
        ready.set()  # it ended: start() reports it

    def log(self, command: str) -> str:
        path = self.home / f"{command}.log"
        return path.read_text()[-4000:] if path.exists() else ""

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.processes.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    # -- the REST API -------------------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None) -> Any:
        answer = requests.request(method, f"{self.url}/api/v2{path}", json=body, timeout=60)
        answer.raise_for_status()
        return answer.json()

    def trigger(self, dag_id: str, run_id: str) -> None:
        self.api("POST", f"/dags/{dag_id}/dagRuns", {"dag_run_id": run_id, "logical_date": None})

    def wait(self, dag_id: str, run_id: str, timeout: float = 900) -> str:
        """The run's final state: Airflow's wait endpoint answers a line per check until then."""
        url = f"{self.url}/api/v2/dags/{dag_id}/dagRuns/{run_id}/wait"
        state = ""
        with requests.get(url, params={"interval": 1}, stream=True, timeout=timeout) as answer:
            answer.raise_for_status()
            for line in answer.iter_lines():
                if line.strip():
                    state = json.loads(line)["state"]
                    if state in FINISHED:
                        break
        return state

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        found = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return list(found["task_instances"])

    def task_log(self, dag_id: str, run_id: str) -> str:
        """The last lines of the run's task logs (what meltano printed), for a failure message."""
        folder = self.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}"
        lines: list[str] = []
        for path in sorted(folder.rglob("*.log")):
            for raw in path.read_text().splitlines():
                try:
                    lines.append(str(json.loads(raw).get("event", "")))
                except ValueError:
                    lines.append(raw)
        return "\n".join(lines)[-4000:]
