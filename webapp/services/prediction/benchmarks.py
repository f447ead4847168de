"""Industry benchmarks per paid channel: the priors a prediction starts from before a
workspace has results of its own. All-industry averages for US advertisers, rounded.

Sources:
- Google Ads (search): WordStream / LocaliQ, "Search Advertising Benchmarks 2024" (17,000+
  campaigns, April 2023 – March 2024): average CTR 6.42 %, CPC $4.66, conversion rate
  6.96 %, cost per lead $66.69.
- Meta ads (Facebook/Instagram, lead campaigns): WordStream / LocaliQ, "Facebook Ads
  Benchmarks 2024": average CTR 2.53 %, CPC $1.88, conversion rate about 8 % (the 2024
  report's lead campaigns; editions give 7.7–8.8 %), cost per lead $21.98.

The cost per thousand impressions is derived as CPC × CTR × 1000, so that clicks per dollar
match the published cost per click (published CPMs measure a different mix of objectives).
How far one advertiser sits from these averages, and one campaign from its advertiser's
usual, is the prediction's concern (model.py), tuned by bench/predict_backtest.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Benchmark:
    ctr: float  # clicks ÷ impressions
    cvr: float  # conversions ÷ clicks
    cpc: float  # dollars per click
    source: str

    @property
    def cpm(self) -> float:
        """Dollars per thousand impressions, consistent with the CPC and CTR above."""
        return self.cpc * self.ctr * 1000


BENCHMARKS: dict[str, Benchmark] = {
    "google_ads": Benchmark(
        ctr=0.0642, cvr=0.0696, cpc=4.66, source="WordStream/LocaliQ Search Ads Benchmarks 2024"
    ),
    "meta_ads": Benchmark(
        ctr=0.0253, cvr=0.080, cpc=1.88, source="WordStream/LocaliQ Facebook Ads Benchmarks 2024"
    ),
}
PREDICTED_CHANNELS = tuple(BENCHMARKS)
