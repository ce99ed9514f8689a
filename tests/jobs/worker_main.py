"""A worker process for the tests: `firebreak worker` plus the test handlers.

python -m tests.jobs.worker_main [--concurrency N] [--import module]..."""

from __future__ import annotations

import argparse
import asyncio

from app.config import configure_logging, load_settings
from app.jobs.process import run_worker


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--import", dest="imports", action="append", default=[])
    options = parser.parse_args()
    settings = load_settings()
    configure_logging(settings)
    asyncio.run(
        run_worker(settings, concurrency=options.concurrency, import_paths=["tests.jobs.tasks", *options.imports])
    )


if __name__ == "__main__":
    main()
