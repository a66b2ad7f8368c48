"""Bank statements and Account Aggregator deposit data: bytes in, statement lines out, and the
narration decoder that reads UPI, NEFT/IMPS/RTGS, NACH, ATM and card narrations. Pure: no
database, no GraphQL."""
