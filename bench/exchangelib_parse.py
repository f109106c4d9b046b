"""Times Python's exchangelib parsing the same EWS responses as `cargo bench --bench throughput`.

    python exchangelib_parse.py INPUTS_DIR

Uses exchangelib's own response path (`EWSService.parse`: lxml, SOAP envelope, response
messages, then its model objects), with no network. Prints one line per input:
`NAME  MiB/s  ms-per-parse`.
"""
import sys
import time
from pathlib import Path

from exchangelib import DELEGATE, Account, Configuration, Credentials
from exchangelib.services import FindItem, GetUserAvailability
from exchangelib.util import DummyResponse
from exchangelib.version import EXCHANGE_2016, Version


def account():
    config = Configuration(
        server="exchange.invalid",
        credentials=Credentials("bench", "bench"),
        version=Version(EXCHANGE_2016),
    )
    return Account(
        "room.alpha@contoso.example", config=config, autodiscover=False, access_type=DELEGATE
    )


def measure(name, data, parse, expected):
    for _ in range(2):  # warm up
        assert len(parse(data)) == expected, name
    runs, start = 0, time.perf_counter()
    while time.perf_counter() - start < 2.0:
        parse(data)
        runs += 1
    seconds = (time.perf_counter() - start) / runs
    print(f"{name}  {len(data) / seconds / 2**20:.2f}  {seconds * 1000:.2f}")


def main():
    inputs = Path(sys.argv[1])
    acc = account()

    def find_items(data):
        # The steps of exchangelib's paged FindItem call after the HTTP response arrives.
        service = FindItem(account=acc)
        service.shape = "AllProperties"  # set by FindItem.call(), which we do not run
        _, body = service._get_soap_parts(response=DummyResponse(content=data))
        items = []
        for message in service._get_soap_messages(body=body):
            page, _ = service._get_page(message)
            for elem in service._get_elems_from_page(page, max_items=None, total_item_count=0):
                items.append(service._elem_to_obj(elem))
        return items

    def availability(data):
        service = GetUserAvailability(protocol=acc.protocol)
        return [v for v in service.parse(data) if not isinstance(v, Exception)]

    measure("find-item-1000", (inputs / "find-item-1000.xml").read_bytes(), find_items, 1000)
    measure("availability-100", (inputs / "availability-100.xml").read_bytes(), availability, 100)


if __name__ == "__main__":
    main()
