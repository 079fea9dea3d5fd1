"""One BLAS thread per service process (`docroute.blas`): numpy, already imported, obeys it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

_CHILD = """
import json
import numpy
from threadpoolctl import threadpool_info
from docroute.blas import one_blas_thread

def blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

before = blas_threads()
one_blas_thread()
numpy.ones((64, 64)) @ numpy.ones((64, 64))
print(json.dumps({"before": before, "after": blas_threads()}))
"""


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: BLAS runs one thread anyway")
def test_a_service_process_runs_blas_on_one_thread() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, check=True)
    threads = json.loads(done.stdout)
    assert threads["before"] and max(threads["before"]) > 1  # numpy's OpenBLAS starts one a core
    assert threads["after"] == [1] * len(threads["after"])
