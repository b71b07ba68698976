//! What a test reads from an HTTP answer.
use reqwest::header::HeaderMap;
use reqwest::StatusCode;

/// An answer, read whole.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Page {
    /// Reads the whole answer.
    pub async fn read(r: reqwest::Response) -> Page {
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body");
        Page {
            status,
            headers,
            text,
        }
    }

    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }

    /// The `Set-Cookie` line for `name`, if any.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    pub fn is_html(&self) -> bool {
        self.header("content-type")
            .is_some_and(|v| v.starts_with("text/html"))
    }

    /// The CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        scrape_csrf(&self.text).unwrap_or_else(|| panic!("no csrf field in page:\n{}", self.text))
    }

    pub fn redirects_to(&self, to: &str) -> bool {
        self.status == StatusCode::SEE_OTHER && self.location() == Some(to)
    }
}

/// The value of the first `name="csrf"` field.
pub fn scrape_csrf(html: &str) -> Option<String> {
    let i = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let rest = &html[i..];
    let end = rest.find('"')?;
    let v = &rest[..end];
    (!v.is_empty()).then(|| v.to_string())
}

/// How often `needle` occurs in `hay`.
pub fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_and_counts() {
        assert_eq!(
            scrape_csrf(r#"<input name="csrf" value="abc"><input name="csrf" value="d">"#),
            Some("abc".into())
        );
        assert_eq!(scrape_csrf(r#"<input name="csrf" value="">"#), None);
        assert_eq!(count("a-a-a", "a"), 3);
    }
}
