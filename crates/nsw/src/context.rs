//! [`NswContext`]: what the National Single Window's services run on. NSW
//! creates and changes accounts only through identity's public API, so it
//! holds an [`IdentityContext`].
use motcua_identity::IdentityContext;

#[derive(Clone)]
pub struct NswContext {
    pub identity_ctx: IdentityContext,
    /// The inactivity sweep's place and budget (`lifecycle::inactivity`).
    pub sweep: std::sync::Arc<std::sync::Mutex<Sweep>>,
}

/// Where the inactivity sweep stopped, and how much it reads a run. It
/// resumes where it stopped, so that however many accounts wait for their
/// lock, every one is reached in turn; at the end it starts over.
#[derive(Debug, Clone, Copy)]
pub struct Sweep {
    /// `(last use, account)` of the last account looked at; `None` to
    /// start from the longest unused.
    pub cursor: Option<(motcua_domain::Millis, motcua_domain::AccountId)>,
    /// Candidates a page …
    pub page: i64,
    /// … and pages a run (every 10 minutes).
    pub pages: usize,
}

impl Default for Sweep {
    fn default() -> Sweep {
        Sweep {
            cursor: None,
            page: 1000,
            pages: 10,
        }
    }
}

impl NswContext {
    pub fn new(identity: IdentityContext) -> NswContext {
        NswContext {
            identity_ctx: identity,
            sweep: Default::default(),
        }
    }
}

/// Identity's handle and, through it, the kernel's fields.
impl std::ops::Deref for NswContext {
    type Target = IdentityContext;

    fn deref(&self) -> &IdentityContext {
        &self.identity_ctx
    }
}
