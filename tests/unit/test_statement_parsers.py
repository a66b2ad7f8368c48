"""Bank statement and AA deposit parsers: each bank in each format it comes in, AUTO detection,
and every kind of bad input named in the design (pure, no database)."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest

from gql_server.core.statements.detect import parse_statement
from gql_server.core.statements.records import (
    ParsedStatement,
    StatementError,
    StatementFormat,
)
from gql_server.core.statements.tables import MAX_ROWS, read_table
from gql_server.core.statements.values import parse_amount, parse_date
from tests.unit import statement_files as files

D = Decimal
HDFC, ICICI, SBI, AXIS = (
    StatementFormat.HDFC,
    StatementFormat.ICICI,
    StatementFormat.SBI,
    StatementFormat.AXIS,
)


def amounts(statement: ParsedStatement) -> list[tuple[Decimal, bool]]:
    return [(line.amount, line.credit) for line in statement.lines]


# --- values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,23,456.78", D("123456.78")),
        ("12,34,56,789.5", D("123456789.50")),
        ("1,234,567.00", D("1234567.00")),
        ("₹ 2,500", D("2500.00")),
        ("Rs.1,000.00", D("1000.00")),
        ("INR 99.9", D("99.90")),
        ("1,000.00 Cr", D("1000.00")),
        ("1,000.00Dr", D("-1000.00")),
        ("(450.00)", D("-450.00")),
        ("-450.00", D("-450.00")),
        ("-,93,43,827.31", D("-9343827.31")),
        ("\t3,932.20", D("3932.20")),
        ("", None),
        ("-", None),
        ("  ", None),
    ],
)
def test_amounts_in_the_banks_styles(text: str, expected: Decimal | None) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    "text", ["12O.00", "1,2,3", "abc", "1.000,00", "12 34", "-500 Dr", "01/04/24"]
)
def test_an_amount_with_letters_or_a_strange_shape_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"amount|negative"):
        parse_amount(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01/04/24", date(2024, 4, 1)),
        ("01/04/2024", date(2024, 4, 1)),
        ("01-04-2024", date(2024, 4, 1)),
        ("1 Apr 2024", date(2024, 4, 1)),
        ("15-Jan-24", date(2024, 1, 15)),
        ("2024-04-01", date(2024, 4, 1)),
        ("2024-04-01T10:30:00", date(2024, 4, 1)),
        ("5 September 2023", date(2023, 9, 5)),
    ],
)
def test_dates_in_the_banks_styles(text: str, expected: date) -> None:
    assert parse_date(text) == expected


def test_a_date_that_does_not_exist_is_refused() -> None:
    with pytest.raises(ValueError, match="not a real date"):
        parse_date("31/02/2026")
    with pytest.raises(ValueError, match="not a date"):
        parse_date("Opening")


# --- HDFC ---------------------------------------------------------------------------------


def assert_hdfc(statement: ParsedStatement) -> None:
    assert statement.format is HDFC
    assert statement.problems == ()
    assert amounts(statement) == [
        (D("450.00"), False),
        (D("125000.00"), True),
        (D("10000.00"), False),
        (D("312.50"), True),
    ]
    first = statement.lines[0]
    assert first.booked_on == date(2024, 4, 1)
    assert first.narration.startswith("UPI-SWIGGY-")
    assert first.reference == "0000409112345678"
    assert first.balance == D("9550.00")
    assert statement.opening_balance == D("10000.00")
    assert statement.closing_balance == D("124862.50")


def test_hdfc_csv_with_preamble_and_summary() -> None:
    statement = parse_statement(files.csv_bytes(files.hdfc_rows()), "hdfc.csv", HDFC)
    assert_hdfc(statement)
    assert statement.lines[0].row == 9  # the file's own line number


def test_hdfc_xls_real_biff() -> None:
    assert_hdfc(parse_statement(files.xls_bytes(files.hdfc_rows(numbers=True)), "a.xls", HDFC))


def test_hdfc_xlsx() -> None:
    assert_hdfc(parse_statement(files.xlsx_bytes(files.hdfc_rows(numbers=True)), "a.xlsx", HDFC))


def test_hdfc_html_table_named_xls() -> None:
    cells = "".join(
        "<tr>" + "".join(f"<td>{'' if c is None else c}</td>" for c in row) + "</tr>"
        for row in files.hdfc_rows()
    )
    page = f"<html><body><table>{cells}</table></body></html>".encode()
    assert_hdfc(parse_statement(page, "Acct_Statement.xls", None))


def test_hdfc_csv_in_windows_1252_with_semicolons() -> None:
    rows = files.hdfc_rows()
    rows[8][1] = "UPI-CAFÉ COFFEE DAY-PAYMENT"
    data = files.csv_bytes(rows, delimiter=";", encoding="cp1252")
    statement = parse_statement(data, "hdfc.csv", None)
    assert statement.lines[0].narration == "UPI-CAFÉ COFFEE DAY-PAYMENT"
    assert statement.problems == ()


# --- ICICI, SBI, Axis -----------------------------------------------------------------------


def assert_icici(statement: ParsedStatement) -> None:
    assert statement.format is ICICI
    assert statement.problems == ()
    assert amounts(statement) == [
        (D("25000.00"), False),
        (D("80500.75"), True),
        (D("1500.00"), False),
    ]
    assert [line.booked_on.day for line in statement.lines] == [3, 10, 15]
    assert statement.lines[0].reference is None  # '-' means no cheque
    assert statement.lines[2].reference == "000123"
    assert statement.opening_balance == D("50000.00")
    assert statement.closing_balance == D("104000.75")


def test_icici_xls_and_xlsx_and_csv() -> None:
    assert_icici(parse_statement(files.xls_bytes(files.icici_rows(True)), "i.xls", ICICI))
    assert_icici(parse_statement(files.xlsx_bytes(files.icici_rows(True)), "i.xlsx", ICICI))
    assert_icici(parse_statement(files.csv_bytes(files.icici_rows()), "i.csv", ICICI))


def test_sbi_tab_separated_text_named_xls() -> None:
    statement = parse_statement(files.tsv_bytes(files.sbi_rows()), "1234.xls", SBI)
    assert statement.format is SBI
    assert statement.problems == ()
    assert amounts(statement) == [
        (D("45000.00"), True),
        (D("2345.50"), False),
        (D("5000.00"), False),
    ]
    assert statement.lines[0].booked_on == date(2024, 4, 1)
    assert statement.lines[2].reference is None
    assert statement.opening_balance == D("5000.00")
    assert statement.closing_balance == D("42654.50")


def assert_axis(statement: ParsedStatement) -> None:
    assert statement.format is AXIS
    assert statement.problems == ()
    assert amounts(statement) == [
        (D("640.00"), False),
        (D("110000.00"), True),
        (D("9000.00"), False),
    ]
    assert statement.lines[0].booked_on == date(2024, 4, 2)
    assert statement.lines[2].reference == "456789"
    assert statement.opening_balance == D("20000.00")
    assert statement.closing_balance == D("120360.00")


def test_axis_csv_and_xlsx() -> None:
    assert_axis(parse_statement(files.csv_bytes(files.axis_rows()), "axis.csv", AXIS))
    assert_axis(parse_statement(files.xlsx_bytes(files.axis_rows(True)), "axis.xlsx", AXIS))


def test_axis_statement_report_with_dr_cr_column_and_overdrawn_balance() -> None:
    statement = parse_statement(files.axis_report_csv(), "Account_Statement_Report.CSV", None)
    assert statement.format is AXIS
    assert statement.problems == ()
    assert amounts(statement) == [(D("3932.20"), True), (D("1725.00"), False)]
    assert statement.opening_balance == D("-9343827.31")
    assert statement.closing_balance == D("-9341620.11")


# --- Account Aggregator ---------------------------------------------------------------------


def assert_aa(statement: ParsedStatement) -> None:
    assert statement.problems == ()
    assert amounts(statement) == [
        (D("2500.00"), False),
        (D("431.53"), False),
        (D("20000.00"), True),
    ]
    first, _, last = statement.lines
    assert (first.booked_on, first.at) == (date(2023, 9, 1), time(10, 12, 52))
    assert first.reference == "f4184fc596403b9d638783cf57adfe4c"
    assert last.booked_on == date(2023, 9, 5)  # 20:04 UTC is past midnight in India
    assert statement.opening_balance == D("75461.37")
    assert statement.closing_balance == D("92529.84")


def test_aa_deposit_json_and_xml() -> None:
    json_statement = parse_statement(files.aa_json(), "fi.json", StatementFormat.AA_DEPOSIT_JSON)
    assert json_statement.format is StatementFormat.AA_DEPOSIT_JSON
    assert_aa(json_statement)
    xml_statement = parse_statement(files.aa_xml(), "fi.xml", StatementFormat.AA_DEPOSIT_XML)
    assert xml_statement.format is StatementFormat.AA_DEPOSIT_XML
    assert_aa(xml_statement)


# --- AUTO detection -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (files.csv_bytes(files.hdfc_rows()), HDFC),
        (files.xls_bytes(files.icici_rows(True)), ICICI),
        (files.tsv_bytes(files.sbi_rows()), SBI),
        (files.xlsx_bytes(files.axis_rows(True)), AXIS),
        (files.aa_json(), StatementFormat.AA_DEPOSIT_JSON),
        (files.aa_xml(), StatementFormat.AA_DEPOSIT_XML),
    ],
)
def test_auto_detects_each_format(data: bytes, expected: StatementFormat) -> None:
    assert parse_statement(data, "upload.bin", None).format is expected


def test_header_matching_ignores_case_spaces_dots_and_column_order() -> None:
    rows = files.hdfc_rows()
    header = ["closing balance", "DATE", " narration ", "Withdrawal Amt", "DEPOSIT AMT."]
    order = [6, 0, 1, 4, 5]
    body = [[row[i] if i < len(row) else None for i in order] for row in rows[8:12]]
    statement = parse_statement(files.csv_bytes([["x"], header, *body]), "h.csv", None)
    assert statement.format is HDFC
    assert amounts(statement)[1] == (D("125000.00"), True)
    assert statement.problems == ()


# --- bad input --------------------------------------------------------------------------------


def test_png_and_pdf_and_empty_files_are_refused_by_content() -> None:
    with pytest.raises(StatementError, match=r"statement\.csv is a PNG image"):
        parse_statement(files.PNG, "statement.csv", None)
    with pytest.raises(StatementError, match="PDF"):
        parse_statement(b"%PDF-1.7\n...", "statement.xls", HDFC)
    with pytest.raises(StatementError, match="is empty"):
        parse_statement(b"", "statement.csv", None)
    with pytest.raises(StatementError, match="is empty"):
        parse_statement(b"\xef\xbb\xbf \r\n", "statement.csv", None)


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(StatementError, match="not an Excel workbook"):
        parse_statement(out.getvalue(), "statement.xlsx", None)


def test_another_banks_statement_named_as_hdfc_is_refused() -> None:
    with pytest.raises(StatementError, match="looks like an SBI statement, not an HDFC"):
        parse_statement(files.tsv_bytes(files.sbi_rows()), "hdfc.xls", HDFC)
    with pytest.raises(StatementError, match="Account Aggregator deposit data \\(JSON\\), not"):
        parse_statement(files.aa_json(), "hdfc.csv", HDFC)
    with pytest.raises(StatementError, match="not Account Aggregator"):
        parse_statement(
            files.csv_bytes(files.hdfc_rows()), "fi.json", StatementFormat.AA_DEPOSIT_JSON
        )


def test_a_table_without_any_known_header_is_refused() -> None:
    data = files.csv_bytes([["Date", "Details", "Amount"], ["01/04/24", "x", "1.00"]])
    with pytest.raises(StatementError, match="no HDFC, ICICI, SBI or Axis header"):
        parse_statement(data, "other.csv", None)
    with pytest.raises(StatementError, match="Withdrawal Amt"):
        parse_statement(data, "other.csv", HDFC)


def test_a_row_with_a_shifted_column_is_a_problem_not_a_number() -> None:
    rows = files.hdfc_rows()
    # An unquoted comma in the narration pushes every later cell one column right.
    rows[9] = [
        "02/04/24",
        "NEFT CR-ACME",
        " SALARY",
        "N0922",
        "02/04/24",
        None,
        "1,25,000.00",
        "1,34,550.00",
    ]
    statement = parse_statement(files.csv_bytes(rows), "hdfc.csv", HDFC)
    assert [p.row for p in statement.problems] == [10, 11]
    assert "a column is shifted" in statement.problems[0].message
    assert "does not follow" in statement.problems[1].message  # the missing line shows
    assert len(statement.lines) == 3


def test_a_date_where_an_amount_belongs_is_a_problem() -> None:
    rows = files.hdfc_rows()
    rows[8] = ["01/04/24", "UPI-SWIGGY", "0000409112345678", "450.00", "01/04/24", None, "9,550.00"]
    statement = parse_statement(files.csv_bytes(rows), "hdfc.csv", HDFC)
    assert statement.problems[0].row == 9
    assert statement.problems[0].message == "Withdrawal Amt.: '01/04/24' is not an amount"


def test_a_file_shifted_throughout_is_refused() -> None:
    rows = files.hdfc_rows()
    shifted = rows[:8] + [[None, *row] for row in rows[8:12]]  # every row one cell right
    with pytest.raises(StatementError, match="none of the rows"):
        parse_statement(files.csv_bytes(shifted), "hdfc.csv", HDFC)


def test_a_date_that_does_not_exist_is_a_row_problem_with_its_row_number() -> None:
    rows = files.icici_rows()
    rows[7][3] = "31/02/2026"
    statement = parse_statement(files.csv_bytes(rows), "icici.csv", ICICI)
    assert len(statement.lines) == 2
    problem = statement.problems[0]
    assert problem.row == 8
    assert problem.message == "Transaction Date: '31/02/2026' is not a real date"


def test_an_amount_with_letters_is_a_row_problem() -> None:
    rows = files.axis_rows()
    rows[6][3] = "64O.00"
    statement = parse_statement(files.csv_bytes(rows), "axis.csv", AXIS)
    assert statement.problems[0].row == 7
    assert statement.problems[0].message == "DR: '64O.00' is not an amount"
    assert [line.row for line in statement.lines] == [8, 9]


def test_both_or_neither_withdrawal_and_deposit_is_a_problem() -> None:
    rows = files.sbi_rows()
    rows[12][5] = "10.00"  # the credit line also gets a debit
    rows[13][5] = ""  # the debit line loses its amount
    statement = parse_statement(files.tsv_bytes(rows), "sbi.xls", SBI)
    messages = {p.row: p.message for p in statement.problems}
    assert messages[13] == "this row has both a withdrawal and a deposit"
    assert messages[14] == "this row has neither a withdrawal nor a deposit"


def test_a_balance_that_does_not_follow_is_returned_with_a_problem() -> None:
    rows = files.hdfc_rows()
    rows[10][6] = "1,24,000.00"  # should be 1,24,550.00
    statement = parse_statement(files.csv_bytes(rows), "hdfc.csv", HDFC)
    assert len(statement.lines) == 4
    rows_with_problems = [p.row for p in statement.problems]
    assert rows_with_problems == [11, 12]  # this line, and the next which follows the truth
    assert "expected 124550.00" in statement.problems[0].message


def test_newest_first_statements_are_checked_bottom_up() -> None:
    rows = files.hdfc_rows()
    rows[8:12] = reversed(rows[8:12])
    rows[15] = [None] * 7  # no stated summary
    statement = parse_statement(files.csv_bytes(rows), "hdfc.csv", HDFC)
    assert statement.problems == ()
    assert statement.opening_balance == D("10000.00")
    assert statement.closing_balance == D("124862.50")


def test_billion_laughs_xml_is_refused_quickly() -> None:
    with pytest.raises(StatementError, match="DTD or entities"):
        parse_statement(files.BILLION_LAUGHS, "fi.xml", None)


def test_a_formula_cell_never_becomes_its_result() -> None:
    rows = files.hdfc_rows(numbers=True)
    rows[8][1] = '=HYPERLINK("http://x","y")'
    statement = parse_statement(files.xlsx_bytes(rows), "hdfc.xlsx", HDFC)
    assert all(line.narration != "y" for line in statement.lines)
    assert statement.problems[0].row == 9
    assert "spreadsheet formula" in statement.problems[0].message
    csv_rows = files.hdfc_rows()
    csv_rows[8][1] = "@SUM(1+1)*cmd|' /C calc'!A0"
    statement = parse_statement(files.csv_bytes(csv_rows), "hdfc.csv", HDFC)
    assert "spreadsheet formula" in statement.problems[0].message


def test_an_overlong_cell_is_a_problem() -> None:
    rows = files.hdfc_rows()
    rows[8][1] = "X" * 5000
    statement = parse_statement(files.csv_bytes(rows), "hdfc.csv", HDFC)
    assert "longer than 2,000 characters" in statement.problems[0].message


def test_row_count_is_capped() -> None:
    with pytest.raises(StatementError, match="more than 10 rows"):
        read_table(files.csv_bytes([["a", "b"]] * 11), "big.csv", max_rows=10)
    huge = b"Date,Narration\n" + b"x,y\n" * MAX_ROWS
    with pytest.raises(StatementError, match="more than 500,000 rows"):
        parse_statement(huge, "huge.csv", None)


def test_aa_json_without_an_account_and_broken_transactions() -> None:
    with pytest.raises(StatementError, match="not Account Aggregator deposit data"):
        parse_statement(b'{"hello": "world"}', "fi.json", None)
    with pytest.raises(StatementError, match="not valid JSON"):
        parse_statement(b"{nope", "fi.json", None)
    data = files.aa_json().replace(b'"type": "CREDIT"', b'"type": "REFUND"')
    statement = parse_statement(data, "fi.json", None)
    assert [(p.row, p.message) for p in statement.problems] == [
        (3, "type 'REFUND' is neither CREDIT nor DEBIT")
    ]
