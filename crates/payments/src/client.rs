//! The portal's client of the national payment platform: every answer's
//! signature is checked before anything in it is believed.
use crate::protocol::{
    self, codes, Confirm, DayList, DayQuery, Init, InitAnswer, Receipt, ReceiptQuery, Refusal,
    Signed, StatusQuery,
};
use motcua_domain::Millis;
use std::time::Duration;

/// How to reach the platform and what we are to it.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// The platform's API base (`…/api/v1` is appended).
    pub base_url: url::Url,
    pub partner_code: String,
    pub secret: String,
    /// Still accepted on answers during a key rollover.
    pub previous_secret: Option<String>,
    /// Where the platform sends confirm callbacks (ours).
    pub notify_url: String,
    /// Where the payer's browser comes back (ours).
    pub return_url: String,
    /// A folder where the platform leaves its day files
    /// (`PAYGOV_<partner>_<yyyyMMdd>.csv`); read instead of the API when
    /// set.
    pub day_files: Option<std::path::PathBuf>,
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Not reached, or no answer in time: the outcome is unknown.
    #[error("payment platform unreachable: {0}")]
    Transport(String),
    /// An answer we cannot read.
    #[error("payment platform answer unreadable: {0}")]
    Malformed(String),
    /// An answer whose signature is not the platform's.
    #[error("payment platform answer with a bad signature")]
    BadSignature,
    /// The platform refused the request.
    #[error("payment platform refused: {code} {message}")]
    Refused { code: String, message: String },
}

pub type Result<T> = std::result::Result<T, ClientError>;

#[derive(Debug, Clone)]
pub struct Platform {
    cfg: PlatformConfig,
    http: reqwest::Client,
}

impl Platform {
    pub fn new(cfg: PlatformConfig) -> Result<Platform> {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(Platform { cfg, http })
    }

    pub fn config(&self) -> &PlatformConfig {
        &self.cfg
    }

    pub fn partner_code(&self) -> &str {
        &self.cfg.partner_code
    }

    /// The secrets answers may be signed with (current first).
    pub fn secrets(&self) -> Vec<&str> {
        let mut v = vec![self.cfg.secret.as_str()];
        if let Some(p) = &self.cfg.previous_secret {
            v.push(p.as_str());
        }
        v
    }

    /// The origin of the platform (where the payer is sent; the pages'
    /// CSP lets forms go there).
    pub fn origin(&self) -> String {
        self.cfg.base_url.origin().ascii_serialization()
    }

    fn endpoint(&self, path: &str) -> Result<url::Url> {
        let base = self.cfg.base_url.as_str().trim_end_matches('/');
        url::Url::parse(&format!("{base}/api/v1/{path}"))
            .map_err(|e| ClientError::Malformed(e.to_string()))
    }

    async fn post<T: serde::Serialize, A: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &T,
    ) -> Result<A> {
        let r = self
            .http
            .post(self.endpoint(path)?)
            .json(body)
            .send()
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        let status = r.status();
        let bytes = r
            .bytes()
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<Refusal>(&bytes) {
                Ok(f) => ClientError::Refused {
                    code: f.code,
                    message: f.message,
                },
                Err(_) if status.is_server_error() => {
                    ClientError::Transport(format!("HTTP {status}"))
                }
                Err(_) => ClientError::Malformed(format!("HTTP {status}")),
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Malformed(e.to_string()))
    }

    /// The INIT of an attempt: `reference` is ours and stable, so a
    /// repeated INIT (after a crash) is the same transaction.
    pub async fn init(
        &self,
        reference: &str,
        amount: i64,
        description: &str,
        receipt: &Receipt,
        now: Millis,
    ) -> Result<InitAnswer> {
        let mut m = Init {
            version: protocol::VERSION.into(),
            partner_code: self.cfg.partner_code.clone(),
            reference: reference.into(),
            amount,
            currency: protocol::CURRENCY.into(),
            channel: "web".into(),
            bank_code: String::new(),
            description: description.into(),
            timestamp: protocol::timestamp(now),
            return_url: self.cfg.return_url.clone(),
            notify_url: self.cfg.notify_url.clone(),
            receipt: receipt.canonical_json(),
            signature: String::new(),
        };
        m.sign_with(&self.cfg.secret);
        let a: InitAnswer = self.post("init", &m).await?;
        if !a.verify_with(&self.secrets()) {
            return Err(ClientError::BadSignature);
        }
        if a.reference != reference {
            return Err(ClientError::Malformed(
                "INIT answered another reference".into(),
            ));
        }
        if a.code != codes::SUCCESS {
            return Err(ClientError::Refused {
                code: a.code,
                message: String::new(),
            });
        }
        // The payer goes to the platform's own origin, nowhere else.
        let pay = url::Url::parse(&a.pay_url).map_err(|e| ClientError::Malformed(e.to_string()))?;
        if pay.origin().ascii_serialization() != self.origin() {
            return Err(ClientError::Malformed(
                "INIT answered a payment URL outside the platform".into(),
            ));
        }
        Ok(a)
    }

    /// What the platform knows of `reference` now.
    pub async fn status(&self, reference: &str, now: Millis) -> Result<Confirm> {
        let mut m = StatusQuery {
            partner_code: self.cfg.partner_code.clone(),
            reference: reference.into(),
            timestamp: protocol::timestamp(now),
            signature: String::new(),
        };
        m.sign_with(&self.cfg.secret);
        let a: Confirm = self.post("status", &m).await?;
        if !a.verify_with(&self.secrets()) {
            return Err(ClientError::BadSignature);
        }
        if a.reference != reference || a.partner_code != self.cfg.partner_code {
            return Err(ClientError::Malformed(
                "status answered another transaction".into(),
            ));
        }
        Ok(a)
    }

    /// The platform's list of the Vietnam day `date` (`yyyyMMdd`): from
    /// the day file when a folder is configured, else the API.
    pub async fn day(&self, date: &str, now: Millis) -> Result<DayList> {
        let list = match &self.cfg.day_files {
            Some(dir) => {
                let path = dir.join(format!("PAYGOV_{}_{date}.csv", self.cfg.partner_code));
                let text = read_day_file(&path).await?;
                DayList::from_csv(&self.cfg.partner_code, date, &text)
                    .ok_or_else(|| ClientError::Malformed(format!("{}", path.display())))?
            }
            None => {
                let mut m = DayQuery {
                    partner_code: self.cfg.partner_code.clone(),
                    date: date.into(),
                    timestamp: protocol::timestamp(now),
                    signature: String::new(),
                };
                m.sign_with(&self.cfg.secret);
                self.post("transactions", &m).await?
            }
        };
        if !list.verify_with(&self.secrets()) {
            return Err(ClientError::BadSignature);
        }
        if list.date != date || list.partner_code != self.cfg.partner_code {
            return Err(ClientError::Malformed("the list of another day".into()));
        }
        Ok(list)
    }

    /// The receipt PDF of a paid transaction, `kind` `phi` or `le_phi`.
    pub async fn receipt(&self, platform_txn_id: &str, kind: &str, now: Millis) -> Result<Vec<u8>> {
        let mut m = ReceiptQuery {
            partner_code: self.cfg.partner_code.clone(),
            platform_txn_id: platform_txn_id.into(),
            kind: kind.into(),
            timestamp: protocol::timestamp(now),
            signature: String::new(),
        };
        m.sign_with(&self.cfg.secret);
        let r = self
            .http
            .post(self.endpoint("receipt")?)
            .json(&m)
            .send()
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        let status = r.status();
        let bytes = r
            .bytes()
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<Refusal>(&bytes) {
                Ok(f) => ClientError::Refused {
                    code: f.code,
                    message: f.message,
                },
                Err(_) => ClientError::Transport(format!("HTTP {status}")),
            });
        }
        if !bytes.starts_with(b"%PDF-") {
            return Err(ClientError::Malformed("the receipt is not a PDF".into()));
        }
        Ok(bytes.to_vec())
    }
}

async fn read_day_file(path: &std::path::Path) -> Result<String> {
    // A day file is small; read it as it is.
    std::fs::read_to_string(path)
        .map_err(|e| ClientError::Transport(format!("{}: {e}", path.display())))
}
