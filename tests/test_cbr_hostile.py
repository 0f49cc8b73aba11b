"""A hostile or broken Bank: answers to another question, bodies that never end or never stop,
figures the Bank never prints. Real client, real loopback servers (pytest-httpserver, or a raw
socket server where bytes must trickle), no patched requests."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from extract.cbr import (
    DEFAULT_MAX_BYTES,
    CbrBadResponse,
    CbrClient,
    CbrUnavailable,
    parse_daily_rates,
    parse_dynamic_rates,
    parse_metal_prices,
)
from extract.cbr_replay import ENCODING, CbrReplayServer
from extract.rates import fetch_metal_prices_in_force, fetch_rates_in_force
from tests.conftest import cbr_fixture
from tests.loopback import LoopbackServer

XML = "application/xml; charset=windows-1251"
ROOT = Path(__file__).resolve().parents[1]
USD_1_17 = cbr_fixture("XML_dynamic_R01235_USD_2026-03-01_2026-03-17.xml")
EUR_1_17 = cbr_fixture("XML_dynamic_R01239_EUR_2026-03-01_2026-03-17.xml")
METALS_1_5 = cbr_fixture("xml_metall_2026-03-01_2026-03-05.xml")
DAILY_SATURDAY = cbr_fixture("XML_daily_nodate_recorded_2026-04-26T22-00Z_Date_25.04.2026.xml")
DAILY_17 = cbr_fixture(
    "XML_daily_date_req_17-03-2026_recorded_2026-03-17T15-07Z_Date_17.03.2026.xml"
)
DAILY_18 = cbr_fixture("XML_daily_nodate_recorded_2026-03-17T15-51Z_Date_18.03.2026.xml")
MARCH_1, MARCH_17 = date(2026, 3, 1), date(2026, 3, 17)


def client_for(url: str, **kwargs: object) -> CbrClient:
    options: dict[str, object] = {"min_interval": 0.0, "backoff_factor": 0.01}
    options.update(kwargs)
    return CbrClient(url, **options)  # type: ignore[arg-type]


def base(server: HTTPServer) -> str:
    return server.url_for("").rstrip("/")


def serve(server: HTTPServer, script: str, body: bytes) -> None:
    server.expect_request(f"/scripts/{script}").respond_with_data(body, content_type=XML)


# =========================================================================== 1. another answer


def test_eur_answer_to_a_usd_request_is_refused(httpserver: HTTPServer) -> None:
    serve(httpserver, "XML_dynamic.asp", EUR_1_17)
    with client_for(base(httpserver)) as client, pytest.raises(CbrBadResponse) as error:
        client.dynamic_rates("R01235", MARCH_1, MARCH_17)
    message = str(error.value)
    assert "answered currency R01239 instead of R01235" in message
    assert "VAL_NM_RQ=R01235" in message


def test_eur_answer_to_a_usd_request_fails_the_range_fetch(httpserver: HTTPServer) -> None:
    """The attack as reproduced: EUR's rates must not be published as USD for any day."""
    serve(httpserver, "XML_valFull.asp", cbr_fixture("pycbrf_XML_valFull_d0.xml"))
    serve(httpserver, "XML_dynamic.asp", EUR_1_17)
    with pytest.raises(CbrBadResponse, match="R01239 instead of R01235"):
        fetch_rates_in_force(client_for(base(httpserver)), ["USD"], MARCH_1, MARCH_17)


def test_records_of_another_currency_under_the_right_id_are_refused(
    httpserver: HTTPServer,
) -> None:
    body = USD_1_17.replace(b'Id="R01235"', b'Id="R01239"', 1)
    serve(httpserver, "XML_dynamic.asp", body)
    with client_for(base(httpserver)) as client, pytest.raises(CbrBadResponse) as error:
        client.dynamic_rates("R01235", MARCH_1, MARCH_17)
    assert "a record of R01239 dated 03.03.2026 when R01235 01.03.2026..17.03.2026 was asked" in (
        str(error.value)
    )


def test_another_range_is_refused(httpserver: HTTPServer) -> None:
    serve(httpserver, "XML_dynamic.asp", USD_1_17)
    with client_for(base(httpserver)) as client, pytest.raises(CbrBadResponse) as error:
        client.dynamic_rates("R01235", date(2026, 3, 2), MARCH_17)
    assert "range 01.03.2026..17.03.2026 instead of R01235 02.03.2026..17.03.2026" in str(
        error.value
    )


def test_a_record_outside_the_range_asked_is_refused(httpserver: HTTPServer) -> None:
    body = USD_1_17.replace(b'<Record Date="17.03.2026"', b'<Record Date="18.03.2026"', 1)
    assert body != USD_1_17
    serve(httpserver, "XML_dynamic.asp", body)
    with (
        client_for(base(httpserver)) as client,
        pytest.raises(CbrBadResponse, match=r"dated 18\.03\.2026, outside the range asked"),
    ):
        client.dynamic_rates("R01235", MARCH_1, MARCH_17)


def test_the_real_answer_passes(httpserver: HTTPServer) -> None:
    serve(httpserver, "XML_dynamic.asp", USD_1_17)
    with client_for(base(httpserver)) as client:
        answer = client.dynamic_rates("R01235", MARCH_1, MARCH_17)
    assert len(answer.records) == 10


def test_metals_for_another_range_or_outside_it_are_refused(httpserver: HTTPServer) -> None:
    serve(httpserver, "xml_metall.asp", METALS_1_5)
    with client_for(base(httpserver)) as client:
        assert len(client.metal_prices(MARCH_1, date(2026, 3, 5)).records) == 12
        with pytest.raises(CbrBadResponse, match=r"metal prices for 01\.03\.2026\.\.05\.03"):
            client.metal_prices(MARCH_1, date(2026, 3, 4))
    httpserver.clear()
    outside = METALS_1_5.replace(
        b'<Record Date="05.03.2026" Code="4"', b'<Record Date="06.03.2026" Code="4"'
    )
    serve(httpserver, "xml_metall.asp", outside)
    with (
        client_for(base(httpserver)) as client,
        pytest.raises(CbrBadResponse, match=r"palladium price dated 06\.03\.2026, outside"),
    ):
        client.metal_prices(MARCH_1, date(2026, 3, 5))


def test_an_unknown_metal_code_is_refused(httpserver: HTTPServer) -> None:
    serve(httpserver, "xml_metall.asp", METALS_1_5.replace(b'Code="4"', b'Code="5"', 1))
    with (
        client_for(base(httpserver)) as client,
        pytest.raises(CbrBadResponse, match="unknown metal Code 5"),
    ):
        client.metal_prices(MARCH_1, date(2026, 3, 5))


@pytest.mark.parametrize(
    ("asked", "body"),
    [
        (MARCH_17, DAILY_17),  # the day asked
        (date(2026, 4, 26), DAILY_SATURDAY),  # Sunday: Saturday's list (real capture)
        (date(2026, 4, 27), DAILY_SATURDAY),  # Monday: still Saturday's (set on Friday)
    ],
)
def test_daily_list_of_the_day_or_the_last_one_before_it_passes(
    httpserver: HTTPServer, asked: date, body: bytes
) -> None:
    serve(httpserver, "XML_daily.asp", body)
    with client_for(base(httpserver)) as client:
        assert len(client.daily_rates(asked).rates) == 54


@pytest.mark.parametrize(
    ("asked", "body", "message"),
    [
        (MARCH_17, DAILY_18, r"list of 18\.03\.2026, after the day asked 17\.03\.2026"),
        (date(2026, 5, 20), DAILY_SATURDAY, r"list of 25\.04\.2026, long before the day asked"),
    ],
)
def test_daily_list_of_another_day_is_refused(
    httpserver: HTTPServer, asked: date, body: bytes, message: str
) -> None:
    serve(httpserver, "XML_daily.asp", body)
    with client_for(base(httpserver)) as client, pytest.raises(CbrBadResponse, match=message):
        client.daily_rates(asked)


def test_every_replayed_answer_passes_the_checks() -> None:
    """The replay server answers like the Bank: its lists and ranges are never refused."""
    with CbrReplayServer() as server, client_for(server.url) as client:
        for day in (date(2020, 6, 5), date(2020, 6, 7), date(2026, 3, 9), date(2026, 3, 19)):
            client.daily_rates(day)
        for currency_id in ("R01235", "R01239", "R01375"):
            client.dynamic_rates(currency_id, date(2020, 3, 1), date(2026, 3, 19))
        client.metal_prices(date(2020, 3, 1), date(2026, 3, 19))


# =========================================================================== 2. deadline, size


class RawServer(LoopbackServer):
    """A loopback TCP server that answers each connection with ``script(conn, server)``."""

    def __init__(self, script: Callable[[socket.socket, RawServer], None]) -> None:
        self.script = script
        super().__init__()
        self.url = f"http://127.0.0.1:{self.port}"

    def handle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)  # the request
                self.script(conn, self)
            except OSError:
                pass  # the client hung up: what a deadline does


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket, RawServer], None]], RawServer]]:
    servers: list[RawServer] = []

    def start(script: Callable[[socket.socket, RawServer], None]) -> RawServer:
        servers.append(RawServer(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


HEADERS = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/xml; charset=windows-1251\r\n"
    b"Content-Length: %d\r\n\r\n" % len(USD_1_17)
)
DEADLINE = 1.5
MARGIN = 1.0


def test_a_body_trickling_a_byte_at_a_time_hits_the_deadline(raw_server) -> None:
    # One byte every 0.2 s: each read is well inside the 2 s read timeout, so only the overall
    # deadline stops it (the whole body would take ~270 s).
    def script(conn: socket.socket, server: RawServer) -> None:
        conn.sendall(HEADERS)
        server.trickle(conn, USD_1_17, 0.2)

    server = raw_server(script)
    client = client_for(server.url, timeout=(2.0, 2.0), deadline=DEADLINE, max_retries=0)
    started = time.monotonic()
    with pytest.raises(CbrUnavailable) as error:
        client.dynamic_rates("R01235", MARCH_1, MARCH_17)
    elapsed = time.monotonic() - started
    assert "did not answer" in str(error.value) and "within the 1.5 s deadline" in str(error.value)
    assert "XML_dynamic.asp?date_req1=01%2F03%2F2026" in str(error.value)
    assert elapsed < DEADLINE + MARGIN, elapsed


def test_headers_trickling_a_byte_at_a_time_hit_the_deadline(raw_server) -> None:
    server = raw_server(lambda conn, server: server.trickle(conn, HEADERS + USD_1_17, 0.2))
    client = client_for(server.url, timeout=(2.0, 2.0), deadline=DEADLINE, max_retries=2)
    started = time.monotonic()
    with pytest.raises(CbrUnavailable, match=r"within the 1\.5 s deadline"):
        client.dynamic_rates("R01235", MARCH_1, MARCH_17)
    assert time.monotonic() - started < DEADLINE + MARGIN


def test_retries_stop_at_the_deadline_whatever_retry_after_says(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/scripts/XML_dynamic.asp").respond_with_data(
        "busy", status=503, headers={"Retry-After": "3600"}
    )
    client = client_for(base(httpserver), deadline=DEADLINE, max_retries=4)
    started = time.monotonic()
    with pytest.raises(CbrUnavailable, match=r"within the 1\.5 s deadline"):
        client.dynamic_rates("R01235", MARCH_1, MARCH_17)
    assert time.monotonic() - started < DEADLINE + MARGIN


def test_the_deadline_is_per_request(httpserver: HTTPServer) -> None:
    """A client whose request hit the deadline goes on answering the next requests."""
    serve(httpserver, "XML_dynamic.asp", USD_1_17)
    with client_for(base(httpserver), deadline=DEADLINE) as client:
        for _ in range(3):
            assert len(client.dynamic_rates("R01235", MARCH_1, MARCH_17).records) == 10
            time.sleep(0.6)  # three requests, 1.8 s in all: longer than one deadline


THIRTY_MB = 30_000_000


def test_a_30_mb_answer_announced_is_refused_unread(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/scripts/XML_dynamic.asp").respond_with_data(
        b"<" * THIRTY_MB, content_type=XML
    )
    with client_for(base(httpserver)) as client, pytest.raises(CbrBadResponse) as error:
        client.dynamic_rates("R01235", MARCH_1, MARCH_17)
    assert "announced 30,000,000 bytes" in str(error.value)
    assert "over the 20,000,000-byte limit" in str(error.value)
    assert "XML_dynamic.asp?" in str(error.value)


def test_a_30_mb_answer_streamed_without_length_is_cut_at_the_limit(
    httpserver: HTTPServer,
) -> None:
    sent = {"bytes": 0}

    def stream(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            block = b" " * 1_000_000
            for _ in range(THIRTY_MB // len(block)):
                sent["bytes"] += len(block)
                yield block

        return Response(body(), content_type=XML)  # no Content-Length: chunked

    httpserver.expect_request("/scripts/XML_dynamic.asp").respond_with_handler(stream)
    with client_for(base(httpserver)) as client, pytest.raises(CbrBadResponse) as error:
        client.dynamic_rates("R01235", MARCH_1, MARCH_17)
    assert "sent more than the 20,000,000-byte limit" in str(error.value)
    assert "the rest was not read" in str(error.value)


def test_the_size_limit_is_far_above_the_largest_real_answer() -> None:
    largest = max(
        path.stat().st_size
        for folder in (ROOT / "tests" / "fixtures" / "cbr", ROOT / "data" / "samples" / "cbr")
        for path in folder.glob("*.xml")
    )
    assert largest * 100 < DEFAULT_MAX_BYTES


def test_a_small_limit_is_configurable(httpserver: HTTPServer) -> None:
    serve(httpserver, "XML_dynamic.asp", USD_1_17)
    with (
        client_for(base(httpserver), max_bytes=1000) as client,
        pytest.raises(CbrBadResponse, match="over the 1,000-byte limit"),
    ):
        client.dynamic_rates("R01235", MARCH_1, MARCH_17)


# =========================================================================== 3. bad values


def one_usd_record(value: str, vunit: str | None = None) -> bytes:
    vunit_xml = f"<VunitRate>{vunit}</VunitRate>" if vunit is not None else ""
    return (
        '<?xml version="1.0" encoding="windows-1251"?><ValCurs ID="R01235" '
        'DateRange1="01.03.2026" DateRange2="17.03.2026" name="Foreign Currency Market Dynamic">'
        f'<Record Date="03.03.2026" Id="R01235"><Nominal>1</Nominal><Value>{value}</Value>'
        f"{vunit_xml}</Record></ValCurs>"
    ).encode(ENCODING)


@pytest.mark.parametrize(
    ("value", "vunit", "message"),
    [
        ("1E300", None, r"Value of R01235 on 03\.03\.2026 .* is implausibly large: '1E300'"),
        ("100000000000000", None, r"Value of R01235 on 03\.03\.2026 .* implausibly large"),
        ("1000000000,0000", None, r"implausibly large"),
        ("77,17341", None, r"Value of R01235 on 03\.03\.2026 .* more than 4 decimals: '77,17341'"),
        ("-77,1734", None, r"Value of R01235 on 03\.03\.2026 .* is not positive: '-77,1734'"),
        ("0,0000", None, r"Value of R01235 on 03\.03\.2026 .* is not positive"),
        ("77,1734", "-77,1734", r"VunitRate of R01235 on 03\.03\.2026 .* not positive"),
        ("77,1734", "1E+20", r"VunitRate of R01235 on 03\.03\.2026 .* implausibly large"),
        ("NaN", None, r"Value of R01235 on 03\.03\.2026 .* not a (finite )?number"),
    ],
)
def test_values_the_bank_never_prints_are_refused_by_the_parser(
    value: str, vunit: str | None, message: str
) -> None:
    with pytest.raises(CbrBadResponse, match=message):
        parse_dynamic_rates(one_usd_record(value, vunit), source="XML_dynamic.asp?R01235")


def test_1e300_fails_the_fetch_with_the_documented_message(httpserver: HTTPServer) -> None:
    """It used to end in a 100-line polars traceback."""
    serve(httpserver, "XML_valFull.asp", cbr_fixture("pycbrf_XML_valFull_d0.xml"))

    def answer(request: Request) -> Response:
        body = USD_1_17.replace(b"<Value>78,1900</Value>", b"<Value>1E300</Value>")
        for name in ("1", "2"):  # the range asked, as the Bank echoes it
            asked = request.args[f"date_req{name}"].replace("/", ".")
            body = body.replace(
                f'DateRange{name}="{"01" if name == "1" else "17"}.03.2026"'.encode(),
                f'DateRange{name}="{asked}"'.encode(),
            )
        return Response(body, content_type=XML)

    httpserver.expect_request("/scripts/XML_dynamic.asp").respond_with_handler(answer)
    assert b"<Value>78,1900</Value>" in USD_1_17
    with pytest.raises(CbrBadResponse, match=r"Value of R01235 on 06\.03\.2026 in http.*1E300"):
        fetch_rates_in_force(client_for(base(httpserver)), ["USD"], MARCH_1, MARCH_17)


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("12957,471", r"Sell of gold on 03\.03\.2026 .* more than 2 decimals: '12957,471'"),
        ("0", r"Sell of gold on 03\.03\.2026 .* not positive"),
        ("-1", r"Sell of gold on 03\.03\.2026 .* not positive"),
        ("1E300", r"Sell of gold on 03\.03\.2026 .* implausibly large"),
    ],
)
def test_metal_prices_the_bank_never_prints_are_refused(price: str, message: str) -> None:
    body = METALS_1_5.replace(b"<Sell>12957,47</Sell>", f"<Sell>{price}</Sell>".encode(), 1)
    with pytest.raises(CbrBadResponse, match=message):
        parse_metal_prices(body)


def test_two_different_records_for_one_day_are_refused() -> None:
    duplicate = b'<Record Date="06.03.2026" Id="R01235"><Nominal>1</Nominal><Value>79,0000</Value><VunitRate>79</VunitRate></Record>'
    body = USD_1_17.replace(b"</ValCurs>", duplicate + b"</ValCurs>")
    with pytest.raises(CbrBadResponse) as error:
        parse_dynamic_rates(body, source="XML_dynamic.asp?R01235")
    message = str(error.value)
    assert "two different records for R01235 on 06.03.2026" in message
    assert "78.19" in message and "79.0000" in message


def test_an_identical_repeated_record_is_merged() -> None:
    start = USD_1_17.index(b'<Record Date="06.03.2026"')
    record = USD_1_17[start : USD_1_17.index(b"</Record>", start) + len(b"</Record>")]
    body = USD_1_17.replace(b"</ValCurs>", record + b"</ValCurs>")
    assert parse_dynamic_rates(body) == parse_dynamic_rates(USD_1_17)


def test_two_different_entries_in_a_daily_list_are_refused() -> None:
    start = DAILY_17.index(b'<Valute ID="R01235">')
    entry = DAILY_17[start : DAILY_17.index(b"</Valute>", start) + len(b"</Valute>")]
    assert b"<Value>81,0517</Value>" in entry
    body = DAILY_17.replace(
        b"</ValCurs>",
        entry.replace(b"<Value>81,0517</Value>", b"<Value>90,0000</Value>") + b"</ValCurs>",
    )
    with pytest.raises(CbrBadResponse, match=r"R01235 on 17\.03\.2026 .*81\.0517 .* and 90\.0000"):
        parse_daily_rates(body)
    merged = DAILY_17.replace(b"</ValCurs>", entry + b"</ValCurs>")
    assert parse_daily_rates(merged) == parse_daily_rates(DAILY_17)


def test_two_different_prices_for_one_metal_and_day_are_refused() -> None:
    extra = b'<Record Date="03.03.2026" Code="1"><Buy>13000</Buy><Sell>13000</Sell></Record>'
    body = METALS_1_5.replace(b"</Metall>", extra + b"</Metall>")
    with pytest.raises(
        CbrBadResponse, match=r"gold on 03\.03\.2026 .*12957\.47/12957\.47 and 13000/13000"
    ):
        parse_metal_prices(body)


def test_every_real_sample_is_accepted() -> None:
    folders = (ROOT / "tests" / "fixtures" / "cbr", ROOT / "data" / "samples" / "cbr")
    parsed = 0
    for path in sorted(p for folder in folders for p in folder.glob("*.xml")):
        body = path.read_bytes()
        if b"<Metall" in body[:300]:
            parse_metal_prices(body, source=path.name)
        elif b"DateRange1" in body[:300]:
            parse_dynamic_rates(body, source=path.name)
        elif b"<ValCurs" in body[:300]:
            parse_daily_rates(body, source=path.name)
        else:
            continue
        parsed += 1
    assert parsed >= 20


def test_real_metals_in_force_are_unchanged() -> None:
    with CbrReplayServer() as server:
        frame = fetch_metal_prices_in_force(
            client_for(server.url), date(2026, 3, 3), date(2026, 3, 5)
        )
    gold = {r["price_date"]: r["sell"] for r in frame.iter_rows(named=True) if r["metal"] == "gold"}
    assert gold[date(2026, 3, 3)] == Decimal("12957.47")
    assert type(gold[date(2026, 3, 3)]) is Decimal
