//! The file mail transport's drop: one `.eml` file a message.
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Mail {
    pub path: PathBuf,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Every message in `dir` (none when it does not exist); an unparsable
/// message fails the test.
pub fn read_mails(dir: &Path) -> Vec<Mail> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().and_then(|x| x.to_str()) != Some("eml") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read eml");
        let msg = mail_parser::MessageParser::default()
            .parse(&bytes)
            .unwrap_or_else(|| panic!("unparsable mail {}", path.display()));
        let to = msg
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_string();
        out.push(Mail {
            to,
            subject: msg.subject().unwrap_or_default().to_string(),
            text: msg.body_text(0).unwrap_or_default().to_string(),
            html: msg.body_html(0).unwrap_or_default().to_string(),
            path,
        });
    }
    out
}

/// The first `http…` link in `text` that contains `needle`.
pub fn link_in(text: &str, needle: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
        .find(|w| w.starts_with("http") && w.contains(needle))
        .map(|w| w.trim_end_matches(['.', ',', ')']).to_string())
}
