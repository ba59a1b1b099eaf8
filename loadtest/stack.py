"""The soak's stack on 127.0.0.1 — Redis, Celery workers and beats —, its simulated clock and the
faults it suffers, each process started (and stopped) by the soak.

Redis, Celery workers and beats run in their own process groups, so that a SIGKILL takes a
worker's pool processes with it, as the kernel's OOM killer or a lost machine would.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
FAULT_KINDS = ("kill worker", "flush Redis", "SMTP 4xx", "SMTP 5xx", "SMTP drop", "second beat")
# Seconds between faults, and how long a mail-server fault or the second beat lasts.
FAULT_GAP, SMTP_FAULT, SECOND_BEAT = (4.0, 12.0), (2.0, 6.0), (6.0, 15.0)


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Wait until something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


class Process:
    """One child process in a process group of its own, logging to a file (appended)."""

    def __init__(self, command: list[str], env: dict, log: Path):
        self.command, self.env, self.log_path = command, env, log
        self.process = None

    def start(self) -> "Process":
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=PROJECT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the process and every process of its group."""
        if self.running:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self, timeout: float = 30) -> None:
        """Ask the process to stop (SIGTERM); kill its group if it has not within ``timeout``."""
        if not self.running:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


class Redis(Process):
    """A Redis of the soak's own: no persistence, so a restart starts it empty."""

    def __init__(self, port: int, directory: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("The soak needs redis-server on PATH.")
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(directory)]
        super().__init__(command, dict(os.environ), directory / "redis.log")
        self.port = port

    def start(self) -> "Redis":
        super().start()
        wait_for_port(self.port)
        return self

    def flush_and_restart(self) -> None:
        """Empty the broker (every queued task is lost) and restart the server."""
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=5)
        try:
            client.flushall()
        finally:
            client.close()
        self.stop(timeout=10)
        self.start()


class Celery(Process):
    """A Celery worker or beat of the tracker."""

    def __init__(self, arguments: list[str], env: dict, log: Path):
        command = [sys.executable, "-m", "celery", "-A", "tracker", *arguments]
        super().__init__(command, env, log)


# A worker's lines about a task: "Task roadmap.tasks.name[id] received" / "… succeeded in …".
TASK_LINE = re.compile(r"Task (roadmap\.tasks\.\w+)\[([\w-]+)\] (received|succeeded|failed)")


class TaskLog:
    """What the workers' logs say about tasks, read from a given point of each log on."""

    def __init__(self, paths: list[Path]):
        self.paths = paths

    def mark(self) -> dict[Path, int]:
        """Return the current end of every log: a point in time to read from."""
        return {path: path.stat().st_size if path.exists() else 0 for path in self.paths}

    def events(self, since: dict[Path, int]) -> list[tuple[str, str, str]]:
        """Return (task, id, event) of every task line written after ``since``."""
        found = []
        for path in self.paths:
            if not path.exists():
                continue
            with path.open("rb") as log:
                log.seek(since.get(path, 0))
                text = log.read().decode(errors="replace")
            found += TASK_LINE.findall(text)
        return found

    def finished_after(self, since: dict[Path, int], task: str) -> bool:
        """Whether a run of ``task`` received after ``since`` has succeeded."""
        events = self.events(since)
        received = {i for name, i, what in events if name == task and what == "received"}
        return any(i in received for name, i, what in events if what == "succeeded")


class Clock:
    """The simulated day the jobs read (ROADMAP_CLOCK_FILE), replaced atomically."""

    def __init__(self, path: Path):
        self.path = path
        self.day = None

    def set(self, day: date) -> None:
        temporary = self.path.with_suffix(".new")
        temporary.write_text(day.isoformat(), encoding="utf-8")
        temporary.replace(self.path)
        self.day = day


class Stack:
    """Two workers and a beat; a second beat started and stopped by the faults."""

    def __init__(self, environment, work: Path):
        self.environment, self.work = environment, work
        self.workers = [self._worker(number) for number in (1, 2)]
        self.beat = self._beat(1)
        self.second_beat = None
        self.tasks = TaskLog([worker.log_path for worker in self.workers])

    def _worker(self, number):
        arguments = ["worker", "--loglevel=INFO", "--concurrency=1", f"--hostname=soak{number}@%h"]
        arguments += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        return Celery(arguments, self.environment, self.work / f"worker-{number}.log")

    def _beat(self, number):
        schedule = self.work / f"beat-{number}-schedule"
        arguments = ["beat", "--loglevel=INFO", f"--schedule={schedule}"]
        return Celery(arguments, self.environment, self.work / f"beat-{number}.log")

    def start(self) -> None:
        for process in (*self.workers, self.beat):
            process.start()

    def start_second_beat(self) -> None:
        self.second_beat = self._beat(2).start()

    def stop_second_beat(self) -> None:
        if self.second_beat:
            self.second_beat.stop()
            self.second_beat = None

    def restore(self) -> None:
        """Bring every process back that a fault left down, and stop the second beat."""
        self.stop_second_beat()
        for process in (*self.workers, self.beat):
            if not process.running:
                process.start()

    def stop(self) -> None:
        self.stop_second_beat()
        for process in (self.beat, *self.workers):
            process.stop(timeout=60)


@dataclass
class Fault:
    kind: str
    # Seconds into the run, and the simulated day it began on.
    at: float
    day: str
    seconds: float = 0.0


class Faults(threading.Thread):
    """Inject one fault at a time, at seeded random moments, until stopped."""

    def __init__(self, stack, smtp, redis, rng, run, clock):
        super().__init__(daemon=True)
        self.stack, self.smtp, self.redis = stack, smtp, redis
        self.rng, self.run_, self.clock = rng, run, clock
        self.stopping = threading.Event()

    def run(self):
        try:
            while not self.stopping.wait(self.rng.uniform(*FAULT_GAP)):
                self.inject(self.rng.choice(FAULT_KINDS))
        except Exception as error:  # noqa: BLE001 (reported, and the run fails)
            self.run_.fault_error = repr(error)
            self.run_.log(f"fault injection stopped: {error!r}")

    def inject(self, kind):
        fault = Fault(kind, self.run_.now(), str(self.clock.day))
        began = time.monotonic()
        self.run_.log(f"fault: {kind}")
        if kind == "kill worker":
            worker = self.rng.choice(self.stack.workers)
            worker.kill()
            self.stopping.wait(self.rng.uniform(0.5, 3))
            worker.start()
        elif kind == "flush Redis":
            self.redis.flush_and_restart()
        elif kind.startswith("SMTP"):
            with self.smtp.handler.failing(kind.split()[1]):
                self.stopping.wait(self.rng.uniform(*SMTP_FAULT))
        else:
            self.stack.start_second_beat()
            self.stopping.wait(self.rng.uniform(*SECOND_BEAT))
            self.stack.stop_second_beat()
        fault.seconds = time.monotonic() - began
        self.run_.faults.append(fault)

    def stop(self):
        self.stopping.set()
        self.join(timeout=120)
