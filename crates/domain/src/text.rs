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

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Đăng ký"), "dang ky");
        assert_eq!(fold("  NGUYỄN   Thị  Ánh "), "nguyen thi anh");
        assert_eq!(fold("Bộ Công Thương"), "bo cong thuong");
        assert_eq!(fold("đường"), "duong");
        assert_eq!(fold("abc-123@x.vn"), "abc-123@x.vn");
    }
}
