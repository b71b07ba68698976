//! Keyset paging for the lists that grow: a page continues after the last
//! row shown (its order key and id) instead of skipping rows with
//! `OFFSET`, so a deep page costs what the first does and stays the same
//! while rows are added.

/// A position in a list: the order key of the last row shown (a deadline,
/// a time, or the id itself) and its id, which breaks ties. Written
/// `KEY.ID` in links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub key: i64,
    pub id: i64,
}

impl Cursor {
    /// `KEY.ID` as written by [`Display`](std::fmt::Display); `None` for
    /// anything else.
    pub fn parse(s: &str) -> Option<Cursor> {
        let (key, id) = s.split_once('.')?;
        Some(Cursor {
            key: key.parse().ok()?,
            id: id.parse().ok()?,
        })
    }

    /// The start of an ascending list.
    pub const FIRST_ASC: Cursor = Cursor {
        key: i64::MIN,
        id: i64::MIN,
    };

    /// The start of a descending list.
    pub const FIRST_DESC: Cursor = Cursor {
        key: i64::MAX,
        id: i64::MAX,
    };
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.key, self.id)
    }
}

/// `rows` fetched with `LIMIT limit + 1`: the page of at most `limit` and
/// the cursor of the next page, if there is one.
pub fn page<T>(
    mut rows: Vec<T>,
    limit: i64,
    cursor: impl Fn(&T) -> Cursor,
) -> (Vec<T>, Option<Cursor>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() <= limit {
        return (rows, None);
    }
    rows.truncate(limit);
    let next = rows.last().map(cursor);
    (rows, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_refuses_garbage() {
        for c in [
            Cursor { key: 5, id: 7 },
            Cursor { key: -1, id: 2 },
            Cursor::FIRST_ASC,
            Cursor::FIRST_DESC,
        ] {
            assert_eq!(Cursor::parse(&c.to_string()), Some(c));
        }
        for bad in ["", "5", "5.", ".7", "a.7", "5.b", "5.7.9", "1e3.4", " 5.7"] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn page_splits_the_extra_row_into_a_cursor() {
        let key = |n: &i64| Cursor { key: *n, id: *n };
        assert_eq!(page(vec![1, 2, 3], 3, key), (vec![1, 2, 3], None));
        assert_eq!(
            page(vec![1, 2, 3, 4], 3, key),
            (vec![1, 2, 3], Some(Cursor { key: 3, id: 3 }))
        );
        assert_eq!(page(Vec::<i64>::new(), 3, key), (vec![], None));
    }
}
