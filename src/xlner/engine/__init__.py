"""Engines: where the per-sentence stages run, batch after batch.

A stage that works sentence by sentence is a :class:`~xlner.engine.base.BatchTask`: it is
built once per worker (``setup()``: the model is loaded there) and then handed batch after
batch (``process_batch(records)``). An engine decides where that happens:

- ``local`` (the default): in this process, batch after batch, as xlner always ran;
- ``ray``: a Ray Data ``map_batches`` over the batches with an actor pool
  (``ActorPoolStrategy(min_size, max_size)``), each actor with its own CPUs/GPUs and its own
  copy of the model, on this machine (a local Ray started in the run directory) or on an
  existing cluster (``address``). Ray is an optional extra: ``pip install 'xlner[ray]'``.

Engines are components of the ``engines`` catalogue (``registry.engines.build("ray",
actors=2)``); their options are their constructors' keyword parameters. The caller owns the
output: an engine yields each batch's results as soon as they are done, and the caller writes
them (so an interrupted job keeps every finished batch, whichever engine computed it).
"""

from xlner.engine.base import BatchTask, Engine, EngineError, build_engine

__all__ = ["BatchTask", "Engine", "EngineError", "build_engine"]
