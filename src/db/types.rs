//! Domain types stored as text, read back as themselves on both backends.
//!
//! An enum column ([`text_enum!`]) or a JSON column ([`Json`]) that holds a value this build
//! cannot read is an error (the query fails, the log names the column's value), never a silent
//! default: a role, a plan or a device's allow-list read wrong would be a hole, not a glitch.

use std::fmt;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::db::MultiBackend;
use crate::error::{AppError, AppResult};

/// An enum stored as text and spoken as the same text on the wire:
/// `text_enum! { pub enum Role { Owner => "owner", … } }` defines it (with serde, OpenAPI and
/// column mappings whose names are those texts) and gives `ALL`, `as_str`, `parse` (no
/// fallback) and `Display`.
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $ty:ident {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            serde::Serialize,
            serde::Deserialize,
            diesel::AsExpression,
            diesel::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $ty {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The stored and wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text,)+
                }
            }

            /// The value of a stored or wire name; `None` for anything else.
            pub fn parse(text: &str) -> Option<$ty> {
                match text {
                    $($text => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }

        // By hand, not derived: the derive does not read a variant's name from a macro's
        // literal, and the document must list the stored texts.
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $ty {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($ty))
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, $crate::db::MultiBackend>
            for $ty
        {
            fn from_sql(
                bytes: <$crate::db::MultiBackend as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    $crate::db::MultiBackend,
                >>::from_sql(bytes)?;
                $ty::parse(&text).ok_or_else(|| {
                    $crate::db::types::unreadable(stringify!($ty), &text)
                })
            }
        }

        $crate::text_enum!(@to_sql $ty, $crate::db::MultiBackend);
        $crate::text_enum!(@to_sql $ty, diesel::sqlite::Sqlite);
        $crate::text_enum!(@to_sql $ty, diesel::pg::Pg);
    };
    // Inserts of whole rows bind through each backend's own type as well.
    (@to_sql $ty:ident, $backend:ty) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, $backend> for $ty {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, $backend>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, $backend>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }
    };
}

/// A command's status, a wire enum of `protocol` (which stays free of the database), read from
/// its text column through its own `parse`, with no fallback.
impl FromSql<Text, MultiBackend> for crate::protocol::CommandStatus {
    fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, MultiBackend>>::from_sql(bytes)?;
        Self::parse(&text).ok_or_else(|| unreadable("command status", &text))
    }
}

impl diesel::Queryable<Text, MultiBackend> for crate::protocol::CommandStatus {
    type Row = Self;

    fn build(row: Self) -> deserialize::Result<Self> {
        Ok(row)
    }
}

/// The error of a stored value this build cannot read (logged with the query's failure).
pub fn unreadable(what: &str, text: &str) -> Box<dyn std::error::Error + Send + Sync> {
    let shown: String = text.chars().take(80).collect();
    format!("unreadable stored {what}: {shown:?}").into()
}

/// A value stored as JSON text. It keeps the text it was read from or written as, so that
/// binding it to a query borrows (the two-backend connection binds by reference).
#[derive(Clone, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct Json<T> {
    value: T,
    text: String,
}

impl<T: Serialize> Json<T> {
    pub fn new(value: T) -> AppResult<Self> {
        let text = serde_json::to_string(&value).map_err(AppError::internal)?;
        Ok(Self { value, text })
    }
}

impl Json<serde_json::Value> {
    /// `{}`.
    pub fn empty_object() -> Self {
        Self {
            value: serde_json::Value::Object(Default::default()),
            text: "{}".to_owned(),
        }
    }
}

impl<T> Json<T> {
    pub fn get(&self) -> &T {
        &self.value
    }

    pub fn into_inner(self) -> T {
        self.value
    }

    /// The stored text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Json<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: PartialEq> PartialEq for Json<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: DeserializeOwned> FromSql<Text, MultiBackend> for Json<T> {
    fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, MultiBackend>>::from_sql(bytes)?;
        let value = serde_json::from_str(&text).map_err(|e| {
            unreadable(
                &format!("JSON ({e}) for {}", std::any::type_name::<T>()),
                &text,
            )
        })?;
        Ok(Self { value, text })
    }
}

macro_rules! json_to_sql {
    ($($backend:ty),+) => {$(
        impl<T: fmt::Debug> ToSql<Text, $backend> for Json<T> {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, $backend>) -> serialize::Result {
                <str as ToSql<Text, $backend>>::to_sql(self.text.as_str(), out)
            }
        }
    )+};
}

// Inserts of whole rows bind through each backend's own type as well.
json_to_sql!(MultiBackend, diesel::sqlite::Sqlite, diesel::pg::Pg);

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::*;

    crate::text_enum! {
        enum Colour { Red => "red", Green => "green" }
    }

    diesel::table! {
        things (id) {
            id -> Integer,
            colour -> Text,
            tags -> Text,
        }
    }

    fn connection() -> (crate::db::DbConnection, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("types.db");
        let mut conn = crate::db::DbConnection::Sqlite(
            diesel::SqliteConnection::establish(&path.display().to_string()).unwrap(),
        );
        diesel::sql_query("CREATE TABLE things (id INTEGER PRIMARY KEY, colour TEXT, tags TEXT)")
            .execute(&mut conn)
            .unwrap();
        (conn, dir)
    }

    #[test]
    fn enums_and_json_round_trip_as_text() {
        let (mut conn, _dir) = connection();
        let tags = Json::new(vec!["a".to_owned(), "b".to_owned()]).unwrap();
        diesel::insert_into(things::table)
            .values((
                things::id.eq(1),
                things::colour.eq(Colour::Green),
                things::tags.eq(&tags),
            ))
            .execute(&mut conn)
            .unwrap();
        let raw: (String, String) = things::table
            .select((things::colour, things::tags))
            .first(&mut conn)
            .unwrap();
        assert_eq!(raw, ("green".to_owned(), r#"["a","b"]"#.to_owned()));
        let (colour, back): (Colour, Json<Vec<String>>) = things::table
            .select((things::colour, things::tags))
            .first(&mut conn)
            .unwrap();
        assert_eq!(colour, Colour::Green);
        assert_eq!(back, tags);
        assert_eq!(Colour::parse("red"), Some(Colour::Red));
        for colour in Colour::ALL {
            let json = serde_json::to_value(colour).unwrap();
            assert_eq!(json, colour.as_str(), "serde speaks the stored text");
        }
        let schema = serde_json::to_value(<Colour as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(schema["enum"], serde_json::json!(["red", "green"]));
        assert_eq!(Colour::ALL.len(), 2);
    }

    #[test]
    fn an_unreadable_stored_value_is_an_error_not_a_default() {
        let (mut conn, _dir) = connection();
        diesel::sql_query("INSERT INTO things VALUES (1, 'purple', 'not json')")
            .execute(&mut conn)
            .unwrap();
        let colour = things::table
            .select(things::colour)
            .first::<Colour>(&mut conn)
            .unwrap_err();
        let colour = format!("{colour:?}");
        assert!(
            colour.contains("unreadable stored Colour") && colour.contains("purple"),
            "{colour}"
        );
        let tags = things::table
            .select(things::tags)
            .first::<Json<Vec<String>>>(&mut conn)
            .unwrap_err();
        let tags = format!("{tags:?}");
        assert!(tags.contains("unreadable stored JSON"), "{tags}");
    }
}
