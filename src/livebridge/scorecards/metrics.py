"""The metrics a brand can weigh when ranking hosts, their direction and the default weights.

The default weights are justified in docs/scorecards.md: what is hardest to fake and closest to
the brand's money weighs most (net GMV after refunds, repurchase, refund rate); raw order volume,
the easiest figure to inflate with brushed orders, weighs least.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from livebridge.kit.i18n import N_


@dataclass(frozen=True)
class RankingMetric:
    key: str
    label: str  # an English message id, shown translated
    higher_is_better: bool
    default_weight: int


RANKING_METRICS: Final[tuple[RankingMetric, ...]] = (
    RankingMetric("net_gmv", N_("GMV net of refunds"), True, 30),
    RankingMetric("repurchase_90d", N_("Repurchase within 90 days"), True, 15),
    RankingMetric("repurchase_30d", N_("Repurchase within 30 days"), True, 5),
    RankingMetric("refund_rate", N_("Refund rate"), False, 15),
    RankingMetric("conversion", N_("Conversion (viewers → buyers)"), True, 10),
    RankingMetric("authenticity", N_("Authenticity index"), True, 10),
    RankingMetric("gpm", N_("GPM (GMV per 1,000 views)"), True, 5),
    RankingMetric("complaints", N_("Complaints per 1,000 orders"), False, 5),
    RankingMetric("orders", N_("Paid orders"), True, 5),
    RankingMetric("aov", N_("Average order value"), True, 0),
    RankingMetric("demand_topics", N_("Demand topics contributed"), True, 0),
)
METRIC_KEYS: Final = tuple(metric.key for metric in RANKING_METRICS)
DEFAULT_WEIGHTS: Final[dict[str, int]] = {metric.key: metric.default_weight for metric in RANKING_METRICS}
