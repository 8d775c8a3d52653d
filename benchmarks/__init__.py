"""Load benchmarks of the dbskit server against a bare Starlette route and Stoplight Prism.

``python -m benchmarks --help`` lists the options; docs/benchmarks.md explains the workloads.
"""

__all__: list[str] = []
