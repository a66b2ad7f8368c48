"""Axis Bank statement downloads, in the two layouts public parsers meet.

- Retail: `Tran Date | CHQNO | PARTICULARS | DR | CR | BAL | SOL`, dd-mm-yyyy dates, an
  `OPENING BALANCE` row with only BAL filled, and the same header spelled `Tran Date | Chq No |
  Particulars | Debit | Credit | Balance | Init. br`: Amit49/Bank-Statement-to-csv-form,
  `All_Bank_Header_List.md` (AXIS BANK, Pattern2); public Ruby and TypeScript Axis readers
  match on 'Tran Date', 'PARTICULARS', 'DR', 'CR', 'BAL' and carry a SOL (branch) column.
- Corporate/CSV report: `S.No | Transaction Date (dd/mm/yyyy) | Value Date (dd/mm/yyyy) |
  Particulars | Amount(INR) | Debit/Credit | Balance(INR) | Cheque Number | Branch
  Name(SOL)`, one amount column with a DR/CR marker, `OPENING BALANCE`, `TRANSACTION TOTAL
  DR/CR` and `CLOSING BALANCE` rows, a disclaimer and legend below: arpitgupta2712/
  BankTransact, `AXIS/data/statements/Account_Statement_Report_19-08-2025_2311hrs.CSV`.
The stated-balance rows are read by `rows.read_lines`; this module only names the columns."""

from __future__ import annotations

from gql_server.core.statements.layouts import Field, Layout, layout
from gql_server.core.statements.records import StatementFormat

EXPECTED = "Tran Date, CHQNO, PARTICULARS, DR, CR, BAL, SOL"

LAYOUTS: tuple[Layout, ...] = (
    layout(
        StatementFormat.AXIS,
        {
            Field.DATE: ("Tran Date", "Transaction Date"),
            Field.REFERENCE: ("CHQNO", "Chq No", "Cheque No"),
            Field.NARRATION: ("PARTICULARS",),
            Field.DEBIT: ("DR", "Debit"),
            Field.CREDIT: ("CR", "Credit"),
            Field.BALANCE: ("BAL", "Balance"),
        },
        required=(Field.DATE, Field.NARRATION, Field.DEBIT, Field.CREDIT),
    ),
    layout(
        StatementFormat.AXIS,
        {
            Field.DATE: ("Transaction Date (dd/mm/yyyy)", "Tran Date"),
            Field.VALUE_DATE: ("Value Date (dd/mm/yyyy)",),
            Field.NARRATION: ("Particulars",),
            Field.AMOUNT: ("Amount(INR)", "Amount"),
            Field.DIRECTION: ("Debit/Credit", "Dr/Cr"),
            Field.BALANCE: ("Balance(INR)", "Balance"),
            Field.REFERENCE: ("Cheque Number",),
        },
        required=(Field.DATE, Field.NARRATION, Field.AMOUNT, Field.DIRECTION),
    ),
)
