//! The message catalog: every user-facing string, in Vietnamese (first)
//! and English. Each entry carries both languages, so a translation cannot
//! be missing.
use motcua_domain::Locale;
use std::collections::HashMap;

/// One message: key, Vietnamese, English.
pub type Message = (&'static str, &'static str, &'static str);

pub struct Catalog {
    map: HashMap<&'static str, (&'static str, &'static str)>,
}

impl Catalog {
    /// A catalog of these tables; a key defined twice keeps its last entry
    /// (the tests check there is none: [`Catalog::duplicates`]).
    pub fn from_tables(tables: &[&[Message]]) -> Catalog {
        Catalog {
            map: tables
                .iter()
                .flat_map(|t| t.iter())
                .map(|(k, vi, en)| (*k, (*vi, *en)))
                .collect(),
        }
    }

    /// Keys defined in more than one entry of `tables`.
    pub fn duplicates(tables: &[&[Message]]) -> Vec<&'static str> {
        let mut seen = std::collections::HashSet::new();
        let mut out: Vec<&'static str> = tables
            .iter()
            .flat_map(|t| t.iter())
            .filter(|(k, _, _)| !seen.insert(*k))
            .map(|(k, _, _)| *k)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The text of `key` in `locale`; "…" (and a warning in the log) for
    /// a key that does not exist.
    pub fn get(&self, locale: Locale, key: &str) -> &'static str {
        match self.map.get(key) {
            Some((vi, en)) => match locale {
                Locale::Vi => vi,
                Locale::En => en,
            },
            None => {
                tracing::warn!(key, "missing i18n key");
                "…"
            }
        }
    }

    /// The catalog's own `'static` copy of `key`, if it exists.
    pub fn static_key(&self, key: &str) -> Option<&'static str> {
        self.map.get_key_value(key).map(|(k, _)| *k)
    }

    pub fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.map.keys().copied()
    }
}

/// The kernel's messages: the generic errors every context returns and
/// the holiday calendar's (Vietnamese, English).
pub const MESSAGES: &[Message] = &[
    ("error.not_found", "Không tìm thấy trang bạn yêu cầu.", "The page you asked for does not exist."),
    ("error.conflict", "Dữ liệu vừa được thay đổi bởi một thao tác khác. Vui lòng tải lại trang và thử lại.", "This was changed by another action meanwhile. Please reload the page and try again."),
    ("error.forbidden", "Bạn không có quyền truy cập trang này.", "You are not allowed to open this page."),
    ("error.internal", "Hệ thống gặp sự cố. Dữ liệu bạn đã gửi trước đó không bị mất; vui lòng thử lại sau ít phút.", "The system had a problem. Nothing you submitted before is lost; please try again in a few minutes."),
    ("error.bad_input", "Dữ liệu gửi lên không hợp lệ. Vui lòng kiểm tra và thử lại.", "The data sent is not valid. Please check it and try again."),
    ("error.email", "Địa chỉ email không hợp lệ.", "The email address is not valid."),
    ("error.username_taken", "Tên đăng nhập đã được sử dụng.", "This username is already taken."),
    ("calendar.remove", "Xóa", "Remove"),
    ("calendar.import", "Nhập tệp lịch", "Import a calendar file"),
    ("calendar.error_date", "Ngày không hợp lệ (định dạng năm-tháng-ngày).", "Invalid date (year-month-day)."),
    ("calendar.error_kind", "Loại điều chỉnh không hợp lệ.", "Invalid kind of adjustment."),
    ("calendar.error_reason", "Vui lòng nhập nội dung tiếng Việt, tiếng Anh và căn cứ (mỗi mục tối đa 300 ký tự).", "Please give the reason in Vietnamese and English and the source (300 characters at most each)."),
    ("calendar.error_weekend", "Thứ Bảy, Chủ nhật đã là ngày nghỉ: chỉ có thể đánh dấu là ngày làm bù.", "Saturdays and Sundays are days off already: they can only be marked as worked."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_make_one_catalog() {
        const A: &[Message] = &[("a.one", "Một", "One")];
        const B: &[Message] = &[("b.two", "Hai", "Two"), ("a.one", "Một!", "One!")];
        let c = Catalog::from_tables(&[A, B]);
        assert_eq!(c.get(Locale::Vi, "b.two"), "Hai");
        assert_eq!(c.get(Locale::En, "b.two"), "Two");
        assert_eq!(c.get(Locale::En, "nope"), "…");
        assert_eq!(c.static_key("b.two"), Some("b.two"));
        assert_eq!(Catalog::duplicates(&[A, B]), vec!["a.one"]);
        assert!(Catalog::duplicates(&[A]).is_empty());
    }
}
