//! Prometheus metrics in the text exposition format. Counters are atomics
//! updated on the hot path; gauges that need the database are read at
//! scrape time.
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    pub http_2xx: AtomicU64,
    pub http_3xx: AtomicU64,
    pub http_4xx: AtomicU64,
    pub http_5xx: AtomicU64,
    pub login_success: AtomicU64,
    pub login_failure: AtomicU64,
    pub login_throttled: AtomicU64,
    pub mail_sent: AtomicU64,
    pub mail_failed: AtomicU64,
    pub jobs_dead: AtomicU64,
    pub events_delivered: AtomicU64,
    pub events_failed: AtomicU64,
    pub events_dead: AtomicU64,
}

/// Values read from the database at scrape time (shared by all nodes).
#[derive(Debug, Default)]
pub struct Gauges {
    pub jobs: Vec<(motcua_domain::JobStatus, i64)>,
    pub deliveries: Vec<(motcua_domain::DeliveryStatus, i64)>,
    pub accounts: i64,
    /// (kind, pending, overdue) of work with legal deadlines.
    pub sla: Vec<(&'static str, i64, i64)>,
}

pub fn inc(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Metrics {
    pub fn record_status(&self, status: u16) {
        inc(match status {
            200..=299 => &self.http_2xx,
            300..=399 => &self.http_3xx,
            400..=499 => &self.http_4xx,
            _ => &self.http_5xx,
        });
    }

    pub fn render(&self, gauges: &Gauges) -> String {
        let job_counts = &gauges.jobs;
        let accounts = gauges.accounts;
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP motcua_http_responses_total HTTP responses by status class."
        );
        let _ = writeln!(s, "# TYPE motcua_http_responses_total counter");
        for (class, c) in [
            ("2xx", &self.http_2xx),
            ("3xx", &self.http_3xx),
            ("4xx", &self.http_4xx),
            ("5xx", &self.http_5xx),
        ] {
            let _ = writeln!(
                s,
                "motcua_http_responses_total{{class=\"{class}\"}} {}",
                g(c)
            );
        }
        let _ = writeln!(
            s,
            "# HELP motcua_login_attempts_total Password login attempts by result."
        );
        let _ = writeln!(s, "# TYPE motcua_login_attempts_total counter");
        for (r, c) in [
            ("success", &self.login_success),
            ("failure", &self.login_failure),
            ("throttled", &self.login_throttled),
        ] {
            let _ = writeln!(s, "motcua_login_attempts_total{{result=\"{r}\"}} {}", g(c));
        }
        let _ = writeln!(
            s,
            "# HELP motcua_mail_total Mail delivery attempts by result."
        );
        let _ = writeln!(s, "# TYPE motcua_mail_total counter");
        let _ = writeln!(
            s,
            "motcua_mail_total{{result=\"sent\"}} {}",
            g(&self.mail_sent)
        );
        let _ = writeln!(
            s,
            "motcua_mail_total{{result=\"failed\"}} {}",
            g(&self.mail_failed)
        );
        let _ = writeln!(
            s,
            "# HELP motcua_jobs Jobs in the queue by status (all nodes)."
        );
        let _ = writeln!(s, "# TYPE motcua_jobs gauge");
        for status in <motcua_domain::JobStatus as motcua_domain::Workflow>::ALL {
            let n = job_counts
                .iter()
                .find(|(k, _)| k == status)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            let _ = writeln!(s, "motcua_jobs{{status=\"{status}\"}} {n}");
        }
        let _ = writeln!(
            s,
            "# HELP motcua_event_attempts_total Event delivery attempts to specialized systems by result (this node)."
        );
        let _ = writeln!(s, "# TYPE motcua_event_attempts_total counter");
        for (r, c) in [
            ("delivered", &self.events_delivered),
            ("failed", &self.events_failed),
            ("dead", &self.events_dead),
        ] {
            let _ = writeln!(s, "motcua_event_attempts_total{{result=\"{r}\"}} {}", g(c));
        }
        let _ = writeln!(
            s,
            "# HELP motcua_event_deliveries Event deliveries by status (all nodes)."
        );
        let _ = writeln!(s, "# TYPE motcua_event_deliveries gauge");
        for status in <motcua_domain::DeliveryStatus as motcua_domain::Workflow>::ALL {
            let n = gauges
                .deliveries
                .iter()
                .find(|(k, _)| k == status)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            let _ = writeln!(s, "motcua_event_deliveries{{status=\"{status}\"}} {n}");
        }
        let _ = writeln!(
            s,
            "# HELP motcua_sla_pending Items awaiting the operator, by kind of work (R-OP-3 deadlines)."
        );
        let _ = writeln!(s, "# TYPE motcua_sla_pending gauge");
        for (kind, pending, _) in &gauges.sla {
            let _ = writeln!(s, "motcua_sla_pending{{kind=\"{kind}\"}} {pending}");
        }
        let _ = writeln!(
            s,
            "# HELP motcua_sla_overdue Items past their legal deadline, by kind of work."
        );
        let _ = writeln!(s, "# TYPE motcua_sla_overdue gauge");
        for (kind, _, overdue) in &gauges.sla {
            let _ = writeln!(s, "motcua_sla_overdue{{kind=\"{kind}\"}} {overdue}");
        }
        let _ = writeln!(s, "# HELP motcua_accounts Accounts in the database.");
        let _ = writeln!(s, "# TYPE motcua_accounts gauge");
        let _ = writeln!(s, "motcua_accounts {accounts}");
        s
    }
}
