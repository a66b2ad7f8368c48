"""Income smoothing: a steady monthly paycheck paid from lumpy income through a savings buffer
(`plan`), with the paycheck rule (`paycheck`), the buffer's target and risk (`target`), a
history replayed under the rule (`replay`) and the months and exact money they share
(`months`)."""
