//! Rooms as the pages show them, and the room filter.

use serde::{Deserialize, Serialize};

/// A bookable room, as listed to employees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSummary {
    pub id: String,
    /// The room mailbox's primary SMTP address: the room's identity in Exchange.
    pub email: String,
    pub name: String,
    pub capacity: Option<u32>,
    pub building: Option<String>,
    pub floor: Option<String>,
    pub equipment: Vec<String>,
    pub wheelchair_accessible: bool,
}

/// The largest head count a filter accepts; larger numbers are typing mistakes, not rooms.
pub const MAX_CAPACITY: u32 = 10_000;
/// Longest free-text filter we accept; a longer one is pasted junk and would only slow queries.
pub const MAX_QUERY_CHARS: usize = 200;

/// What an employee typed into the room filter, validated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomQuery {
    /// Matches name, building, floor or address, case-insensitively. Empty matches all.
    pub text: String,
    /// Rooms for at least this many people.
    pub min_capacity: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RoomQueryError {
    #[error("“{0}” is not a number of people. Enter a whole number such as 6.")]
    CapacityNotANumber(String),
    #[error("The number of people must be between 1 and {MAX_CAPACITY}.")]
    CapacityOutOfRange,
    #[error("The search text is too long (at most {MAX_QUERY_CHARS} characters).")]
    TextTooLong,
}

impl RoomQuery {
    /// Builds a query from the raw strings of a form or URL, as a person typed them.
    pub fn parse(text: &str, min_capacity: &str) -> Result<Self, RoomQueryError> {
        let text = text.trim();
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(RoomQueryError::TextTooLong);
        }
        let min_capacity = match min_capacity.trim() {
            "" => None,
            raw => {
                let n: u32 = raw
                    .parse()
                    .map_err(|_| RoomQueryError::CapacityNotANumber(raw.to_owned()))?;
                if n == 0 || n > MAX_CAPACITY {
                    return Err(RoomQueryError::CapacityOutOfRange);
                }
                Some(n)
            }
        };
        Ok(Self {
            text: text.to_owned(),
            min_capacity,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && self.min_capacity.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_trims_and_accepts_empty() {
        let q = RoomQuery::parse("  board ", "").unwrap();
        assert_eq!(q.text, "board");
        assert_eq!(q.min_capacity, None);
        assert!(RoomQuery::parse("", " ").unwrap().is_empty());
    }

    #[test]
    fn parse_rejects_nonsense_capacity_with_a_clear_error() {
        assert_eq!(
            RoomQuery::parse("", "six"),
            Err(RoomQueryError::CapacityNotANumber("six".into()))
        );
        assert_eq!(
            RoomQuery::parse("", "0"),
            Err(RoomQueryError::CapacityOutOfRange)
        );
        assert_eq!(
            RoomQuery::parse("", "10001"),
            Err(RoomQueryError::CapacityOutOfRange)
        );
        assert_eq!(RoomQuery::parse("", "12").unwrap().min_capacity, Some(12));
    }

    #[test]
    fn parse_rejects_overlong_text() {
        let long = "x".repeat(MAX_QUERY_CHARS + 1);
        assert_eq!(
            RoomQuery::parse(&long, ""),
            Err(RoomQueryError::TextTooLong)
        );
        let ok = "é".repeat(MAX_QUERY_CHARS);
        assert!(RoomQuery::parse(&ok, "").is_ok());
    }
}
