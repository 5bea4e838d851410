//! Storage: one pool over SQLite (bundled, the default) or PostgreSQL, chosen by the URL.
//!
//! Diesel is synchronous, so every query runs through [`Db::run`], which moves the work onto
//! actix's blocking thread pool. Migrations are embedded, one tree both backends accept, and run
//! before the pool is handed out.

pub mod schema;
pub mod types;

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, CustomizeConnection, ManageConnection, R2D2Connection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::AppResult;

/// One tree for both backends: every migration is SQL that SQLite and PostgreSQL both accept
/// (booleans default to `TRUE`/`FALSE`, which SQLite reads as 1/0).
const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// A connection to either backend. Code written against it runs on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Which backend a URL names. Unknown schemes are refused so that a typo never creates an
/// empty SQLite file somewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> anyhow::Result<Backend> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else if url.starts_with("sqlite://") || url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else {
            Err(anyhow::anyhow!(
                "database.url must start with sqlite:// or postgres:// (got {:?})",
                url.split(':').next().unwrap_or_default()
            ))
        }
    }
}

/// The file path inside a `sqlite://` URL.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// Opens connections of the backend the URL names (diesel's generic manager would try the
/// variants in order and accept any string as a SQLite path).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
}

impl ConnectionManager {
    pub fn new(url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            url: url.to_owned(),
            backend: Backend::of_url(url)?,
        })
    }

    pub fn establish(&self) -> ConnectionResult<DbConnection> {
        match self.backend {
            Backend::Postgres => {
                diesel::PgConnection::establish(&self.url).map(DbConnection::Postgresql)
            }
            Backend::Sqlite => diesel::SqliteConnection::establish(sqlite_path(&self.url))
                .map(DbConnection::Sqlite),
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.establish().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

/// Per-connection settings: SQLite needs WAL, a busy timeout and foreign keys switched on for
/// every physical connection.
#[derive(Debug)]
struct ConnectionSetup;

impl CustomizeConnection<DbConnection, r2d2::Error> for ConnectionSetup {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        if let DbConnection::Sqlite(c) = conn {
            // The busy timeout first: the pool opens several connections at once, and the
            // journal-mode pragma of one may meet another's lock ("database is locked").
            c.batch_execute(
                "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                 PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
            )
            .map_err(r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;

/// The handle the rest of the server uses.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    /// The database file's path, for SQLite.
    url_path: std::path::PathBuf,
}

impl Db {
    /// Creates the SQLite file's folder if needed, runs pending migrations, builds the pool.
    pub fn connect(url: &str, pool_size: u32) -> anyhow::Result<Db> {
        run_migrations(url)?;
        let manager = ConnectionManager::new(url)?;
        let size = match manager.backend {
            // SQLite has a single writer; a few readers are all it can use.
            Backend::Sqlite => pool_size.clamp(1, 8),
            Backend::Postgres => pool_size.max(2),
        };
        let backend = manager.backend;
        let pool = r2d2::Pool::builder()
            .max_size(size)
            .connection_timeout(Duration::from_secs(10))
            .connection_customizer(Box::new(ConnectionSetup))
            .build(manager)
            .context("opening the database pool")?;
        Ok(Db {
            pool,
            backend,
            url_path: Path::new(sqlite_path(url)).to_path_buf(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The SQLite database file, when that is the backend.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        (self.backend == Backend::Sqlite).then(|| self.url_path.clone())
    }

    /// Runs `work` with a pooled connection on the blocking thread pool.
    pub async fn run<T, F>(&self, work: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        // Messages made while working (a refused value's reason) speak the request's language.
        let lang = crate::i18n::current();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            crate::i18n::within(lang, || work(&mut conn))
        })
        .await?
    }

    /// Like [`Db::run`], inside one transaction: all of it is written or none of it.
    pub async fn transaction<T, F>(&self, work: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
    {
        self.run(move |conn| write_transaction(conn, work)).await
    }

    /// A blocking connection, for code that already runs off the async workers (CLI commands).
    pub fn get_blocking(&self) -> AppResult<r2d2::PooledConnection<ConnectionManager>> {
        Ok(self.pool.get()?)
    }

    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }
}

/// A write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`) so that
/// a transaction that reads then writes waits out `busy_timeout` instead of failing.
///
/// Diesel's transaction manager does the begin, commit and rollback, so it always knows a
/// transaction is open: a connection whose COMMIT failed, or whose work panicked, counts as
/// broken and never goes back into the pool mid-transaction.
pub fn write_transaction<T, F>(conn: &mut DbConnection, work: F) -> AppResult<T>
where
    F: FnOnce(&mut DbConnection) -> AppResult<T>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager as _};
    let DbConnection::Sqlite(sqlite) = conn else {
        return conn.transaction(|c| work(c));
    };
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    // The closure runs against the enum, not the inner connection, so that callers write one
    // version of their queries.
    let result = work(conn);
    let DbConnection::Sqlite(sqlite) = conn else {
        return result;
    };
    match result {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(sqlite)?;
            Ok(value)
        }
        Err(err) => {
            if let Err(rollback) = AnsiTransactionManager::rollback_transaction(sqlite) {
                tracing::error!(error = %rollback, "rolling back a SQLite transaction failed");
            }
            Err(err)
        }
    }
}

/// Runs the migrations and reports how many were applied (for `livectl migrate`).
pub fn run_migrations(url: &str) -> anyhow::Result<usize> {
    let manager = ConnectionManager::new(url)?;
    if manager.backend == Backend::Sqlite
        && let Some(dir) = Path::new(sqlite_path(url)).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating database folder {}", dir.display()))?;
    }
    let conn = manager
        .establish()
        .with_context(|| format!("connecting to the {:?} database", manager.backend))?;
    let applied = match conn {
        DbConnection::Sqlite(mut c) => {
            // WAL is stored in the file: set it once, before the first schema change.
            c.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;")?;
            c.run_pending_migrations(MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("SQLite migrations failed: {e}"))?
                .len()
        }
        DbConnection::Postgresql(mut c) => c
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .len(),
    };
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;

    #[test]
    fn a_failed_or_panicking_transaction_leaves_nothing_open() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        run_migrations(&url).unwrap();
        let db = Db::connect(&url, 1).unwrap();
        let mut conn = db.get_blocking().unwrap();
        conn.batch_execute("CREATE TABLE t (x INTEGER)").unwrap();
        let failed: AppResult<()> = write_transaction(&mut conn, |c| {
            c.batch_execute("INSERT INTO t VALUES (1)")?;
            Err(AppError::Conflict("no".into()))
        });
        assert!(failed.is_err());
        write_transaction(&mut conn, |c| {
            Ok(c.batch_execute("INSERT INTO t VALUES (2)")?)
        })
        .unwrap();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = write_transaction(&mut conn, |_| -> AppResult<()> { panic!("work panicked") });
        }));
        assert!(panicked.is_err());
        assert!(
            R2D2Connection::is_broken(&mut *conn),
            "a connection left inside a transaction must not go back to the pool"
        );
        drop(conn);
        // The pool hands out a healthy connection that sees exactly the committed row.
        let mut conn = db.get_blocking().unwrap();
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let count: Count = diesel::sql_query("SELECT COUNT(*) AS n FROM t")
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(count.n, 1);
    }
}
