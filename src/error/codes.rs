//! Every error code of the contract, declared once (`api.md` § Errors): its HTTP status, the
//! message of an answer known only by its status, and what it means. The HTTP layer takes the
//! status from here and the OpenAPI document lists the codes from here.

use actix_web::http::StatusCode;

macro_rules! error_codes {
    ($(
        $(#[$primary:ident])?
        $variant:ident = $code:literal, $status:ident, $plain:literal, $meaning:literal;
    )*) => {
        /// A machine-readable error code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ErrorCode {
            $($variant,)*
        }

        impl ErrorCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            fn entry(self) -> Entry {
                match self {
                    $(ErrorCode::$variant => Entry {
                        code: $code,
                        status: StatusCode::$status,
                        plain: $plain,
                        meaning: $meaning,
                        primary: error_codes!(@primary $($primary)?),
                    },)*
                }
            }
        }
    };
    (@primary primary) => { true };
    (@primary) => { false };
}

error_codes! {
    #[primary]
    BadRequest = "BAD_REQUEST", BAD_REQUEST, "bad request",
        "malformed JSON, a wrong content type or an unreadable query";
    #[primary]
    Unauthenticated = "UNAUTHENTICATED", UNAUTHORIZED, "authentication required",
        "missing, malformed, expired or revoked credentials";
    InvalidCredentials = "INVALID_CREDENTIALS", UNAUTHORIZED, "wrong email or password",
        "sign-in with a wrong email or password";
    TokenReused = "TOKEN_REUSED", UNAUTHORIZED, "this refresh token was already used",
        "a refresh token used twice: every session of that sign-in was revoked";
    InvalidApiKey = "INVALID_API_KEY", UNAUTHORIZED, "unknown or revoked API key",
        "an unknown or revoked API key";
    #[primary]
    PlanLimitReached = "PLAN_LIMIT_REACHED", PAYMENT_REQUIRED, "the plan's limit is reached",
        "the workspace's plan allows no more (details: resource, limit, current, plan)";
    #[primary]
    Forbidden = "FORBIDDEN", FORBIDDEN, "forbidden",
        "the role or the key's scopes lack the permission";
    WorkspaceSuspended = "WORKSPACE_SUSPENDED", FORBIDDEN, "this workspace is suspended",
        "the workspace is suspended by the platform's administrator";
    NotInvited = "NOT_INVITED", FORBIDDEN,
        "registration is by invitation only and this email is not invited",
        "registration is by invitation and this email has none";
    #[primary]
    NotFound = "NOT_FOUND", NOT_FOUND, "no such route",
        "no such resource, or it belongs to a workspace the caller is not a member of";
    #[primary]
    MethodNotAllowed = "METHOD_NOT_ALLOWED", METHOD_NOT_ALLOWED, "method not allowed",
        "the path exists but not with this method";
    #[primary]
    Conflict = "CONFLICT", CONFLICT, "conflict",
        "a name or value already taken, or a state that does not allow the change";
    #[primary]
    PayloadTooLarge = "PAYLOAD_TOO_LARGE", PAYLOAD_TOO_LARGE, "the request body is too large",
        "a body over server.max_body_bytes";
    #[primary]
    ValidationFailed = "VALIDATION_FAILED", UNPROCESSABLE_ENTITY, "invalid",
        "well-formed but invalid: details.fields says which field and why";
    #[primary]
    KillSwitchEngaged = "KILL_SWITCH_ENGAGED", LOCKED, "the kill switch is engaged",
        "a command or test refused while the workspace's kill switch is engaged";
    #[primary]
    RateLimited = "RATE_LIMITED", TOO_MANY_REQUESTS, "too many requests",
        "too many requests: retry after details.retry_after_s (also the Retry-After header)";
    #[primary]
    Internal = "INTERNAL", INTERNAL_SERVER_ERROR, "internal error",
        "an internal error: the body never says more, the server log has the cause";
    #[primary]
    Unavailable = "UNAVAILABLE", SERVICE_UNAVAILABLE, "service unavailable",
        "a dependency (database, Redis, a device) is unavailable for now";
}

/// One row of the table.
struct Entry {
    code: &'static str,
    status: StatusCode,
    plain: &'static str,
    meaning: &'static str,
    /// The code a bare status stands for (one per status).
    primary: bool,
}

impl ErrorCode {
    /// The code as it appears in the body's `error`.
    pub fn as_str(self) -> &'static str {
        self.entry().code
    }

    pub fn status(self) -> StatusCode {
        self.entry().status
    }

    /// The message of an answer that has nothing more specific to say.
    pub fn plain_message(self) -> &'static str {
        self.entry().plain
    }

    /// When the code is answered, for the API's reader.
    pub fn meaning(self) -> &'static str {
        self.entry().meaning
    }

    fn is_primary(self) -> bool {
        self.entry().primary
    }

    /// The code a bare status stands for, if the contract has one.
    pub fn for_status(status: StatusCode) -> Option<ErrorCode> {
        Self::ALL
            .iter()
            .copied()
            .find(|code| code.is_primary() && code.status() == status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_each_status_has_one_primary_code() {
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            let primaries = ErrorCode::ALL
                .iter()
                .filter(|c| c.is_primary() && c.status() == code.status())
                .count();
            assert_eq!(
                primaries,
                1,
                "status {} of {}",
                code.status(),
                code.as_str()
            );
        }
    }

    #[test]
    fn a_bare_status_maps_to_its_code() {
        assert_eq!(
            ErrorCode::for_status(StatusCode::UNAUTHORIZED),
            Some(ErrorCode::Unauthenticated)
        );
        assert_eq!(
            ErrorCode::for_status(StatusCode::LOCKED),
            Some(ErrorCode::KillSwitchEngaged)
        );
        assert_eq!(ErrorCode::for_status(StatusCode::IM_A_TEAPOT), None);
    }
}
