"""Forecasts of a user's cash flow: weekly models simulated into daily paths (`simulation`,
`weekly`), chosen and calibrated by the whole forecast redone at rolling origins
(`evaluation`, its decision in `choice`), summed per horizon (`forecast`), run over known
money and what-if scenarios (`scenarios`), and rated for risk (`risk`)."""
