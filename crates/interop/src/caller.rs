//! The system behind an interop call: a client-credentials access token
//! of an active system client (a person's token is not a system).
use motcua_domain::Millis;
use motcua_kernel::service::Result;
use motcua_kernel::Core;

/// A ministry's or province's system, as its access token names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub client_id: String,
    /// The catalog agency the client acts for.
    pub agency: String,
    pub scopes: Vec<String>,
}

impl Caller {
    pub fn has(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// The caller of bearer `token` at `now`: `None` for a token that is
/// not a live client-credentials access token of ours.
pub async fn of_token(core: &Core, token: &str, now: Millis) -> Result<Option<Caller>> {
    let Some(claims) = motcua_sso::token::access(core, token, now).await? else {
        return Ok(None);
    };
    if claims.get("uid").is_some() {
        return Ok(None);
    }
    let (Some(client), Some(agency)) = (claims["client_id"].as_str(), claims["agency"].as_str())
    else {
        return Ok(None);
    };
    if agency.is_empty() {
        return Ok(None);
    }
    let scopes = claims["scope"]
        .as_str()
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    Ok(Some(Caller {
        client_id: client.to_string(),
        agency: agency.to_string(),
        scopes,
    }))
}
