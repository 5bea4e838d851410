//! The gift catalogue: every gift TikTok has sent to a livestream of this installation, with
//! its name, price in diamonds and picture, for the presets' gift pickers and the API. It
//! fills from TikTok's own messages only (never from injected test events: one workspace must
//! not be able to put names in every other's picker). TikTok's `gift/list` endpoint would give
//! the whole catalogue at once, but it needs a paid signing plan since 2026-06
//! (`webcast-2026.md`).

use std::collections::HashMap;

use diesel::prelude::*;
use parking_lot::Mutex;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::gifts;
use crate::db::{Db, DbConnection};
use crate::error::AppResult;
use crate::live::decode::GiftStep;

/// One gift as the catalogue keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = gifts)]
pub struct GiftInfo {
    pub gift_id: i64,
    pub name: String,
    /// The price of one, in diamonds.
    pub diamond_count: i64,
    /// Its picture on TikTok's CDN.
    pub image_url: Option<String>,
}

impl GiftInfo {
    pub fn of(step: &GiftStep) -> GiftInfo {
        GiftInfo {
            gift_id: step.gift_id,
            name: step.gift_name.clone(),
            diamond_count: step.diamond_count,
            image_url: step.image_url.clone(),
        }
    }
}

/// Gifts known to this node; a gift is written when it is new or changed.
pub struct GiftCatalogue {
    db: Db,
    known: Mutex<HashMap<i64, GiftInfo>>,
}

/// Gifts the catalogue keeps at most (TikTok has a few hundred).
const MAX_GIFTS: usize = 5_000;

impl GiftCatalogue {
    pub fn new(db: Db) -> GiftCatalogue {
        GiftCatalogue {
            db,
            known: Mutex::default(),
        }
    }

    /// Keeps `gift` (in the background) unless it is already known as it is.
    pub fn note(&self, gift: GiftInfo) {
        if gift.gift_id <= 0 || gift.name.trim().is_empty() || gift.name.len() > 100 {
            return;
        }
        {
            let mut known = self.known.lock();
            if known.get(&gift.gift_id) == Some(&gift) || known.len() >= MAX_GIFTS {
                return;
            }
            known.insert(gift.gift_id, gift.clone());
        }
        let db = self.db.clone();
        tokio::spawn(async move {
            if let Err(err) = db.run(move |conn| save(conn, &gift)).await {
                tracing::warn!(error = ?err, "could not keep a gift in the catalogue");
            }
        });
    }
}

fn save(conn: &mut DbConnection, gift: &GiftInfo) -> AppResult<()> {
    let now = crate::ids::now_ms();
    let updated = diesel::update(gifts::table.find(gift.gift_id))
        .set((
            gifts::name.eq(&gift.name),
            gifts::diamond_count.eq(gift.diamond_count),
            gifts::image_url.eq(&gift.image_url),
            gifts::seen_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(gifts::table)
            .values((
                gifts::gift_id.eq(gift.gift_id),
                gifts::name.eq(&gift.name),
                gifts::diamond_count.eq(gift.diamond_count),
                gifts::image_url.eq(&gift.image_url),
                gifts::seen_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The catalogue, cheapest first.
pub fn list(conn: &mut DbConnection) -> AppResult<Vec<GiftInfo>> {
    Ok(gifts::table
        .order((gifts::diamond_count.asc(), gifts::name.asc()))
        .select(GiftInfo::as_select())
        .limit(i64::try_from(MAX_GIFTS).unwrap_or(5_000))
        .load(conn)?)
}
