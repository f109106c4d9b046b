//! Feeds arbitrary bytes to the XML reader and to every response parser: none may panic,
//! overflow the stack or hang; errors are fine.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roombook_ews::operations::*;
use roombook_ews::soap::parse_response;

fuzz_target!(|data: &[u8]| {
    let _ = roombook_ews::xml::parse(data);
    let _ = parse_response::<GetFolder>(data);
    let _ = parse_response::<GetRoomLists>(data);
    let _ = parse_response::<GetRooms>(data);
    let _ = parse_response::<CalendarView>(data);
    let _ = parse_response::<GetUserAvailability>(data);
    let _ = parse_response::<CreateMeeting>(data);
    let _ = parse_response::<UpdateMeeting>(data);
    let _ = parse_response::<DeleteItem>(data);
    let _ = parse_response::<GetItem>(data);
    let _ = parse_response::<SyncFolderItems>(data);
    let _ = parse_response::<ResolveNames>(data);
});
