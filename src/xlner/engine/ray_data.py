"""The ``ray`` engine: the batches of a stage as a Ray Data ``map_batches`` over an actor pool.

Each batch (a shard of the job) is one row of a Ray Dataset, its records pickled; the task
is a callable class turned into actors by ``ActorPoolStrategy(min_size, max_size)``, each
actor asking for ``cpus_per_actor`` CPUs and ``gpus_per_actor`` GPUs and calling the task's
``setup()`` once per pool (the model is loaded once per actor). Results stream back to the
driver as each shard is done, and the caller writes them: a shard is finished once it is on
disk.

The batches are read lazily, ``window`` at a time (default :func:`default_window`): each
window is one Dataset on its own actor pool, its results yielded as they come, and it is
freed before the next window is read, so the driver holds at most ``window`` batches
whatever the size of the input. A Dataset cannot be fed from the driver's iterator as it
goes (a custom ``Datasource``'s read tasks run in workers, and it lists them all before the
job starts), so each window pays a new pool's start-up (seconds, measured in
docs/scale-out.md, plus each actor's ``setup()``); a window of several batches per actor
amortises it.

Housekeeping:

- without ``address`` a local Ray is started for the job and stopped after it, its
  temporary directory and its object-spilling directory inside the run directory
  (``<run>/ray`` and ``<run>/ray-spill``), never in ``/tmp/ray`` or the home directory.
  Ray puts Unix sockets in its temporary directory, and a socket path has at most 107
  bytes (``sun_path``); Ray adds about 60 (``session_<date>_<time>_<pid>/sockets/
  plasma_store``), so when ``<run>/ray`` is longer than :data:`MAX_TEMP_DIR` characters the
  temporary directory is ``/tmp/xlner-ray-<hash of the run directory>`` instead, removed when
  the job ends (the spill directory has no such limit and stays in the run directory);
- usage reporting is off (``RAY_USAGE_STATS_ENABLED=0``, unless set otherwise; :data:`QUIET`);
- an ``address`` that cannot be reached is an :class:`EngineError` of one line within
  :data:`CONNECT_TIMEOUT` seconds (a TCP connection to the head, answered as gRPC answers, is
  tried before Ray is, and Ray's own retries are bounded by the same time);
- Ray is imported when the engine starts, so xlner without the ``ray`` extra never needs it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import pickle
import socket
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

from xlner.engine.base import BatchTask, Engine, EngineError, Keyed
from xlner.io import make_folder, new_temporary_folder, remove_folder
from xlner.registry import registry

# Longest temporary directory for Ray's sockets (107 bytes, less what Ray appends).
MAX_TEMP_DIR = 45
# Set unless the environment sets them: no usage reporting.
QUIET = {"RAY_USAGE_STATS_ENABLED": "0"}
# The temporary folder of a run directory too deep for Unix sockets (removed after the job).
FALLBACK_PREFIX = "xlner-ray-"
# Seconds to wait for the head of an existing cluster to accept a connection, and for
# Ray to reach its GCS there (Ray's own variable, read when it connects).
CONNECT_TIMEOUT = 5.0
GCS_WAIT_VARIABLE = "RAY_gcs_server_port_wait_time_s"
# A client's opening of HTTP/2 (what gRPC speaks) and an empty SETTINGS frame; a gRPC server
# answers with its own SETTINGS frame (frame type 4, the fourth byte of the frame header).
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HTTP2_EMPTY_SETTINGS = bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
HTTP2_SETTINGS = 4
# The fewest batches of a window (see default_window).
MIN_WINDOW = 16
# Batches per actor in a window by default: a pool's start-up spread over several batches each.
WINDOW_PER_ACTOR = 4


def default_window(max_actors: int) -> int:
    """Batches per window unless set: ``max(16, 4 x max_actors)``, so that each actor of a
    pool works through a few batches for each time the pool starts."""
    return max(MIN_WINDOW, WINDOW_PER_ACTOR * max_actors)


@registry.engines.register("ray")
class RayEngine(Engine):
    """Ray Data over an actor pool of ``min_actors`` to ``max_actors`` actors.

    ``address``: an existing cluster (``host:port``, ``ray://host:port`` or ``auto``);
    ``None`` starts a local Ray with ``num_cpus`` CPUs (default: all) for the job.
    ``run_dir``: where a local Ray keeps its temporary and spill files (default: a fresh
    temporary folder). ``window``: the most batches the driver reads ahead and holds, one
    actor pool's work (default :func:`default_window`; 0: every batch in one window, one pool
    for the whole job, for callers whose input is in memory anyway). Not part of any
    signature: engines do not change results.
    """

    name = "ray"

    def __init__(
        self,
        *,
        address: str | None = None,
        min_actors: int = 1,
        max_actors: int = 2,
        cpus_per_actor: float = 1.0,
        gpus_per_actor: float = 0.0,
        num_cpus: int | None = None,
        run_dir: str | Path | None = None,
        window: int | None = None,
    ) -> None:
        if isinstance(min_actors, bool) or not isinstance(min_actors, int) or min_actors < 1:
            raise ValueError(f"min_actors must be a whole number of at least 1, not {min_actors!r}")
        if isinstance(max_actors, bool) or not isinstance(max_actors, int):
            raise ValueError(f"max_actors must be a whole number, not {max_actors!r}")
        if max_actors < min_actors:
            raise ValueError(f"max_actors ({max_actors}) is below min_actors ({min_actors})")
        if not cpus_per_actor > 0 or not gpus_per_actor >= 0:
            raise ValueError(
                f"need cpus_per_actor > 0 and gpus_per_actor >= 0, not {cpus_per_actor} "
                f"and {gpus_per_actor}"
            )
        if num_cpus is not None and num_cpus < 1:
            raise ValueError(f"num_cpus must be at least 1, not {num_cpus}")
        if window is not None and (
            isinstance(window, bool) or not isinstance(window, int) or window < 0
        ):
            raise ValueError(f"window must be a whole number of at least 0, not {window!r}")
        self.address = address or None
        self.min_actors, self.max_actors = min_actors, max_actors
        self.cpus_per_actor, self.gpus_per_actor = float(cpus_per_actor), float(gpus_per_actor)
        self.num_cpus = num_cpus
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.window = window if window is not None else default_window(max_actors)
        self._started = False  # True when this engine started Ray (and so stops it)
        self._outside: Path | None = None  # its temporary folder, when outside the run dir

    def describe(self) -> dict[str, Any]:
        return {
            "engine": self.name,
            "address": self.address or "local",
            "min_actors": self.min_actors,
            "max_actors": self.max_actors,
            "cpus_per_actor": self.cpus_per_actor,
            "gpus_per_actor": self.gpus_per_actor,
            "window": self.window,
        }

    # ------------------------------------------------------------------ the cluster

    def check(self) -> None:
        """Fail now, in one line, where Ray is missing or the cluster cannot be reached."""
        import_ray()
        if self.address and self.address != "auto":
            check_reachable(self.address)

    def start(self) -> None:
        """Check now; Ray itself starts (or is connected to) at the first batch to compute, so
        a job whose batches are all finished never waits for it."""
        self.check()

    def connect(self) -> None:
        """Start a local Ray, or connect to the cluster at ``address`` (once)."""
        for variable, value in QUIET.items():
            os.environ.setdefault(variable, value)
        self.check()
        ray = import_ray()
        if ray.is_initialized():  # a cluster the caller started (a notebook, the tests)
            return
        try:
            if self.address:
                with _bounded_gcs_wait():
                    ray.init(address=self.address, logging_level="ERROR", log_to_driver=False)
            else:
                options = local_options(self.run_dir, self.num_cpus)
                ray.init(**options)
                temp = Path(options["_temp_dir"])
                self._outside = temp if temp.name.startswith(FALLBACK_PREFIX) else None
        except Exception as error:  # Ray raises ConnectionError, RuntimeError, ValueError...
            where = self.address or "a local Ray"
            raise EngineError(f"could not start Ray ({where}): {_first_line(error)}") from None
        self._started = True

    def close(self) -> None:
        if self._started:
            import_ray().shutdown()
            self._started = False
            if self._outside is not None:  # the short folder outside the run directory
                remove_folder(self._outside, ours=_is_fallback)

    def _check_resources(self, available: dict[str, float]) -> None:
        """An actor that asks for more than the whole cluster has would wait for ever."""
        for kind, need in (("CPU", self.cpus_per_actor), ("GPU", self.gpus_per_actor)):
            have = available.get(kind, 0.0)
            if need > have:
                raise EngineError(
                    f"each actor asks for {need:g} {kind}s (--{kind.lower()}s-per-actor) but "
                    f"the Ray cluster has {have:g}"
                )

    # ------------------------------------------------------------------ the work

    def map(self, task: BatchTask, batches: Iterable[Keyed]) -> Iterator[Keyed]:
        ray = import_ray()
        stream = iter(batches)
        task_bytes = None
        # A window's rows hold its records pickled (the records themselves are dropped).
        while rows := [
            {"number": n, "payload": pickle.dumps(records)}
            for n, records in islice(stream, self.window or None)
        ]:
            if task_bytes is None:  # the first window: Ray starts (a job with none never waits)
                if not ray.is_initialized():
                    self.connect()
                self._check_resources(ray.cluster_resources())
                _quiet(ray)
                # cloudpickle: a task class of a script or a notebook travels by value
                task_bytes = ray.cloudpickle.dumps(task)
            yield from self._map_window(ray, rows, task_bytes)

    def _map_window(self, ray: Any, rows: list[dict[str, Any]], task: bytes) -> Iterator[Keyed]:
        """One window's batches on a pool of its own, as each is done; ``rows`` is emptied
        (the object store holds them, spilled to disk when full)."""
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows))
        rows.clear()
        results = dataset.map_batches(
            _Worker,
            fn_constructor_kwargs={"task": task},
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(min_size=self.min_actors, max_size=self.max_actors),
            num_cpus=self.cpus_per_actor,
            num_gpus=self.gpus_per_actor,
        )
        for row in results.iter_rows():
            outcome, value = pickle.loads(row["payload"])
            if outcome == "error":
                raise value  # the task's own error, as the local engine would raise it
            yield int(row["number"]), value


class _Worker:
    """One actor: the task, set up once, then one shard per call.

    The task's errors (a bad setting found in the worker, a label mismatch) travel back as
    results and are raised in the driver as themselves: Ray Data would wrap them in its own
    exception, without the original.
    """

    def __init__(self, task: bytes) -> None:
        self.failure: Exception | None = None
        try:
            self.task = pickle.loads(task)  # a task's module the worker cannot import fails here
            self.task.setup()
        except Exception as error:
            self.failure = portable(error)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        payloads = [pickle.dumps(self._outcome(pickle.loads(p))) for p in batch["payload"]]
        return {"number": batch["number"], "payload": np.array(payloads, dtype=object)}

    def _outcome(self, records: Any) -> tuple[str, Any]:
        if self.failure is not None:
            return "error", self.failure
        try:
            return "ok", self.task.process_batch(records)
        except Exception as error:
            return "error", portable(error)


# ---------------------------------------------------------------------------- helpers


def _quiet(ray: Any) -> None:
    """No progress bars or execution reports from Ray Data: xlner shows its own progress (on
    a cluster started by the caller too)."""
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False


def portable(error: Exception) -> Exception:
    """``error`` if it survives pickling, else a RuntimeError that says what it was."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError:
        raise EngineError(
            "the ray engine needs Ray: pip install 'xlner[ray]' (or 'ray[data]')"
        ) from None
    return ray


def local_options(run_dir: Path | None, num_cpus: int | None) -> dict[str, Any]:
    """``ray.init`` options of a local Ray whose files live in ``run_dir``."""
    root = (run_dir or new_temporary_folder("xlner-run-")).resolve()
    spill = make_folder(root / "ray-spill")
    return {
        "num_cpus": num_cpus,
        "include_dashboard": False,
        "logging_level": "ERROR",
        "log_to_driver": False,
        "_temp_dir": str(temp_dir_for(root)),
        "object_spilling_directory": str(spill),
    }


def _is_fallback(folder: Path) -> bool:
    return folder.name.startswith(FALLBACK_PREFIX)


def temp_dir_for(root: Path) -> Path:
    """``<root>/ray``, or a short folder named after ``root`` where that is too long for
    Unix sockets (see the module docstring)."""
    inside = root / "ray"
    if len(str(inside)) <= MAX_TEMP_DIR:
        return inside
    digest = hashlib.sha256(str(root).encode("utf-8")).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"{FALLBACK_PREFIX}{digest}"


def check_reachable(address: str) -> None:
    """An :class:`EngineError` naming ``address`` unless its head accepts a TCP connection
    and answers it as a gRPC server does (an HTTP/2 SETTINGS frame), within
    :data:`CONNECT_TIMEOUT` seconds: a peer that closes the connection or never answers is
    no Ray head, and Ray itself would wait minutes on it."""
    where = address.removeprefix("ray://")
    host, _, port = where.rpartition(":")
    if not host or not port.isdigit():
        raise EngineError(f"--ray-address {address!r} is not host:port (or ray://host:port)")
    deadline = time.monotonic() + CONNECT_TIMEOUT
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT) as peer:
            peer.settimeout(max(deadline - time.monotonic(), 0.1))
            peer.sendall(HTTP2_PREFACE + HTTP2_EMPTY_SETTINGS)
            answer = _read_up_to(peer, 9)
    except OSError as error:  # refused, unroutable, no answer in time (TimeoutError)
        raise EngineError(f"cannot reach the Ray cluster at {address}: {error}") from None
    if len(answer) < 9 or answer[3] != HTTP2_SETTINGS:
        raise EngineError(
            f"cannot reach the Ray cluster at {address}: it accepts connections but does not "
            "answer as a Ray head (gRPC) does"
        )


def _read_up_to(peer: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = peer.recv(size - len(data))
        if not chunk:  # closed by the peer
            break
        data += chunk
    return data


@contextmanager
def _bounded_gcs_wait() -> Iterator[None]:
    """Ray retries a cluster's GCS once a second, 20 times by default: a host:port that
    accepts the TCP connection but is no Ray head (a proxy, another service) would take
    20 s and more to fail. Bound it by :data:`CONNECT_TIMEOUT`, unless the environment sets
    it; a local Ray's own start-up keeps Ray's budget (the variable is set only here)."""
    if GCS_WAIT_VARIABLE in os.environ:
        yield
        return
    os.environ[GCS_WAIT_VARIABLE] = str(math.ceil(CONNECT_TIMEOUT))
    try:
        yield
    finally:
        os.environ.pop(GCS_WAIT_VARIABLE, None)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
