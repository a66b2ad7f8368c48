"""ICICI Bank internet-banking statement downloads (CSV/XLS/XLSX).

Layout, as public parsers of these files read it:
- `S No. | Value Date | Transaction Date | Cheque Number | Transaction Remarks |
  Withdrawal Amount (INR ) | Deposit Amount (INR ) | Balance (INR )`, in that order:
  vdinesht/tracker, `src/main/java/com/home/expense/tracker/imports/ICICI/
  ICICIBankStatementRow.java` (sno, valueDate, transactionDate, chequeNo,
  transactionRemarks, withdrawAmount, depositAmount, balance).
- The variant `Sr No | Value Date | Transaction Date | Cheque Number | Transaction Remarks |
  Debit Amount | Credit Amount | Balance(INR)`: Amit49/Bank-Statement-to-csv-form,
  `All_Bank_Header_List.md` (ICICI, Pattern22).
- dd/mm/yyyy or dd-mm-yyyy dates: FFFSTANZA/SharaLedger, `docs/INDIAN_BANK_FORMATS.md`.
The booked date is the Transaction Date; the Value Date is when interest starts to count."""

from __future__ import annotations

from gql_server.core.statements.layouts import Field, Layout, layout
from gql_server.core.statements.records import StatementFormat

EXPECTED = (
    "S No., Value Date, Transaction Date, Cheque Number, Transaction Remarks, "
    "Withdrawal Amount (INR ), Deposit Amount (INR ), Balance (INR )"
)

LAYOUTS: tuple[Layout, ...] = (
    layout(
        StatementFormat.ICICI,
        {
            Field.DATE: ("Transaction Date",),
            Field.VALUE_DATE: ("Value Date",),
            Field.REFERENCE: ("Cheque Number", "Cheque No."),
            Field.NARRATION: ("Transaction Remarks",),
            Field.DEBIT: ("Withdrawal Amount (INR )", "Withdrawal Amount", "Debit Amount"),
            Field.CREDIT: ("Deposit Amount (INR )", "Deposit Amount", "Credit Amount"),
            Field.BALANCE: ("Balance (INR )", "Balance"),
        },
        required=(Field.DATE, Field.NARRATION, Field.DEBIT, Field.CREDIT),
    ),
)
