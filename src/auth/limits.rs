//! Every limit on accounts, in one place: sign-ins per client address, lock-outs per (account,
//! address), registrations per address, members added per account, test events per workspace. Each node counts in memory;
//! with Redis ([`SharedLimits`]) the nodes also count together, so a guesser spread over them
//! meets the same limits as on one node.

use std::time::Instant;

use crate::auth::rate_limit::{LoginLockout, RateLimiter};
use crate::auth::shared_limits::SharedLimits;
use crate::config::AuthSettings;

/// Test events one workspace may inject per minute (each goes through every rule of the
/// workspace on the engine all workspaces share).
pub const INJECTED_EVENTS_PER_MINUTE: u32 = 1200;
/// Pairing codes one account may try per minute (a code has 30^8 values: guessing one
/// within its 10 minutes at this pace is hopeless).
pub const PAIRING_CODES_PER_MINUTE: u32 = 20;

pub struct AccountLimits {
    login_by_address: RateLimiter,
    login_lockout: LoginLockout,
    register_by_address: RateLimiter,
    member_adds_by_user: RateLimiter,
    injected_by_workspace: RateLimiter,
    pairings_by_address: RateLimiter,
    pairing_codes_by_user: RateLimiter,
    pairings_per_address: u32,
    settings: AuthSettings,
    shared: Option<SharedLimits>,
}

impl AccountLimits {
    pub fn new(
        settings: &AuthSettings,
        pairings_per_address: u32,
        shared: Option<SharedLimits>,
    ) -> Self {
        AccountLimits {
            login_by_address: RateLimiter::new(settings.login_attempts_per_address),
            login_lockout: LoginLockout::new(settings.login_attempts_per_account),
            register_by_address: RateLimiter::new(settings.registrations_per_address),
            member_adds_by_user: RateLimiter::new(settings.member_adds_per_minute),
            injected_by_workspace: RateLimiter::new(INJECTED_EVENTS_PER_MINUTE),
            pairings_by_address: RateLimiter::new(pairings_per_address),
            pairing_codes_by_user: RateLimiter::new(PAIRING_CODES_PER_MINUTE),
            pairings_per_address,
            settings: settings.clone(),
            shared,
        }
    }

    /// A sign-in attempt may go ahead: `Err(seconds)` when over the address's limit or while
    /// this account is locked out for this address.
    pub async fn sign_in(&self, account: &str, address: &str) -> Result<(), u64> {
        self.login_by_address.hit(address)?;
        self.login_lockout.check(account, address, Instant::now())?;
        if let Some(shared) = &self.shared {
            shared
                .hit("login", address, self.settings.login_attempts_per_address)
                .await?;
            shared.locked(account, address).await?;
        }
        Ok(())
    }

    pub async fn sign_in_failed(&self, account: &str, address: &str) {
        self.login_lockout.failed(account, address, Instant::now());
        if let Some(shared) = &self.shared {
            shared
                .failed(account, address, self.settings.login_attempts_per_account)
                .await;
        }
    }

    pub async fn sign_in_succeeded(&self, account: &str, address: &str) {
        self.login_lockout.succeeded(account, address);
        if let Some(shared) = &self.shared {
            shared.succeeded(account, address).await;
        }
    }

    pub async fn registration(&self, address: &str) -> Result<(), u64> {
        self.register_by_address.hit(address)?;
        if let Some(shared) = &self.shared {
            shared
                .hit("register", address, self.settings.registrations_per_address)
                .await?;
        }
        Ok(())
    }

    /// A test event injected into a workspace (this node's count).
    pub fn injected_event(&self, workspace_id: &str) -> Result<(), u64> {
        self.injected_by_workspace.hit(workspace_id)
    }

    pub async fn member_add(&self, user_id: &str) -> Result<(), u64> {
        self.member_adds_by_user.hit(user_id)?;
        if let Some(shared) = &self.shared {
            shared
                .hit("member_add", user_id, self.settings.member_adds_per_minute)
                .await?;
        }
        Ok(())
    }

    /// An agent starting a pairing from `address`.
    pub async fn pairing_started(&self, address: &str) -> Result<(), u64> {
        self.pairings_by_address.hit(address)?;
        if let Some(shared) = &self.shared {
            shared
                .hit("pairing", address, self.pairings_per_address)
                .await?;
        }
        Ok(())
    }

    /// An approver trying a pairing code (right or wrong).
    pub async fn pairing_code_tried(&self, actor_id: &str) -> Result<(), u64> {
        self.pairing_codes_by_user.hit(actor_id)?;
        if let Some(shared) = &self.shared {
            shared
                .hit("pairing_code", actor_id, PAIRING_CODES_PER_MINUTE)
                .await?;
        }
        Ok(())
    }
}
