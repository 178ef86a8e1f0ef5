"""The task modules every consumer imports (importing a module registers its tasks with Huey).

Listed by name so this plumbing package imports no domain: add your domain's ``tasks`` module here.
"""

from __future__ import annotations

import importlib
from typing import Final

TASK_MODULES: Final = (
    "livebridge.insight.tasks",
    "livebridge.integrity.tasks",
    "livebridge.demand.tasks",
    "livebridge.service_desk.tasks",
)


def load_task_modules() -> None:
    for name in TASK_MODULES:
        importlib.import_module(name)
