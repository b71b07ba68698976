//! Plain words for the codes pages would otherwise show raw: what an
//! assurance level means, who an audit record's actor or target is, an
//! audit record's detail as key/value text, the job queue's kinds and
//! states. This module's messages are in [`MESSAGES`].
use crate::i18n::Catalog;
use motcua_domain::assurance::{AssuranceLevel, AssurancePolicy};
use motcua_domain::AccountId;
use motcua_mail::Locale;
use std::collections::HashMap;

/// What an assurance level means, without its number: "high — when you
/// log in with a USB token, a SIM signature or e-ID level 2". The methods
/// come from the operator's mapping (`[assurance.levels]`), so the words
/// follow the configuration.
pub fn level_words(cat: &Catalog, locale: Locale, policy: &AssurancePolicy, level: i64) -> String {
    let l = AssuranceLevel::from_stored(level);
    let mut methods: Vec<&str> = policy
        .table()
        .into_iter()
        .filter(|(_, lv)| *lv == l)
        .map(|(m, _)| cat.get(locale, &format!("method.{}", m.as_str())))
        .collect();
    let how = match methods.len() {
        0 => {
            return cat
                .get(locale, &format!("level.name_{}", l.get()))
                .to_string()
                + " — "
                + cat.get(locale, "level.no_method")
        }
        1 => methods[0].to_string(),
        _ => {
            let last = methods.pop().unwrap_or_default();
            format!(
                "{} {} {last}",
                methods.join(", "),
                cat.get(locale, "level.or")
            )
        }
    };
    cat.get(locale, "level.words")
        .replace(
            "{name}",
            cat.get(locale, &format!("level.name_{}", l.get())),
        )
        .replace("{methods}", &how)
}

/// The level with its number and meaning: "Level 3: high — when you log
/// in with …".
pub fn level_text(cat: &Catalog, locale: Locale, policy: &AssurancePolicy, level: i64) -> String {
    cat.get(locale, "level.text")
        .replace("{n}", &AssuranceLevel::from_stored(level).get().to_string())
        .replace("{words}", &level_words(cat, locale, policy, level))
}

/// The level in a few words, for tables: "level 3 (high)".
pub fn level_short(cat: &Catalog, locale: Locale, level: i64) -> String {
    let l = AssuranceLevel::from_stored(level).get();
    cat.get(locale, "level.short")
        .replace("{n}", &l.to_string())
        .replace("{name}", cat.get(locale, &format!("level.name_{l}")))
}

/// Who acted on, or what was acted upon, as a person reads it: an
/// account by its username (with a link to it in the console), the
/// command line, the system, an anonymous visitor; anything else as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub text: String,
    pub link: Option<String>,
}

/// The account id in `account:ID`.
/// A whole number with thousands grouped the way the locale writes them:
/// `1.000` in Vietnamese, `1,000` in English.
pub fn thousands(n: i64, locale: Locale) -> String {
    motcua_domain::text::group_thousands(n, if locale == Locale::Vi { '.' } else { ',' })
}

pub fn account_id(s: &str) -> Option<AccountId> {
    s.strip_prefix("account:")?.parse().ok()
}

pub fn party(cat: &Catalog, locale: Locale, s: &str, names: &HashMap<AccountId, String>) -> Party {
    if let Some(id) = account_id(s) {
        return Party {
            text: names.get(&id).cloned().unwrap_or_else(|| s.to_string()),
            link: Some(format!("/console/accounts/{id}")),
        };
    }
    let text = match s {
        "anonymous" => cat.get(locale, "audit.anonymous").to_string(),
        "cli" => cat.get(locale, "audit.cli").to_string(),
        _ => match s.strip_prefix("system:") {
            Some(what) => cat.get(locale, "audit.system").replace("{what}", what),
            None => s.to_string(),
        },
    };
    Party { text, link: None }
}

/// An audit record's JSON detail as `(key, value)` lines: strings
/// unquoted, lists joined with commas, nested objects as dotted keys
/// (`before.email`).
/// Text that is not a JSON object comes back as one line without a key.
pub fn detail_pairs(detail: &str) -> Vec<(String, String)> {
    fn value(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => "—".into(),
            serde_json::Value::Array(a) => a.iter().map(value).collect::<Vec<_>>().join(", "),
            other => other.to_string(),
        }
    }
    fn flatten(
        prefix: &str,
        m: &serde_json::Map<String, serde_json::Value>,
        out: &mut Vec<(String, String)>,
    ) {
        for (k, v) in m {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                serde_json::Value::Object(inner) if !inner.is_empty() => flatten(&key, inner, out),
                other => out.push((key, value(other))),
            }
        }
    }
    match serde_json::from_str::<serde_json::Value>(detail) {
        Ok(serde_json::Value::Object(m)) => {
            let mut out = Vec::new();
            flatten("", &m, &mut out);
            out
        }
        _ if detail.trim().is_empty() => Vec::new(),
        _ => vec![(String::new(), detail.to_string())],
    }
}

/// The i18n key of a job kind or state, when it has one.
pub fn job_key(cat: &Catalog, what: &str, code: &str) -> Option<&'static str> {
    cat.static_key(&format!("jobs.{what}.{code}"))
}

/// This module's user-facing messages (key, Vietnamese, English).
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    ("level.word", "Mức", "Level"),
    ("level.text", "Mức {n}: {words}", "Level {n}: {words}"),
    ("level.words", "{name} — khi đăng nhập bằng {methods}", "{name} — when you log in with {methods}"),
    ("level.or", "hoặc", "or"),
    ("api.needs", "cần", "needs"),
    ("level.short", "mức {n} ({name})", "level {n} ({name})"),
    ("level.name_1", "cơ bản", "basic"),
    ("level.name_2", "trung bình", "substantial"),
    ("level.name_3", "cao", "high"),
    ("level.name_4", "rất cao", "very high"),
    ("level.no_method", "không có hình thức đăng nhập nào đạt mức này", "no login method reaches this level"),
    ("level.explain", "Mức độ an toàn cho biết việc đăng nhập chắc chắn đến đâu là chính bạn; một số trang và dịch vụ cần mức cao hơn.", "The assurance level says how sure the portal is that it is really you; some pages and services need a higher level."),
    ("audit.anonymous", "Khách chưa đăng nhập", "Visitor (not logged in)"),
    ("audit.cli", "Dòng lệnh quản trị", "Command line"),
    ("audit.system", "Hệ thống ({what})", "System ({what})"),
    ("audit.filter", "Lọc nhật ký", "Filter the log"),
    ("audit.actor_hint", "Tên đăng nhập, hoặc mã như cli, system: (kết thúc bằng dấu hai chấm để lấy mọi mã bắt đầu như vậy).", "A username, or a code such as cli or system: (end with a colon for every code starting so)."),
    ("audit.target_hint", "Tên đăng nhập của tài khoản, hoặc mã như calendar: (kết thúc bằng dấu hai chấm để lấy mọi mã bắt đầu như vậy).", "The account's username, or a code such as calendar: (end with a colon for every code starting so)."),
    ("audit.action_hint", "Thao tác hoặc phần đầu của nó, ví dụ account. hoặc account.lock", "An action or its start, e.g. account. or account.lock"),
    ("audit.from", "Từ ngày", "From"),
    ("audit.until", "Đến hết ngày", "To (inclusive)"),
    ("audit.apply", "Lọc", "Filter"),
    ("audit.clear", "Bỏ lọc", "Clear"),
    ("audit.none", "Không có bản ghi nào khớp.", "No records match."),
    ("audit.newest", "Mới nhất", "Newest"),
    ("audit.newer", "Mới hơn", "Newer"),
    ("audit.older", "Cũ hơn", "Older"),
    ("audit.bad_date", "Ngày không hợp lệ: hãy dùng dạng năm-tháng-ngày.", "Invalid date: use year-month-day."),
    ("audit.unknown_user", "Không có tài khoản nào tên {name}.", "There is no account named {name}."),
    ("audit.time_note", "Giờ Việt Nam (UTC+7).", "Vietnam time (UTC+7)."),
    ("jobs.status.queued", "Đang chờ", "Queued"),
    ("jobs.status.running", "Đang chạy", "Running"),
    ("jobs.status.done", "Đã xong", "Done"),
    ("jobs.status.dead", "Thất bại", "Failed"),
    ("jobs.kind.mail", "Gửi thư điện tử", "Send an email"),
    ("sla.kind_report", "Báo cáo sử dụng trái phép", "Unauthorized-use report"),
    ("reports.handled", "Đã xử lý", "Handled"),
    ("reports.mark_handled", "Đánh dấu đã xử lý", "Mark as handled"),
    ("reports.open", "Chưa xử lý", "Open"),
    ("reports.lead", "Tài khoản bị khóa ngay khi chủ tài khoản báo cáo. Hãy liên hệ chủ tài khoản, xác minh và xử lý trong 05 giờ làm việc, rồi đánh dấu đã xử lý.", "The account was locked as soon as the holder reported. Contact the holder, verify, and handle it within 5 working hours, then mark it as handled."),
    ("activity.kind.password_set", "Đặt mật khẩu", "Password set"),
    ("pwset.title", "Đặt mật khẩu", "Set a password"),
    ("pwset.lead", "Tài khoản của bạn được tạo bằng chữ ký số hoặc định danh điện tử nên chưa có mật khẩu. Bạn có thể đặt mật khẩu để đăng nhập thêm bằng tên đăng nhập {username}; mật khẩu chỉ đạt mức độ an toàn cơ bản.", "Your account was created with a digital signature or e-ID, so it has no password. You can set one to also log in with the username {username}; a password only reaches the basic assurance level."),
    ("pwset.submit", "Đặt mật khẩu", "Set the password"),
    ("pwset.already", "Tài khoản đã có mật khẩu. Hãy dùng chức năng đổi mật khẩu.", "The account already has a password. Use change password."),
    ("pwset.mail_subject", "Mật khẩu đã được đặt cho tài khoản của bạn", "A password was set for your account"),
    ("pwset.mail_body", "Một mật khẩu vừa được đặt cho tài khoản của bạn trên Cổng Dịch vụ công Motcua. Từ nay bạn có thể đăng nhập bằng tên đăng nhập và mật khẩu này.\n\nNếu không phải bạn đặt, hãy báo cáo sử dụng trái phép ngay: tài khoản sẽ bị khóa lập tức.", "A password was just set for your account on the Motcua Public Service Portal. You can now log in with your username and this password.\n\nIf you did not do this, report unauthorized use at once: the account is locked immediately."),
    ("pwset.mail_at", "Thời điểm", "Time"),
    ("pwset.mail_link", "Báo cáo sử dụng trái phép", "Report unauthorized use"),
    ("flash.password_set", "Đã đặt mật khẩu. Từ nay bạn có thể đăng nhập bằng tên đăng nhập và mật khẩu.", "Your password is set. You can now log in with your username and password."),
    ("form.error_in", "{label}: {message}", "{label}: {message}"),
    ("data.ref.registration", "khi đăng ký tài khoản", "at sign-up"),
    ("data.ref.account", "thông tin tài khoản", "account details"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped_per_locale() {
        assert_eq!(thousands(1000, Locale::Vi), "1.000");
        assert_eq!(thousands(20_000, Locale::En), "20,000");
        assert_eq!(thousands(999, Locale::Vi), "999");
        assert_eq!(thousands(1_234_567, Locale::En), "1,234,567");
        assert_eq!(thousands(-1000, Locale::En), "-1,000");
        assert_eq!(thousands(0, Locale::Vi), "0");
    }
}
