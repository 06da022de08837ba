//! Cursor pagination: `?limit=` (1–100, default 20) and an opaque `?cursor=`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The largest page a client may ask for.
pub const MAX_LIMIT: u32 = 100;
/// The page size when none is asked for.
pub const DEFAULT_LIMIT: u32 = 20;

/// An opaque position in a list: the id of the last item returned. Lists are ordered by
/// UUIDv7 id, which is creation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(uuid::Uuid);

impl Cursor {
    /// The cursor that continues after the item with this id.
    #[must_use]
    pub const fn after(id: uuid::Uuid) -> Self {
        Self(id)
    }

    /// The id of the last item already seen.
    #[must_use]
    pub const fn last_id(&self) -> uuid::Uuid {
        self.0
    }

    /// The string clients send back.
    #[must_use]
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }

    /// Parses what [`Cursor::encode`] produced.
    ///
    /// # Errors
    /// [`PageRequestError::BadCursor`] for anything else.
    pub fn decode(s: &str) -> Result<Self, PageRequestError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| PageRequestError::BadCursor)?;
        uuid::Uuid::from_slice(&bytes)
            .map(Self)
            .map_err(|_| PageRequestError::BadCursor)
    }
}

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    limit: u32,
    cursor: Option<Cursor>,
}

/// Why a page request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageRequestError {
    /// `limit` outside 1–100.
    #[error("limit must be between 1 and 100")]
    BadLimit,
    /// A cursor this server did not issue.
    #[error("cursor is not valid")]
    BadCursor,
}

impl PageRequest {
    /// Validates raw query values.
    ///
    /// # Errors
    /// [`PageRequestError`] when the limit is out of range or the cursor is not ours.
    pub fn new(limit: Option<u32>, cursor: Option<&str>) -> Result<Self, PageRequestError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(PageRequestError::BadLimit);
        }
        let cursor = cursor
            .filter(|c| !c.is_empty())
            .map(Cursor::decode)
            .transpose()?;
        Ok(Self { limit, cursor })
    }

    /// The first page of `limit` items.
    #[must_use]
    pub fn first(limit: u32) -> Self {
        Self {
            limit: limit.clamp(1, MAX_LIMIT),
            cursor: None,
        }
    }

    /// How many items at most.
    #[must_use]
    pub const fn limit(&self) -> u32 {
        self.limit
    }

    /// Where to continue, if anywhere.
    #[must_use]
    pub const fn cursor(&self) -> Option<Cursor> {
        self.cursor
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            cursor: None,
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in list order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched rows: when the extra row is there, it is
    /// dropped and the cursor points after the last kept item. Repositories fetch one more row
    /// than asked so that the last page never carries a cursor.
    #[must_use]
    pub fn from_rows(mut rows: Vec<T>, req: PageRequest, id_of: impl Fn(&T) -> uuid::Uuid) -> Self {
        let limit = req.limit() as usize;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|r| Cursor::after(id_of(r)))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }

    /// Converts the items, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_bounds_and_default() {
        assert_eq!(PageRequest::new(None, None).unwrap().limit(), 20);
        assert_eq!(
            PageRequest::new(Some(0), None),
            Err(PageRequestError::BadLimit)
        );
        assert_eq!(
            PageRequest::new(Some(101), None),
            Err(PageRequestError::BadLimit)
        );
        assert_eq!(PageRequest::new(Some(100), None).unwrap().limit(), 100);
    }

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let id = uuid::Uuid::now_v7();
        let c = Cursor::after(id).encode();
        assert_eq!(
            PageRequest::new(None, Some(&c))
                .unwrap()
                .cursor()
                .unwrap()
                .last_id(),
            id
        );
        assert_eq!(
            PageRequest::new(None, Some("not a cursor!")),
            Err(PageRequestError::BadCursor)
        );
    }

    #[test]
    fn from_rows_sets_cursor_only_when_more_exist() {
        let ids: Vec<uuid::Uuid> = (0..3).map(|_| uuid::Uuid::now_v7()).collect();
        let full = Page::from_rows(ids.clone(), PageRequest::first(2), |i| *i);
        assert_eq!(full.items.len(), 2);
        assert_eq!(full.next_cursor.unwrap().last_id(), ids[1]);
        let last = Page::from_rows(ids[..2].to_vec(), PageRequest::first(2), |i| *i);
        assert!(last.next_cursor.is_none());
    }
}
