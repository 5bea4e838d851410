//! A workspace's own TikTok credentials: a sign-server API key and a TikTok session, used for
//! its livestreams instead of the server's. Owner only, write-only (the API says whether each
//! is set, never what it is), stored sealed with AES-256-GCM under a key derived from the
//! installation's secret (`auth.jwt_secret` or `<data_dir>/jwt_secret`), which every node of
//! an installation shares. Each value is bound to its workspace and field: a sealed value
//! copied to another row does not open.

use actix_web::{HttpResponse, delete, get, put, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use diesel::prelude::*;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom as _, SystemRandom};
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest as _, Sha256};
use utoipa::ToSchema;

use crate::auth::caller::Caller;
use crate::config::{Secret, TiktokSettings};
use crate::context::AppState;
use crate::db::DbConnection;
use crate::db::schema::tiktok_credentials;
use crate::error::{AppError, AppResult};
use crate::http::extract::ApiJson;
use crate::ids::now_ms;
use crate::workspaces::access::authorize;
use crate::workspaces::permissions::Action;
use crate::workspaces::scope::{Note, WorkspaceScope};

/// Seals and opens credentials.
pub struct Sealer {
    key: LessSafeKey,
    random: SystemRandom,
}

impl Sealer {
    /// The key is derived from the installation's secret, for this use only.
    pub fn derive(secret: &[u8]) -> AppResult<Sealer> {
        let mut hasher = Sha256::new();
        hasher.update(b"livectl: workspace TikTok credentials, v1\0");
        hasher.update(secret);
        let key = UnboundKey::new(&AES_256_GCM, &hasher.finalize())
            .map_err(|_| AppError::internal(anyhow::anyhow!("the credentials key")))?;
        Ok(Sealer {
            key: LessSafeKey::new(key),
            random: SystemRandom::new(),
        })
    }

    /// `base64(nonce ‖ ciphertext ‖ tag)`, bound to `context`.
    pub fn seal(&self, context: &str, plain: &str) -> AppResult<String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| AppError::internal(anyhow::anyhow!("no randomness for a nonce")))?;
        let mut data = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut data,
            )
            .map_err(|_| AppError::internal(anyhow::anyhow!("sealing a credential")))?;
        Ok(BASE64.encode([nonce.as_slice(), &data].concat()))
    }

    /// The plain value, or `None` if it was not sealed by this installation for `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Option<String> {
        let bytes = BASE64.decode(sealed).ok()?;
        let (nonce, data) = bytes.split_at_checked(NONCE_LEN)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = data.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut data)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

fn context(workspace_id: &str, field: &str) -> String {
    format!("{workspace_id}/{field}")
}

/// The server's TikTok settings with the workspace's own credentials over them, where set.
pub fn for_workspace(
    conn: &mut DbConnection,
    sealer: &Sealer,
    settings: &TiktokSettings,
    workspace_id: &str,
) -> AppResult<TiktokSettings> {
    let mut settings = settings.clone();
    let row: Option<(Option<String>, Option<String>)> = tiktok_credentials::table
        .find(workspace_id)
        .select((
            tiktok_credentials::sign_api_key,
            tiktok_credentials::session_id,
        ))
        .first(conn)
        .optional()?;
    let Some((api_key, session)) = row else {
        return Ok(settings);
    };
    let open = |field: &str, sealed: Option<String>| {
        let sealed = sealed?;
        let plain = sealer.open(&context(workspace_id, field), &sealed);
        if plain.is_none() {
            tracing::error!(
                workspace_id,
                field,
                "a workspace credential does not open (the installation's secret changed?); the server's is used"
            );
        }
        plain
    };
    if let Some(key) = open("sign_api_key", api_key) {
        settings.sign_api_key = Secret::new(key);
    }
    if let Some(session) = open("session_id", session) {
        settings.session_id = Secret::new(session);
    }
    Ok(settings)
}

/// Which of the workspace's own credentials are set (never their values).
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialsView {
    pub sign_api_key_set: bool,
    pub session_id_set: bool,
    pub updated_at: Option<i64>,
}

/// New values: a string sets, `null` clears, a missing key leaves as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetCredentials {
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    pub sign_api_key: Option<Option<String>>,
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    pub session_id: Option<Option<String>>,
}

/// A key that is present: `Some(None)` for `null`.
fn given<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

type Row = (Option<String>, Option<String>, i64);

fn read(conn: &mut DbConnection, ws: &str) -> AppResult<Option<Row>> {
    Ok(tiktok_credentials::table
        .find(ws)
        .select((
            tiktok_credentials::sign_api_key,
            tiktok_credentials::session_id,
            tiktok_credentials::updated_at,
        ))
        .first(conn)
        .optional()?)
}

fn view(row: Option<Row>) -> CredentialsView {
    match row {
        Some((key, session, at)) => CredentialsView {
            sign_api_key_set: key.is_some(),
            session_id_set: session.is_some(),
            updated_at: Some(at),
        },
        None => CredentialsView {
            sign_api_key_set: false,
            session_id_set: false,
            updated_at: None,
        },
    }
}

/// A value as given: trimmed, at most 4 KiB, printable.
fn checked(field: &str, value: &str) -> AppResult<String> {
    let value = value.trim();
    if value.is_empty() || value.len() > 4096 || value.chars().any(char::is_control) {
        return Err(AppError::invalid(
            field,
            "1 to 4096 printable characters, or null to clear",
        ));
    }
    Ok(value.to_owned())
}

/// Whether the workspace has its own TikTok credentials (the values are never shown).
#[utoipa::path(tag = "livestreams", responses((status = 200, body = CredentialsView)), security(("bearer" = []), ("api_key" = [])))]
#[get("/workspaces/{ws}/tiktok-credentials")]
pub async fn get_credentials(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> AppResult<web::Json<CredentialsView>> {
    let access = authorize(&state, &caller, &path, Action::ManageSettings).await?;
    let ws = access.workspace.id;
    let row = state.db.run(move |conn| read(conn, &ws)).await?;
    Ok(web::Json(view(row)))
}

/// Sets or clears the workspace's own sign-server API key and TikTok session (owner only).
/// They apply from each livestream's next connection.
#[utoipa::path(tag = "livestreams", request_body = SetCredentials, responses((status = 200, body = CredentialsView)), security(("bearer" = []), ("api_key" = [])))]
#[put("/workspaces/{ws}/tiktok-credentials")]
pub async fn set_credentials(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<SetCredentials>,
) -> AppResult<web::Json<CredentialsView>> {
    let scope = WorkspaceScope::enter(&state, &caller, &path, Action::ManageSettings).await?;
    let ws = scope.workspace_id().to_owned();
    let seal = |field: &str, given: Option<Option<String>>| -> AppResult<Option<Option<String>>> {
        given
            .map(|value| {
                value
                    .map(|v| {
                        state
                            .sealer
                            .seal(&context(&ws, field), &checked(field, &v)?)
                    })
                    .transpose()
            })
            .transpose()
    };
    let key = seal("sign_api_key", body.0.sign_api_key)?;
    let session = seal("session_id", body.0.session_id)?;
    let row = scope
        .act("workspace.tiktok_credentials_set", move |conn, _| {
            let (old_key, old_session, _) = read(conn, &ws)?.unwrap_or((None, None, 0));
            let changed: Vec<&str> = [
                ("sign_api_key", key.is_some()),
                ("session_id", session.is_some()),
            ]
            .into_iter()
            .filter(|(_, given)| *given)
            .map(|(name, _)| name)
            .collect();
            let key = key.unwrap_or(old_key);
            let session = session.unwrap_or(old_session);
            let now = now_ms();
            diesel::delete(tiktok_credentials::table.find(&ws)).execute(conn)?;
            if key.is_some() || session.is_some() {
                diesel::insert_into(tiktok_credentials::table)
                    .values((
                        tiktok_credentials::workspace_id.eq(&ws),
                        tiktok_credentials::sign_api_key.eq(&key),
                        tiktok_credentials::session_id.eq(&session),
                        tiktok_credentials::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            let note = Note::on(&ws).details(serde_json::json!({"changed": changed}));
            Ok((read(conn, &ws)?, note))
        })
        .await?;
    Ok(web::Json(view(row)))
}

/// Forgets the workspace's own TikTok credentials (owner only): the server's apply again.
#[utoipa::path(tag = "livestreams", responses((status = 204)), security(("bearer" = []), ("api_key" = [])))]
#[delete("/workspaces/{ws}/tiktok-credentials")]
pub async fn delete_credentials(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let scope = WorkspaceScope::enter(&state, &caller, &path, Action::ManageSettings).await?;
    scope
        .act("workspace.tiktok_credentials_deleted", move |conn, ws| {
            diesel::delete(tiktok_credentials::table.find(ws)).execute(conn)?;
            Ok(((), Note::on(ws)))
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_in_its_place_and_installation() {
        let sealer = Sealer::derive(b"secret one").unwrap();
        let sealed = sealer.seal("ws_1/session_id", "sess").unwrap();
        assert!(!sealed.contains("sess"));
        assert_eq!(
            sealer.open("ws_1/session_id", &sealed).as_deref(),
            Some("sess")
        );
        assert_eq!(sealer.open("ws_2/session_id", &sealed), None);
        assert_eq!(sealer.open("ws_1/sign_api_key", &sealed), None);
        let other = Sealer::derive(b"secret two").unwrap();
        assert_eq!(other.open("ws_1/session_id", &sealed), None);
        assert_eq!(sealer.open("ws_1/session_id", "not base64 at all"), None);
    }
}
