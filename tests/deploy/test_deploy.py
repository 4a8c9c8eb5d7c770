"""The Dockerfile and the systemd unit, tried as written.

The image is built and run against the local platform where Docker is installed and its daemon
answers; otherwise the test is skipped, saying why. That holds under CI=true as well: CI
machines may have no Docker at all. The unit is checked with `systemd-analyze verify` where
systemd is installed.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "deploy" / "schoolgate.service"
DOCKERFILE = REPO / "Dockerfile"
OPERATIONS = REPO / "docs" / "operations.md"
INIT = "schoolgate init --config /etc/schoolgate/school.yaml"
NO_DOCKER = (
    "skipped: docker is not installed here (a skip even under CI=true, since CI machines may "
    "have no Docker)"
)
# Upper bounds so that a broken image fails instead of hanging; never measures of speed.
BUILD_LIMIT = 900
HEALTHY_WITHIN = 180

CONFIG = """\
schools:
  - id: riverside
    name: Riverside Primary School
    slt: [{name: Mrs Shah, local: slt-shah}]
    chats: [{platform: local, id: year3, name: Year 3 Parents}]
storage: {path: /var/lib/schoolgate/schoolgate.sqlite3}
health: {}
local: {}
"""


def docker(*args: str, timeout: float = 120, check: bool = True) -> str:
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout.strip()


@pytest.fixture
def docker_daemon() -> None:
    if shutil.which("docker") is None:
        pytest.skip(NO_DOCKER)
    try:
        answer = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.skip("skipped: the Docker daemon did not answer within 30 s")
    if answer.returncode != 0 or not answer.stdout.strip():
        reason = " ".join(answer.stderr.split())[:200]
        pytest.skip(f"skipped: docker is installed but its daemon does not answer ({reason})")


@pytest.fixture
def container(docker_daemon: None, tmp_path: Path) -> Iterator[str]:
    """The image built from the Dockerfile, running with a volume and a read-only config."""
    name = f"schoolgate-test-{uuid.uuid4().hex[:12]}"
    config = tmp_path / "school.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    config.chmod(0o644)  # the container's user must read it
    docker("build", "-t", name, str(REPO), timeout=BUILD_LIMIT)
    docker("volume", "create", name)
    try:
        # Once, as the recipe says: `run` never makes the database on a fresh volume.
        docker(
            "run",
            "--rm",
            "-v",
            f"{name}:/var/lib/schoolgate",
            "-v",
            f"{config}:/etc/schoolgate/school.yaml:ro",
            name,
            "init",
            "--config",
            "/etc/schoolgate/school.yaml",
        )
        docker(
            "run",
            "-d",
            "--name",
            name,
            "--health-interval",
            "2s",
            "--health-start-period",
            "60s",
            "-v",
            f"{name}:/var/lib/schoolgate",
            "-v",
            f"{config}:/etc/schoolgate/school.yaml:ro",
            name,
        )
        yield name
    finally:
        docker("rm", "-f", name, check=False)
        docker("volume", "rm", name, check=False)
        docker("rmi", "-f", name, check=False)


def test_the_image_runs_as_a_user_healthy_with_a_private_database(container: str) -> None:
    deadline = time.monotonic() + HEALTHY_WITHIN
    status = ""
    while time.monotonic() < deadline:
        status = docker("inspect", "-f", "{{.State.Health.Status}}", container)
        if (
            status in ("healthy", "unhealthy")
            or docker("inspect", "-f", "{{.State.Running}}", container) != "true"
        ):
            break
        time.sleep(1)
    logs = subprocess.run(
        ["docker", "logs", container], capture_output=True, text=True, check=False
    ).stderr
    assert status == "healthy", logs[-3000:]
    assert docker("exec", container, "id", "-u") != "0"
    database = "/var/lib/schoolgate/schoolgate.sqlite3"
    assert docker("exec", container, "stat", "-c", "%a", database) == "600"
    health = docker(
        "exec",
        container,
        "python",
        "-c",
        "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8080/healthz').read().decode())",
    )
    assert '"local": {"connected": true' in health

    docker("stop", "-t", "30", container, timeout=60)
    assert docker("inspect", "-f", "{{.State.ExitCode}}", container) == "0"
    assert "Traceback" not in logs


def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    verify = shutil.which("systemd-analyze")
    if verify is None:
        pytest.skip("skipped: systemd-analyze is not installed here")
    # verify also checks that ExecStart's program exists: point it at this installation's.
    schoolgate = Path(shutil.which("schoolgate") or REPO / ".venv" / "bin" / "schoolgate")
    assert schoolgate.exists()
    unit = tmp_path / "schoolgate.service"
    unit.write_text(
        UNIT.read_text("utf-8").replace("/opt/schoolgate/bin/schoolgate", str(schoolgate)),
        encoding="utf-8",
    )
    done = subprocess.run(
        [verify, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    # verify exits 0 even when it ignores a line it cannot parse: any word about the unit fails.
    complaints = [line for line in done.stderr.splitlines() if "schoolgate.service" in line]
    assert done.returncode == 0, done.stderr
    assert complaints == []


def test_the_systemd_unit_restarts_on_failure_with_tokens_from_a_file_and_hardening() -> None:
    settings = [
        line.strip()
        for line in UNIT.read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for wanted in (
        "Restart=on-failure",
        "RestartPreventExitStatus=2",
        "EnvironmentFile=/etc/schoolgate/schoolgate.env",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "ReadWritePaths=/var/lib/schoolgate",
        "UMask=0077",
        "User=schoolgate",
    ):
        assert wanted in settings


def test_every_install_recipe_creates_the_database_once_before_the_first_run() -> None:
    """`run` never makes a database, so each way to install must make it with `init`, before
    the bot is first started, and not in the command that starts it every time."""
    for recipe, first_start in (
        (UNIT.read_text("utf-8"), "systemctl enable --now schoolgate"),
        (DOCKERFILE.read_text("utf-8"), "docker run -d"),
        (OPERATIONS.read_text("utf-8").split("### With systemd")[1], "enable --now schoolgate"),
        (OPERATIONS.read_text("utf-8").split("### With Docker")[1], "docker run -d"),
    ):
        assert INIT in recipe
        assert recipe.index(INIT) < recipe.index(first_start)
    started = [line for line in UNIT.read_text("utf-8").splitlines() if line.startswith("Exec")]
    assert started == [
        "ExecStart=/opt/schoolgate/bin/schoolgate run --config /etc/schoolgate/school.yaml"
    ]
    assert 'CMD ["run", "--config", "/etc/schoolgate/school.yaml"]' in DOCKERFILE.read_text("utf-8")
