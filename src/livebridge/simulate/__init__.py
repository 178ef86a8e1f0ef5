"""Simulated live sessions: a seeded event generator, a poster for the ingest API, and a CLI.

Everything it makes is marked simulated (``is_simulated=True``, ``source="simulator"``).
See docs/simulator.md for the model and its parameters.
"""

from livebridge.simulate.generator import CommentLabel, SessionFigures, Simulation, generate_events, simulate
from livebridge.simulate.scenario import (
    AudienceModel,
    EngagementModel,
    ExplainSlot,
    FunnelModel,
    Scenario,
    ShelfProduct,
    SkuSpec,
    example_shelf,
    load_shelf,
    plan_schedule,
)

__all__ = [
    "AudienceModel",
    "CommentLabel",
    "EngagementModel",
    "ExplainSlot",
    "FunnelModel",
    "Scenario",
    "SessionFigures",
    "ShelfProduct",
    "Simulation",
    "SkuSpec",
    "example_shelf",
    "generate_events",
    "load_shelf",
    "plan_schedule",
    "simulate",
]
