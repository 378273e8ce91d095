"""OpenMP threads that wait passively, so that torch stays fast on shared CPU cores.

torch runs its CPU kernels on an OpenMP thread pool (GNU libgomp in the PyPI wheels). By
default an idle pool thread spins for a while before it sleeps, waiting for the next parallel
region. When the cores are shared with other processes, the spinning threads take CPU time
from the threads that have work (ours and the other processes'), and every parallel region
waits for a peer that the scheduler has put aside. On 2 cores at load average 8-11, with
``OMP_WAIT_POLICY=PASSIVE`` SimAlign ran 2.8x, tagging 3.0x and a training step 1.7x faster
than with the default (``xlner benchmark throughput``). One torch thread helped as much under
load but leaves a core unused on a machine that is not shared; the interop thread count made
no difference.

libgomp reads the variable once, when it is loaded (when torch is first imported), so
``import xlner`` sets it unless it is set already; a program that imports torch before xlner
keeps the OpenMP default and should set the variable itself.
"""

from __future__ import annotations

import os

WAIT_POLICY = "OMP_WAIT_POLICY"


def prefer_passive_openmp() -> None:
    """Set ``OMP_WAIT_POLICY=PASSIVE`` for this process and its children, unless set."""
    os.environ.setdefault(WAIT_POLICY, "PASSIVE")
