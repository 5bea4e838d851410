//! Why a rule did or did not fire, as a catalogue message and its values: the API's traces and
//! tests carry its English text (`reason`) and the message itself (`why`), so that pages and
//! the live "why?" panel show it in their own language.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::i18n::{Arg, Lang};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reason {
    /// The message's id in the dashboard's catalogues (`reason-cooldown`).
    pub id: String,
    /// Its values, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
}

impl Reason {
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            args: BTreeMap::new(),
        }
    }

    pub fn with(mut self, name: &str, value: impl fmt::Display) -> Self {
        self.args.insert(name.to_owned(), value.to_string());
        self
    }

    /// The reason in `lang` (numbers stay numbers, for plural forms).
    pub fn words(&self, lang: Lang) -> String {
        let args: Vec<(&str, Arg)> = self
            .args
            .iter()
            .map(|(name, value)| {
                let arg = value
                    .parse::<i64>()
                    .map_or_else(|_| Arg::from(value.as_str()), Arg::from);
                (name.as_str(), arg)
            })
            .collect();
        lang.t_with(&self.id, &args).into_owned()
    }

    /// The reason in the API's language.
    pub fn english(&self) -> String {
        self.words(Lang::En)
    }

    pub fn contains(&self, part: &str) -> bool {
        self.english().contains(part)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.english())
    }
}

impl PartialEq<&str> for Reason {
    fn eq(&self, other: &&str) -> bool {
        self.english() == *other
    }
}
