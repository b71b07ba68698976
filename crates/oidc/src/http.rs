//! Small HTTP helpers: bounded bodies and short error excerpts.

/// The largest body read from the provider (discovery, JWKS, tokens, userinfo).
pub(crate) const MAX_BODY: usize = 1 << 20;

/// Reads a response body of at most `max` bytes.
pub(crate) async fn read_limited(
    mut resp: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, String> {
    if resp.content_length().is_some_and(|len| len > max as u64) {
        return Err(format!("response larger than {max} bytes"));
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        if buf.len() + chunk.len() > max {
            return Err(format!("response larger than {max} bytes"));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// The start of a body for an error message (never the whole of it).
pub(crate) fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 300;
    let text = String::from_utf8_lossy(body);
    let mut end = text.len().min(MAX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out: String = text[..end]
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if end < text.len() {
        out.push('…');
    }
    out
}

/// GET a URL that must answer 200 with JSON; returns the body.
pub(crate) async fn get_json_body(
    http: &reqwest::Client,
    url: reqwest::Url,
) -> Result<Vec<u8>, String> {
    let resp = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status();
    let body = read_limited(resp, MAX_BODY).await?;
    if !status.is_success() {
        return Err(format!("HTTP {}: {}", status.as_u16(), excerpt(&body)));
    }
    Ok(body)
}

/// `application/x-www-form-urlencoded` encoding of one value, as RFC 6749
/// §2.3.1 asks for the client id and secret inside HTTP Basic.
pub(crate) fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'*') {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(form_encode("motcua"), "motcua");
        assert_eq!(form_encode("a b:c%"), "a+b%3Ac%25");
        assert_eq!(form_encode("ấ"), "%E1%BA%A5");
    }

    #[test]
    fn excerpts_are_short_and_cut_on_char_boundaries() {
        let long = "ấ".repeat(500);
        let e = excerpt(long.as_bytes());
        assert!(e.len() <= 304);
        assert!(e.ends_with('…'));
        assert_eq!(excerpt(b"ok\n"), "ok ");
    }
}
