//! Cross-site request forgery, refused twice over on every unsafe dashboard request:
//! 1. the browser's own word on where the request comes from (`Sec-Fetch-Site`, else
//!    `Origin`) must be this site (a sibling subdomain, `same-site`, is refused too);
//! 2. a synchronizer token, HMAC-SHA256 of the sign-in's id under a key derived from the
//!    server secret, rides in a hidden `_csrf` field or the `X-CSRF-Token` header. It is stable
//!    across silent renewals and changes with every sign-in.

use actix_web::HttpRequest;
use hmac::{Hmac, Mac as _};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::error::AppError;

pub struct CsrfKey([u8; 32]);

impl CsrfKey {
    /// A key of its own, so that a CSRF token never doubles as anything signed with the secret.
    pub fn derive(secret: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"livectl dashboard csrf v1\0");
        hasher.update(secret);
        Self(hasher.finalize().into())
    }

    pub fn token(&self, sign_in: &str) -> String {
        // HMAC takes a key of any length: this cannot fail.
        match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mut mac) => {
                mac.update(sign_in.as_bytes());
                hex::encode(mac.finalize().into_bytes())
            }
            Err(_) => String::new(),
        }
    }

    pub fn verify(&self, sign_in: &str, presented: &str) -> bool {
        let expected = self.token(sign_in);
        !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
    }
}

/// Refuses a request that a browser says comes from another site.
pub fn check_same_origin(req: &HttpRequest, public_url: &str) -> Result<(), AppError> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return match site {
            "same-origin" | "none" => Ok(()),
            _ => Err(AppError::forbidden(
                "this request came from another site and was refused",
            )),
        };
    }
    match header("origin") {
        Some(origin) if origin_is_ours(origin, req, public_url) => Ok(()),
        Some(_) => Err(AppError::forbidden(
            "this request came from another site and was refused",
        )),
        // Not a browser (browsers send one of the two on every unsafe request): the token decides.
        None => Ok(()),
    }
}

/// `origin` is this server: the host the browser addressed, or `server.public_url`.
pub fn origin_is_ours(origin: &str, req: &HttpRequest, public_url: &str) -> bool {
    if origin == "null" {
        return false;
    }
    let public = public_url.trim_end_matches('/');
    if origin.eq_ignore_ascii_case(public) {
        return true;
    }
    let host = req
        .headers()
        .get(actix_web::http::header::HOST)
        .and_then(|v| v.to_str().ok());
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((host, origin_host), (Some(h), Some(o)) if h.eq_ignore_ascii_case(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_belong_to_one_sign_in() {
        let key = CsrfKey::derive(b"a secret long enough for the test suite");
        let token = key.token("fam_1");
        assert!(key.verify("fam_1", &token));
        assert!(!key.verify("fam_2", &token));
        assert!(!key.verify("fam_1", ""));
        assert!(!CsrfKey::derive(b"another secret").verify("fam_1", &token));
    }

    #[test]
    fn foreign_origins_are_refused() {
        let req = actix_web::test::TestRequest::default()
            .insert_header(("host", "127.0.0.1:8080"))
            .insert_header(("origin", "http://evil.example"))
            .to_http_request();
        assert!(check_same_origin(&req, "http://localhost:8080").is_err());
        let req = actix_web::test::TestRequest::default()
            .insert_header(("host", "127.0.0.1:8080"))
            .insert_header(("origin", "http://127.0.0.1:8080"))
            .to_http_request();
        assert!(check_same_origin(&req, "http://localhost:8080").is_ok());
        let req = actix_web::test::TestRequest::default()
            .insert_header(("sec-fetch-site", "same-site"))
            .to_http_request();
        assert!(check_same_origin(&req, "http://localhost:8080").is_err());
        let req = actix_web::test::TestRequest::default()
            .insert_header(("origin", "null"))
            .to_http_request();
        assert!(check_same_origin(&req, "http://localhost:8080").is_err());
    }
}
