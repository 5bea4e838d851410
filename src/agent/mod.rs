//! The edge agent (`livectl agent`): holds the serial port of a board and trusts nothing the
//! server sends. Uses `protocol` only; never the server's database, auth or workspaces.
//!
//! Built so far: the zero-trust guard. Still to come (issue 5): the server link, the serial
//! driver, local kill switch and the subcommand itself.

pub mod guard;
