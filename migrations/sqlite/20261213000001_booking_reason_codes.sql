-- A booking's reason becomes a code (core's BookingReason); the server words it for the page.
-- Earlier versions stored the sentence itself: each known sentence becomes its code, and a
-- reason no version wrote is dropped (it could not be worded again).
UPDATE bookings SET reason = 'taken_in_exchange' WHERE reason = 'The room was already booked in Exchange.';
UPDATE bookings SET reason = 'exchange_did_not_answer' WHERE reason = 'Exchange did not answer.';
UPDATE bookings SET reason = 'exchange_refused' WHERE reason = 'Exchange refused the meeting.';
UPDATE bookings SET reason = 'not_in_exchange' WHERE reason LIKE 'Exchange has no such meeting%';
UPDATE bookings SET reason = 'removed_outside_roombook' WHERE reason LIKE '%removed from your calendar outside Roombook%';
UPDATE bookings SET reason = 'declined_busy' WHERE reason LIKE '%is already booked for part of that time.';
UPDATE bookings SET reason = 'declined_by_room_rules' WHERE reason LIKE '%booking rules in Exchange do not allow this meeting%';
UPDATE bookings SET reason = NULL
 WHERE reason IS NOT NULL
   AND reason NOT IN ('taken_in_exchange', 'exchange_did_not_answer', 'exchange_refused',
                      'not_in_exchange', 'removed_outside_roombook', 'declined_busy',
                      'declined_by_room_rules');
