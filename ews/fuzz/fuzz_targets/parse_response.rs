//! Feeds arbitrary bytes to the XML reader and to every response parser: none may panic,
//! overflow the stack or hang; errors are fine. `GetUserAvailability` is parsed both ways,
//! streaming (with its fallback) and by the tree, and whatever both read must be the same.
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
    let streamed = parse_response::<GetUserAvailability>(data);
    let tree = roombook_ews::soap::parse_response_tree::<GetUserAvailability>(data);
    if let (Ok(streamed), Ok(tree)) = (&streamed, &tree) {
        assert_eq!(
            format!("{streamed:?}"),
            format!("{tree:?}"),
            "the streaming parser read something else than the tree"
        );
    }
    assert_eq!(streamed.is_ok(), tree.is_ok(), "one path failed where the other did not");
    let _ = parse_response::<CreateMeeting>(data);
    let _ = parse_response::<UpdateMeeting>(data);
    let _ = parse_response::<DeleteItem>(data);
    let _ = parse_response::<GetItem>(data);
    let _ = parse_response::<SyncFolderItems>(data);
    let _ = parse_response::<ResolveNames>(data);
});
