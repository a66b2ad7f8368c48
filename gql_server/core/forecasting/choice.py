"""What the rolling-origin evaluation decides for the live forecast (`evaluation.evaluate`):
the model of each flow, how much wider or narrower than simulated its intervals must be, and
the out-of-sample scores those choices earned. Its own module so that `forecast` can take a
choice without importing the evaluation, which runs `forecast`'s parts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

INFLOW, OUTFLOW = "inflow", "outflow"
UNCALIBRATED = "none"
CONFORMAL = "conformal"


@dataclass(frozen=True)
class Calibration:
    """How the 80% intervals were calibrated (`method`), the spread factor of each
    (flow, horizon) the paths are reshaped by, and per horizon how often the intervals the
    procedure gave held out of sample (`coverage80`: the share of `sample_size` inflow and
    outflow sums inside)."""

    method: str = UNCALIBRATED
    factors: Mapping[tuple[str, int], float] = field(default_factory=dict)
    coverage80: Mapping[int, float] = field(default_factory=dict)
    sample_size: Mapping[int, int] = field(default_factory=dict)

    def factor_by_day(self, flow: str, days: int) -> np.ndarray:
        """The factor of each of `days` days ahead: each horizon's own on its last day,
        linear between horizons, constant before the first and after the last (1 without
        factors)."""
        known = sorted((h, f) for (name, h), f in self.factors.items() if name == flow)
        if not known:
            return np.ones(days)
        horizons = np.array([h for h, _ in known], dtype=np.float64)
        values = np.array([f for _, f in known], dtype=np.float64)
        return np.interp(np.arange(1, days + 1, dtype=np.float64), horizons, values)


@dataclass(frozen=True)
class Choice:
    """The models (ARIMA, MEAN or YEARLY of `weekly`) and calibration a forecast
    uses, with what they scored over `origins` rolling origins on the user's own inflow."""

    inflow_model: str
    outflow_model: str
    calibration: Calibration = field(default_factory=Calibration)
    backtest_mase: float | None = None  # 30-day inflow MAE / in-sample seasonal naive MAE
    interval_coverage: float | None = None  # share of origins whose 30-day inflow was inside
    origins: int = 0


def choice_as_json(choice: Choice) -> dict[str, Any]:
    """`choice` as JSON values, to be stored with the outlook: a what-if forecasts with the
    stored outlook's choice (`choice_from_json` gives it back exactly) instead of redoing the
    evaluation, most of an outlook's time."""
    calibration = choice.calibration
    return {
        "inflow_model": choice.inflow_model,
        "outflow_model": choice.outflow_model,
        "backtest_mase": choice.backtest_mase,
        "interval_coverage": choice.interval_coverage,
        "origins": choice.origins,
        "method": calibration.method,
        "factors": [[flow, h, f] for (flow, h), f in sorted(calibration.factors.items())],
        "coverage80": [[h, v] for h, v in sorted(calibration.coverage80.items())],
        "sample_size": [[h, n] for h, n in sorted(calibration.sample_size.items())],
    }


def choice_from_json(data: Mapping[str, Any]) -> Choice:
    """The choice `choice_as_json` stored."""
    return Choice(
        inflow_model=str(data["inflow_model"]),
        outflow_model=str(data["outflow_model"]),
        calibration=Calibration(
            method=str(data["method"]),
            factors={(str(flow), int(h)): float(f) for flow, h, f in data["factors"]},
            coverage80={int(h): float(v) for h, v in data["coverage80"]},
            sample_size={int(h): int(n) for h, n in data["sample_size"]},
        ),
        backtest_mase=None if data["backtest_mase"] is None else float(data["backtest_mase"]),
        interval_coverage=(
            None if data["interval_coverage"] is None else float(data["interval_coverage"])
        ),
        origins=int(data["origins"]),
    )
