"""Forecasts of a user's cash flow: weekly models simulated into daily paths (`simulation`),
chosen by a rolling-origin backtest (`backtest`), summed per horizon (`forecast`), run over
known money and what-if scenarios (`scenarios`), and rated for risk (`risk`)."""
