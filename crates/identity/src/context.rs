//! [`IdentityContext`]: what the identity context's services run on — the
//! kernel's [`Core`] plus the password hasher, the login methods'
//! settings, the certificate logins' writer and the portal's legal
//! documents. Other contexts hold one to call identity's public API.
use crate::hashing::Hasher;
use crate::logins::LoginWriter;
use crate::portal::Portal;
use crate::Identity;
use motcua_kernel::Core;
use std::sync::Arc;

#[derive(Clone)]
pub struct IdentityContext {
    pub core: Core,
    pub hasher: Hasher,
    /// Certificate verification, assurance levels, signing-tool settings.
    pub identity: Arc<Identity>,
    /// Certificate logins' writes (group commit on SQLite).
    pub logins: LoginWriter,
    /// The operator's contact details and the terms and privacy notice.
    pub portal: Arc<Portal>,
}

impl IdentityContext {
    /// The context with no trust anchors and the bundled documents.
    pub fn new(core: Core) -> Result<IdentityContext, String> {
        let hasher = Hasher::new(core.config.argon2);
        let logins = LoginWriter::start(&core.store);
        Ok(IdentityContext {
            core,
            hasher,
            identity: Arc::new(Identity::empty()?),
            logins,
            portal: Arc::new(Portal::bundled()),
        })
    }

    /// Replaces the footer's contact details and the legal documents.
    pub fn with_portal(mut self, portal: Portal) -> IdentityContext {
        self.portal = Arc::new(portal);
        self
    }

    /// Replaces the identity services (trust anchors, levels); starts the
    /// e-ID client if configured (it needs the public URL).
    pub fn with_identity(mut self, mut identity: Identity) -> IdentityContext {
        if let Some(cfg) = &identity.eid_config {
            match crate::eid::Eid::new(cfg, &self.core.config.public_url) {
                Ok(e) => identity.eid = Some(e),
                Err(e) => tracing::error!(error = %e, "e-ID login disabled"),
            }
        }
        self.identity = Arc::new(identity);
        self
    }
}

/// The kernel's fields (`store`, `config`, `clock`, …) read through the
/// context, so a service reads `state.store` whichever layer holds it.
impl std::ops::Deref for IdentityContext {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}
