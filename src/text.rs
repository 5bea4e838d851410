//! Text a person typed, parsed once into a type that can only hold a valid value: a [`Name`]
//! (of a user, workspace, device, rule, livestream or key) and an [`Email`]. Handlers and models
//! take these types, so nothing downstream checks or trims again.

use std::fmt;
use std::ops::Deref;

use crate::error::{AppError, AppResult};

/// A display name: trimmed, 1 to 100 characters, no control or invisible characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    /// `field` names the input in the 422 answer.
    pub fn parse(field: &str, raw: &str) -> AppResult<Name> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::invalid(field, "must be 1 to 100 characters"));
        }
        if name.chars().any(char::is_control) {
            return Err(AppError::invalid(
                field,
                "must not contain control characters",
            ));
        }
        if name.chars().any(is_invisible_format) {
            return Err(AppError::invalid(
                field,
                "must not contain invisible or text-direction characters",
            ));
        }
        Ok(Name(name.to_owned()))
    }
}

/// An email address, trimmed and lower-cased (emails are compared that way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> AppResult<Email> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || is_invisible_format(c))
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if !valid {
            return Err(AppError::invalid("email", "must be an email address"));
        }
        Ok(Email(email))
    }
}

macro_rules! text_type {
    ($ty:ident) => {
        impl Deref for $ty {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.0
            }
        }
    };
}

text_type!(Name);
text_type!(Email);

/// Characters that change how text around them reads without being seen: bidi overrides and
/// isolates (a name that displays as another), zero-width characters, the BOM.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}'   // zero-width space, joiners, LRM/RLM
        | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}' // bidi isolates
        | '\u{FEFF}'                // BOM / zero-width no-break space
        | '\u{061C}'                // Arabic letter mark
        | '\u{00AD}'                // soft hyphen
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_refuse_what_hides_text() {
        assert_eq!(&*Name::parse("name", "  Studio A ").unwrap(), "Studio A");
        assert!(Name::parse("name", "   ").is_err());
        assert!(Name::parse("name", &"x".repeat(101)).is_err());
        assert!(Name::parse("name", "a\u{202E}b").is_err());
        assert!(Name::parse("name", "a\nb").is_err());
        assert_eq!(
            Name::parse("name", &"é".repeat(100))
                .unwrap()
                .chars()
                .count(),
            100
        );
    }

    #[test]
    fn emails_are_lower_cased_and_need_a_domain() {
        assert_eq!(
            &*Email::parse(" Root@Example.COM ").unwrap(),
            "root@example.com"
        );
        for bad in [
            "root",
            "@example.com",
            "root@example",
            "root@.example.com",
            "a b@c.d",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
