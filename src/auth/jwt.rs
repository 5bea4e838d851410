//! HS256 access tokens: `sub`, `jti`, `iat`, `exp`, `typ = "access"`, `iss` and `aud` both
//! `livectl`, and `sid` (the sign-in). A token is refused unless it names this issuer and
//! audience, was not issued in the future, and lives no longer than the configured lifetime.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::ids::new_id;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub typ: String,
    pub iss: String,
    pub aud: String,
    /// The refresh-token family (the sign-in) this token was issued for. Browser sessions
    /// derive their CSRF token from it, and signing out revokes that family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// `iss` and `aud` of every access token.
const ISSUER: &str = "livectl";
/// Seconds of clock difference tolerated.
const LEEWAY_S: i64 = 5;

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_s: i64,
}

pub struct IssuedToken {
    pub token: String,
    pub jti: String,
    pub expires_in: i64,
    /// Unix seconds.
    pub expires_at: i64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl_s: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // The default leeway (60 s) would stretch a 15-minute token; keep a small one for clocks.
        validation.leeway = LEEWAY_S.unsigned_abs();
        validation.validate_nbf = true;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_s: i64::try_from(ttl_s).unwrap_or(900),
        }
    }

    pub fn issue(&self, user_id: &str, sid: Option<&str>) -> AppResult<IssuedToken> {
        let iat = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_owned(),
            jti: new_id("jti"),
            iat,
            exp: iat + self.ttl_s,
            typ: "access".to_owned(),
            iss: ISSUER.to_owned(),
            aud: ISSUER.to_owned(),
            sid: sid.map(str::to_owned),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)?;
        Ok(IssuedToken {
            token,
            jti: claims.jti,
            expires_in: self.ttl_s,
            expires_at: claims.exp,
        })
    }

    /// Verifies signature, algorithm (a token claiming `alg: none` or another algorithm fails
    /// here), expiry and type.
    pub fn verify(&self, token: &str) -> AppResult<Claims> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    AppError::Unauthenticated("access token expired".into())
                }
                _ => AppError::Unauthenticated("invalid access token".into()),
            })?;
        let claims = data.claims;
        if claims.typ != "access" {
            return Err(AppError::Unauthenticated("not an access token".into()));
        }
        let now = chrono::Utc::now().timestamp();
        if claims.iat > now + LEEWAY_S || claims.exp - claims.iat > self.ttl_s + LEEWAY_S {
            return Err(AppError::Unauthenticated(
                "access token outside its allowed lifetime".into(),
            ));
        }
        Ok(claims)
    }
}
