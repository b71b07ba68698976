//! Folding Vietnamese text for search: "Đăng ký" and "dang ky" both fold
//! to "dang ky". Unicode decomposition strips the tone and vowel marks;
//! đ/Đ has no decomposition and is mapped by hand.
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = true;
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
            continue;
        }
        last_space = false;
        out.extend(c.to_lowercase());
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The words of a search box, folded (no accents, lower case): control
/// characters dropped, the first 200 characters, at most `most` words.
pub fn search_words(query: &str, most: usize) -> Vec<String> {
    let clean: String = query
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    fold(&clean)
        .split(' ')
        .filter(|w| !w.is_empty())
        .take(most)
        .map(str::to_string)
        .collect()
}

/// A whole number with its thousands grouped by `sep` (`1.000` in
/// Vietnamese, `1,000` in English).
pub fn group_thousands(n: i64, sep: char) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// An amount in đồng as Vietnamese writes it: `18.000 đ`.
pub fn dong(n: i64) -> String {
    format!("{} đ", group_thousands(n, '.'))
}

#[cfg(test)]
mod tests {
    use super::{dong, fold, group_thousands};

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Đăng ký"), "dang ky");
        assert_eq!(fold("  NGUYỄN   Thị  Ánh "), "nguyen thi anh");
        assert_eq!(fold("Bộ Công Thương"), "bo cong thuong");
        assert_eq!(fold("đường"), "duong");
        assert_eq!(fold("abc-123@x.vn"), "abc-123@x.vn");
    }

    #[test]
    fn amounts_in_dong() {
        assert_eq!(dong(18_000), "18.000 đ");
        assert_eq!(dong(0), "0 đ");
        assert_eq!(dong(1_000_000_000), "1.000.000.000 đ");
        assert_eq!(group_thousands(-1234, ','), "-1,234");
    }
}
