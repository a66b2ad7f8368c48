"""Known money: recurring series found in a history (`detection`, timed by `cadence`) or
declared by the user (`items`), where they land ahead (`schedule`), one-off shocks
(`outliers`), and the plan that applies the user's word and marks what the model learns from
(`plan`)."""
