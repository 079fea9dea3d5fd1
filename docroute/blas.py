"""One BLAS thread per service process: a stage scales by replicas, one per core.

numpy's OpenBLAS starts a thread per core and, on small matrices, spins them waiting for work.
On a 2-core machine whose other core runs the other services, the boundary model of `splitting:
auto` spent 5.0-5.5 CPU ms a page with the default threads against 1.9-2.0 with one, the same
decisions (bench/README.md, splitting.py `--blas-threads`); classify spent 0.3 ms less a text page
with one (bench/text_cpu.py). The trainer limits its fits the same way (`threadpool_limits`
around them).
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def one_blas_thread() -> None:
    """Limit every BLAS library loaded in this process to one thread, for the process's life.

    threadpoolctl sets the libraries' own limits, so numpy, already imported, obeys it too
    (the environment variables are read only when a library loads)."""
    threadpool_limits(limits=1, user_api="blas")
