//! [`NswContext`]: what the National Single Window's services run on. NSW
//! creates and changes accounts only through identity's public API, so it
//! holds an [`IdentityContext`].
use motcua_identity::IdentityContext;

#[derive(Clone)]
pub struct NswContext {
    pub identity_ctx: IdentityContext,
}

impl NswContext {
    pub fn new(identity: IdentityContext) -> NswContext {
        NswContext {
            identity_ctx: identity,
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
