"""State Bank of India (OnlineSBI) account statement downloads.

SBI's "Excel" download is tab-separated text with an .xls name (a preamble of account details,
then the table); `tables.sniff_kind` reads it by content, as SheetJS/sheetjs issue #617
describes for such files. Layout, as public parsers of these files read it:
- `Txn Date | Value Date | Description | Ref No./Cheque No. | Branch Code | Debit | Credit |
  Balance`: Amit49/Bank-Statement-to-csv-form, `All_Bank_Header_List.md` (STATE BANK OF
  INDIA, Pattern4); header cells padded with spaces ('        Debit') in public TypeScript
  readers of the download, hence the space-blind header match.
- Dates like `1 Apr 2024` (d Mon yyyy) or `15-Jan-24`: FFFSTANZA/SharaLedger,
  `docs/INDIAN_BANK_FORMATS.md`.
- Statements come as XLS or PDF: TechPrimers/spent issue #1."""

from __future__ import annotations

from gql_server.core.statements.layouts import Field, Layout, layout
from gql_server.core.statements.records import StatementFormat

EXPECTED = "Txn Date, Value Date, Description, Ref No./Cheque No., Debit, Credit, Balance"

LAYOUTS: tuple[Layout, ...] = (
    layout(
        StatementFormat.SBI,
        {
            Field.DATE: ("Txn Date",),
            Field.VALUE_DATE: ("Value Date",),
            Field.NARRATION: ("Description",),
            Field.REFERENCE: ("Ref No./Cheque No.", "Ref No./Cheque", "Ref No"),
            Field.DEBIT: ("Debit",),
            Field.CREDIT: ("Credit",),
            Field.BALANCE: ("Balance",),
        },
        required=(Field.DATE, Field.NARRATION, Field.DEBIT, Field.CREDIT),
    ),
)
