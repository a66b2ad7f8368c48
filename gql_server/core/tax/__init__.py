"""Indian income tax for a freelancer, pure: versioned rule sets per financial year
(`rule_sets`, shaped by `rules`), the year a date falls in (`years`), the exact rupee rounding
the Acts prescribe (`money`), business income under a presumptive scheme or the regular rules
(`income`), the tax on that income under either regime (`liability`), advance-tax instalments
(`advance`), interest for paying them late (`interest`), the GST registration threshold
(`gst`) and the year's outlook that puts them together (`outlook`). Dated receipts and tax
payments are in `payments`, coded errors (an exception with a `code`) in `errors`.

Assumed throughout: a resident individual below 60 whose income is business or professional
receipts (no salary, capital gains or other heads)."""
