"""Drives the Roombook simulator with exchangelib, the most used Python EWS client.

Run by tests/simulator/tests/simulator.rs (exchangelib_against_the_simulator) with a JSON
argument naming the endpoints and accounts. Prints one line per check ("PASS name" or
"FAIL name: error") and exits non-zero if any check failed.
"""

import datetime
import json
import sys
import traceback

import requests
from exchangelib import (
    BASIC,
    IMPERSONATION,
    OAUTH2,
    Account,
    CalendarItem,
    Configuration,
    Credentials,
    EWSDateTime,
    EWSTimeZone,
    Identity,
    OAuth2Credentials,
    Version,
)
from exchangelib.items import SEND_TO_ALL_AND_SAVE_COPY
from exchangelib.version import EXCHANGE_2016

settings = json.loads(sys.argv[1])
failures = []


def check(name):
    def run(fn):
        try:
            fn()
            print(f"PASS {name}", flush=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported, then counted
            failures.append(name)
            print(f"FAIL {name}: {error!r}", flush=True)
            traceback.print_exc()
        return fn

    return run


UTC = EWSTimeZone("UTC")
tomorrow = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).date()


def at(hour, minute=0):
    return EWSDateTime(tomorrow.year, tomorrow.month, tomorrow.day, hour, minute, tzinfo=UTC)


def basic_config():
    return Configuration(
        service_endpoint=settings["ews_url"],
        credentials=Credentials(settings["username"], settings["password"]),
        auth_type=BASIC,
        version=Version(EXCHANGE_2016),
    )


def oauth_config(organizer):
    token = requests.post(
        settings["https_token_url"],
        data={
            "grant_type": "client_credentials",
            "client_id": settings["client_id"],
            "client_secret": settings["client_secret"],
            "scope": "https://outlook.office365.com/.default",
        },
        timeout=30,
    ).json()
    credentials = OAuth2Credentials(
        client_id=settings["client_id"],
        client_secret=settings["client_secret"],
        tenant_id=settings["tenant_id"],
        identity=Identity(primary_smtp_address=organizer),
        access_token=token,
    )
    # requests-oauthlib refuses OAuth over plain HTTP: the HTTPS endpoint is used, trusting
    # the simulator's CA through REQUESTS_CA_BUNDLE.
    return Configuration(
        service_endpoint=settings["https_ews_url"],
        credentials=credentials,
        auth_type=OAUTH2,
        version=Version(EXCHANGE_2016),
    )


def room_response(item, room):
    item.refresh()
    for attendee in item.resources or []:
        if attendee.mailbox.email_address.lower() == room:
            return attendee.response_type
    raise AssertionError(f"room {room} not among resources {item.resources!r}")


def scenario(label, make_config, base_hour):
    organizer = settings["organizer"]
    room = settings["room"]
    account = Account(
        primary_smtp_address=organizer,
        config=make_config(organizer),
        autodiscover=False,
        access_type=IMPERSONATION,
    )

    @check(f"{label}: GetRoomLists")
    def _():
        lists = account.protocol.get_roomlists()
        addresses = [m.email_address for m in lists]
        assert settings["room_list"] in addresses, addresses

    @check(f"{label}: GetRooms")
    def _():
        rooms = [m.email_address for m in account.protocol.get_rooms(settings["room_list"])]
        assert room in rooms and settings["other_room"] in rooms, rooms

    @check(f"{label}: GetUserAvailability for several rooms")
    def _():
        accounts = [(room, "Room", False), (settings["other_room"], "Room", False)]
        infos = list(
            account.protocol.get_free_busy_info(
                accounts=accounts, start=at(0), end=at(23), merged_free_busy_interval=30
            )
        )
        assert len(infos) == 2, infos
        for info in infos:
            assert not isinstance(info, Exception), info

    created = {}

    @check(f"{label}: CreateItem meeting accepted by the room")
    def _():
        item = CalendarItem(
            account=account,
            folder=account.calendar,
            subject=f"exchangelib {label}",
            start=at(base_hour),
            end=at(base_hour, 30),
            required_attendees=[settings["attendee"]],
            resources=[room],
        )
        item.save(send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY)
        created["item"] = item
        response = room_response(item, room)
        assert response == "Accept", response

    @check(f"{label}: conflicting meeting declined")
    def _():
        clash = CalendarItem(
            account=account,
            folder=account.calendar,
            subject=f"exchangelib {label} clash",
            start=at(base_hour, 15),
            end=at(base_hour + 1),
            resources=[room],
        )
        clash.save(send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY)
        response = room_response(clash, room)
        assert response == "Decline", response
        clash.delete()

    @check(f"{label}: UpdateItem moves the meeting")
    def _():
        item = created["item"]
        item.start = at(base_hour + 2)
        item.end = at(base_hour + 2, 45)
        item.save(update_fields=["start", "end"], send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY)
        item.refresh()
        assert item.start == at(base_hour + 2), item.start
        response = room_response(item, room)
        assert response == "Accept", response

    @check(f"{label}: CalendarView sees the meeting")
    def _():
        found = list(account.calendar.view(start=at(0), end=at(23, 59)))
        subjects = [i.subject for i in found]
        assert f"exchangelib {label}" in subjects, subjects

    @check(f"{label}: CancelCalendarItem")
    def _():
        created["item"].cancel()


scenario("basic", lambda _organizer: basic_config(), settings.get("basic_hour", 9))
scenario("oauth", oauth_config, settings.get("oauth_hour", 14))

print(f"{len(failures)} failed", flush=True)
sys.exit(1 if failures else 0)
