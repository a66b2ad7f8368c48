"""HDFC Bank NetBanking statement downloads (CSV, and the real BIFF .xls).

Layout, as public parsers of these files read it:
- Header row `Date | Narration | Chq./Ref.No. | Value Dt | Withdrawal Amt. | Deposit Amt. |
  Closing Balance`: Amit49/Bank-Statement-to-csv-form, `All_Bank_Header_List.md` (HDFC);
  imshubh4141/expense-calculator-web, `backend/interfaces/Transaction.ts`.
- dd/mm/yy dates: FFFSTANZA/SharaLedger, `docs/INDIAN_BANK_FORMATS.md`.
- The .xls has ~20 rows of account details above the header, a `*****` row under it, and a
  footer 'STATEMENT SUMMARY' whose `Opening Balance ... Closing Bal` header sits over a row of
  values (opening in the first column, closing in the seventh): arpitgupta2712/BankTransact,
  `HDFC/consolidate_statements.py` (`extract_statement_summary`, transactions from row 22).
The footer summary is read by `rows.read_lines`; this module only names the columns."""

from __future__ import annotations

from gql_server.core.statements.layouts import Field, Layout, layout
from gql_server.core.statements.records import StatementFormat

EXPECTED = "Date, Narration, Chq./Ref.No., Value Dt, Withdrawal Amt., Deposit Amt., Closing Balance"

LAYOUTS: tuple[Layout, ...] = (
    layout(
        StatementFormat.HDFC,
        {
            Field.DATE: ("Date",),
            Field.NARRATION: ("Narration",),
            Field.REFERENCE: ("Chq./Ref.No.", "Chq/Ref No", "Ref No./Cheque No."),
            Field.VALUE_DATE: ("Value Dt", "Value Date"),
            Field.DEBIT: ("Withdrawal Amt.", "Withdrawal Amount"),
            Field.CREDIT: ("Deposit Amt.", "Deposit Amount"),
            Field.BALANCE: ("Closing Balance",),
        },
        required=(Field.DATE, Field.NARRATION, Field.DEBIT, Field.CREDIT),
    ),
)
