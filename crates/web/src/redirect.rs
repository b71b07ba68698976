//! Redirects to a target taken from a request (`next` after login, the
//! language switch, step-up, the e-ID return, …). The one rule: a target
//! is kept only if, parsed the way a browser parses it (WHATWG URL, the
//! `url` crate) and resolved against the portal's own origin, it stays on
//! that origin. Anything else becomes `/`.
//!
//! String checks are not enough: browsers drop tabs and newlines and turn
//! `\` into `/` before they resolve a location, so `/<TAB>/evil.example`
//! is `//evil.example` to them; other control characters are not valid in
//! a `Location` header at all. The answer is therefore rebuilt from the
//! parsed URL (path, query, fragment), which is percent-encoded ASCII.
use axum::response::{IntoResponse, Redirect, Response};
use url::Url;

/// The origin targets are resolved against when the configured public URL
/// cannot be parsed (the config loader refuses such a URL; tests may not).
const FALLBACK_BASE: &str = "http://portal.invalid/";

/// The local path (with query and fragment) that `target` leads to on the
/// portal at `public_url`, or `/` if it leads anywhere else or is not a
/// URL. The result always starts with a single `/`, never `//` or `/\`,
/// and is a valid `Location` header value.
pub fn local_target(public_url: &str, target: Option<&str>) -> String {
    let base = match Url::parse(public_url) {
        Ok(u) if u.has_host() => u,
        _ => match Url::parse(FALLBACK_BASE) {
            Ok(u) => u,
            Err(_) => return "/".into(),
        },
    };
    let Some(target) = target else {
        return "/".into();
    };
    // An empty target resolves to the base itself: treat it as "nothing".
    if target.trim().is_empty() {
        return "/".into();
    }
    let Ok(resolved) = base.join(target) else {
        return "/".into();
    };
    if resolved.origin() != base.origin() {
        return "/".into();
    }
    let mut out = String::with_capacity(target.len() + 1);
    out.push_str(resolved.path());
    if let Some(q) = resolved.query() {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = resolved.fragment() {
        out.push('#');
        out.push_str(f);
    }
    // A path like `/.//evil.example` normalises to `//evil.example`, which
    // a browser would read as another host: refuse it, as anything that is
    // not a plain absolute path.
    if !out.starts_with('/')
        || out.starts_with("//")
        || out.starts_with("/\\")
        || out.bytes().any(|b| !(0x21..=0x7e).contains(&b))
    {
        return "/".into();
    }
    out
}

/// A `303 See Other` to [`local_target`] of `target`.
pub fn to_local(public_url: &str, target: &str) -> Response {
    Redirect::to(&local_target(public_url, Some(target))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BASE: &str = "https://dichvucong.example.vn";

    fn stays(target: &str) -> String {
        local_target(BASE, Some(target))
    }

    #[test]
    fn local_paths_are_kept() {
        assert_eq!(stays("/account"), "/account");
        assert_eq!(
            stays("/console/accounts?q=nguyen&page=2"),
            "/console/accounts?q=nguyen&page=2"
        );
        assert_eq!(stays("/account#top"), "/account#top");
        assert_eq!(stays("account"), "/account");
        assert_eq!(stays("https://dichvucong.example.vn/account"), "/account");
        assert_eq!(stays("/tài-khoản"), "/t%C3%A0i-kho%E1%BA%A3n");
        // Same scheme without slashes is a relative path to browsers too.
        assert_eq!(stays("https:evil.example"), "/evil.example");
        assert_eq!(stays("https:/evil.example"), "/evil.example");
    }

    #[test]
    fn other_origins_and_tricks_become_root() {
        for t in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            " //evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\\/evil.example",
            "https://evil.example/",
            "http://dichvucong.example.vn/account",
            "https://dichvucong.example.vn:444/",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "/.//evil.example",
            "/..//evil.example",
            "///evil.example",
            "",
            "   ",
        ] {
            assert_eq!(stays(t), "/", "{t:?}");
        }
    }

    #[test]
    fn control_characters_never_reach_the_header() {
        for b in 0u8..0x20 {
            let t = format!("/a{}b", b as char);
            let r = stays(&t);
            assert!(
                axum::http::HeaderValue::from_str(&r).is_ok(),
                "{t:?} -> {r:?}"
            );
        }
        let r = stays("/a\u{7f}b\u{2028}c\u{2029}");
        assert!(axum::http::HeaderValue::from_str(&r).is_ok(), "{r:?}");
    }

    #[test]
    fn a_bad_public_url_still_gives_a_local_path() {
        assert_eq!(local_target("not a url", Some("/x")), "/x");
        assert_eq!(local_target("not a url", Some("//evil.example")), "/");
        assert_eq!(local_target(BASE, None), "/");
    }

    fn tricky() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("/".to_string()),
            Just("\\".to_string()),
            Just("//".to_string()),
            Just(":".to_string()),
            Just("@".to_string()),
            Just("%2f".to_string()),
            Just("%5c".to_string()),
            Just("%09".to_string()),
            Just("%00".to_string()),
            Just(".".to_string()),
            Just("..".to_string()),
            Just("?".to_string()),
            Just("#".to_string()),
            Just("http".to_string()),
            Just("https:".to_string()),
            Just("javascript:".to_string()),
            Just("evil.example".to_string()),
            Just("dichvucong.example.vn".to_string()),
            Just("\u{2028}".to_string()),
            Just("\u{2029}".to_string()),
            Just("\u{85}".to_string()),
            Just("\u{feff}".to_string()),
            Just("\u{ff0f}".to_string()),
            (0u8..0x20).prop_map(|b| (b as char).to_string()),
            Just("\u{7f}".to_string()),
            "[a-z]{1,4}",
            any::<char>().prop_map(|c| c.to_string()),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// Whatever the input, the answer resolves to the portal's origin
        /// the way a browser resolves it, and is a valid header value.
        #[test]
        fn the_origin_never_changes(t in tricky()) {
            let r = local_target(BASE, Some(&t));
            prop_assert!(r.starts_with('/'));
            prop_assert!(!r.starts_with("//") && !r.starts_with("/\\"));
            prop_assert!(axum::http::HeaderValue::from_str(&r).is_ok());
            let base = Url::parse(BASE).unwrap();
            let again = base.join(&r).unwrap();
            prop_assert_eq!(again.origin(), base.origin());
            // Stable: resolving the answer gives the answer.
            prop_assert_eq!(local_target(BASE, Some(&r)), r);
        }
    }
}
